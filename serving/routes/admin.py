"""Codes, loaded models and rule reloads."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ordersight.codes import CODES, CORRECTIONS, type_of
from ordersight.rules.loader import summary
from ordersight.rules.model import RuleFileError
from serving.deps import ServicesDep, UserDep
from serving.errors import ApiError

router = APIRouter(prefix="/v1", tags=["admin"])


@router.get("/codes")
def codes(_: UserDep) -> dict[str, list[dict[str, str]]]:
    return {
        "codes": [
            {"code": c, "type": type_of(c), "meaning": m, "correction": CORRECTIONS[c]}
            for c, m in CODES.items()
        ]
    }


@router.get("/models")
def models(services: ServicesDep, _: UserDep) -> dict[str, Any]:
    holder = services.scorer.models
    return {"models": holder.info(), "errors": holder.errors}


@router.post("/models/reload")
def reload_models(services: ServicesDep, _: UserDep) -> dict[str, Any]:
    """Pick up a moved `champion` alias now (the service also polls on its own)."""
    return {"reloaded": services.scorer.models.refresh()}


@router.post("/rules/reload")
def reload_rules(services: ServicesDep, _: UserDep) -> dict[str, Any]:
    store = services.scorer.rules
    try:
        ruleset = store.reload()
    except RuleFileError as exc:
        raise ApiError(
            422,
            "invalid_rules",
            f"rule file rejected; still using version {store.current.version}",
            exc.problems,
        ) from exc
    return {"reloaded": True, **summary(ruleset)}
