"""Liveness, readiness and Prometheus metrics (no auth: probes and scrapers call these)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from serving.deps import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(services: ServicesDep) -> JSONResponse:
    """Ready when reference data and rules are loaded; models are optional (rules fall back),
    and so is the shared stream (``ORDERSIGHT_SHARED_STREAM``): while Redis is unreachable,
    batches are read against this process's own window and ledger. Its state is reported for
    the operators: ``off``, ``ok`` or ``unreachable``."""
    scorer = services.scorer
    shared = scorer.recent.shared if scorer is not None else None
    checks = {
        "reference": scorer is not None and scorer.reference.data is not None,
        "rules": scorer is not None and scorer.rules.current is not None,
        "models": sorted(scorer.models.champions) if scorer is not None else [],
        "shared_stream": "off" if shared is None else "ok" if shared.reachable() else "unreachable",
    }
    ready = bool(checks["reference"] and checks["rules"])
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


@router.get("/metrics")
def metrics(services: ServicesDep) -> Response:
    return Response(services.metrics.render(), media_type="text/plain; version=0.0.4")
