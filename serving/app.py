"""FastAPI application: lifespan loads reference data, rules and models once; one router each."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

from fastapi import FastAPI

from ordersight.rules.store import RuleStore
from ordersight.settings import Settings, get_settings
from ordersight.storage import SqlRepository
from serving.batcher import MicroBatcher
from serving.deps import parse_keys
from serving.errors import install_error_handlers
from serving.heap import freeze_startup_heap
from serving.limits import BodyLimitMiddleware
from serving.order_lane import OrderLane
from serving.recording import score_and_record
from serving.routes import address, admin, channels, health, orders, reference
from serving.service import Scorer
from serving.services import Services
from serving.shared_stream import shared_stores
from serving.state import ModelHolder, ReferenceHolder
from serving.stream_state import stream_state_path

log = logging.getLogger("ordersight")
MODEL_POLL_SECONDS = 30.0
CHECKPOINT_SECONDS = 2.0


def build_services(settings: Settings, load_models: bool = True) -> Services:
    """Everything the routes need, built once: repository, reference, rules, models."""
    settings.home.mkdir(parents=True, exist_ok=True)
    repo = SqlRepository.from_url(settings.database_url, manual_checkpoints=True)
    models = ModelHolder(settings.tracking_uri if load_models else None)
    models.refresh()
    services = Services(settings=settings, repo=repo, api_keys=parse_keys(settings.api_keys))
    reference = ReferenceHolder(settings.reference_dir)
    scorer = Scorer(reference, RuleStore(settings.rules_file), models, services.metrics)
    services.scorer = scorer
    services.reference = reference
    services.batcher = MicroBatcher(lambda orders: score_and_record(services, orders))
    return services


def _refresh_models(services: Services) -> None:
    """Pick up a moved champion alias without a restart."""
    if services.scorer is None:
        return
    changed = services.scorer.models.refresh()
    if changed:
        log.info("loaded new model versions: %s", changed)


async def _every(seconds: float, work: Callable[[], None], what: str) -> None:
    """Run ``work`` in a thread every ``seconds``, off the event loop the orders are scored on;
    a failure is logged and the next round tries again."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await asyncio.to_thread(work)
        except Exception:
            log.exception("%s failed", what)


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    settings = settings or (services.settings if services else get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if getattr(app.state, "services", None) is None:
            app.state.services = build_services(settings)
        svc: Services = app.state.services
        stream = stream_state_path(settings.home, "api")
        if svc.scorer is not None:
            svc.scorer.warm_up()
            svc.scorer.resume_stream(stream)
            shared = shared_stores(settings, svc.scorer.recent.window, svc.metrics.missed_shared)
            svc.scorer.share_stream(*shared)
        freeze_startup_heap()
        if not svc.api_keys:
            log.warning("ORDERSIGHT_API_KEYS is empty: authentication is OFF")
        # SQLite's log is copied into the database here rather than inside a commit on the
        # order path (see ordersight.storage.SqlRepository.from_url)
        tasks = [
            asyncio.create_task(
                _every(MODEL_POLL_SECONDS, partial(_refresh_models, svc), "model refresh")
            ),
            asyncio.create_task(
                _every(CHECKPOINT_SECONDS, svc.repo.checkpoint, "database checkpoint")
            ),
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if svc.batcher is not None:
                await svc.batcher.close()
            if svc.scorer is not None:
                svc.scorer.save_stream(stream)
            svc.repo.checkpoint()

    app = FastAPI(
        title="OrderSight",
        version="0.1.0",
        description="Order-quality scoring and demand planning for multi-channel e-commerce.",
        lifespan=lifespan,
    )
    app.state.services = services
    # the order lane inside the body limit: an oversized order is refused before it is read
    app.add_middleware(OrderLane, state=app.state)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    install_error_handlers(app)
    for module in (health, orders, channels, address, reference, admin):
        app.include_router(module.router)
    _include_pages(app)
    return app


def _include_pages(app: FastAPI) -> None:
    """The planner and review pages with their API (served by the service itself, no CDN)."""
    from fastapi.staticfiles import StaticFiles

    from serving import pages
    from serving.routes import recommendations, review

    app.include_router(recommendations.router)
    app.include_router(review.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
