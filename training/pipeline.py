"""`ordersight train`: each step loads → validates → features → fits → evaluates → logs → registers.

Steps are independent; a failing gate leaves that version a challenger, never the champion.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from models.registry import MODEL_NAMES, Registry
from ordersight.codes import ORDER_MODEL_TYPES
from ordersight.settings import Settings

ALL_STEPS = ("address", "stock", "price", "forecast")
console = Console(stderr=True)


def train_all(
    data: Path,
    steps: Sequence[str],
    *,
    if_missing: bool,
    settings: Settings,
    feedback: bool = False,
) -> dict[str, Any]:
    """Train ``steps`` on ``data``; with ``feedback``, the address, stock and price models also
    learn from the reviewers' verdicts in the service's database (:mod:`training.feedback`)."""
    settings.home.mkdir(parents=True, exist_ok=True)
    registry = Registry(settings.tracking_uri)
    report: dict[str, Any] = {}
    model_of = {"forecast": "demand"}
    todo = [
        s
        for s in steps
        if not (if_missing and registry.has_champion(MODEL_NAMES[model_of.get(s, s)]))
    ]
    for skipped in sorted(set(steps) - set(todo)):
        report[skipped] = {"skipped": "champion exists"}
    repo = None
    if feedback:
        from ordersight.storage import SqlRepository

        repo = SqlRepository.from_url(settings.database_url)
    if "address" in todo:
        from training.address import train_address
        from training.feedback import address_verdicts

        console.rule("address model")
        verdicts = address_verdicts(repo) if repo else None
        if verdicts is not None:
            console.print(f"{len(verdicts)} reviewed addresses join the training rows")
        report["address"] = train_address(data, registry, feedback=verdicts)
    issue_types = tuple(t for t in ORDER_MODEL_TYPES if t in todo)
    if issue_types:
        from training.feedback import order_verdicts
        from training.orders import train_issue_models

        console.rule(f"order models: {', '.join(issue_types)}")
        rows = order_verdicts(repo, issue_types) if repo else {}
        for issue_type, extra in rows.items():
            console.print(f"{len(extra.frame)} reviewed orders join the {issue_type} training rows")
        report.update(train_issue_models(data, registry, types=issue_types, feedback=rows))
    if "forecast" in todo:
        from training.planning import train_and_plan

        console.rule("demand forecast and pre-positioning plan")
        report["forecast"] = train_and_plan(data, registry, settings)
    return report
