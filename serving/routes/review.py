"""The review queue: orders the scorer sent to review or hold, and the reviewers' verdicts.

Each verdict is stored as feedback (CONTRACT §3 `POST /v1/feedback`) with the reviewer's name;
``/v1/feedback/summary`` says how each code's flags fare with the people who review them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from ordersight.codes import CODES, IssueType
from ordersight.feedback import stored_verdicts
from ordersight.schema import Issue, ParsedAddress
from ordersight.storage import NotFound
from serving.deps import ServicesDep, UserDep
from serving.errors import ApiError
from serving.services import Services

router = APIRouter(tags=["review"])

QUEUE_ACTIONS = ("review", "hold")
Label = Literal["true_issue", "false_alarm"]


class ReviewItem(BaseModel):
    order_id: str
    channel: str | None = None
    action: str
    risk: float
    created_at: datetime
    rules_version: str | None = None
    order: dict[str, Any] | None = None
    issues: list[Issue] = Field(default_factory=list)
    address: ParsedAddress | None = None


class ReviewQueue(BaseModel):
    items: list[ReviewItem]


class FeedbackIn(BaseModel):
    order_id: str = Field(min_length=1, max_length=128)
    type: IssueType
    code: str | None = Field(default=None, max_length=64)
    label: Label
    corrected: dict[str, Any] | None = None


class FeedbackOut(FeedbackIn):
    id: int
    user: str


class ResolveIn(BaseModel):
    resolution: Literal["accept_suggestion", "false_alarm", "release"]
    type: IssueType | None = None
    code: str | None = Field(default=None, max_length=64)


class ResolveOut(BaseModel):
    order_id: str
    status: str
    feedback: list[FeedbackOut]


def _decision(services: Services, order_id: str) -> dict[str, Any]:
    try:
        return services.repo.get_decision(order_id)
    except NotFound:
        raise ApiError(404, "not_found", f"no scored order {order_id!r}") from None


def _check_code(code: str | None) -> None:
    if code is not None and code not in CODES:
        raise ApiError(422, "unknown_code", f"unknown issue code {code!r}; see GET /v1/codes")


def _store(services: Services, user: str, body: FeedbackIn) -> FeedbackOut:
    feedback_id = services.repo.save_feedback({**body.model_dump(), "user": user})
    return FeedbackOut(**body.model_dump(), id=feedback_id, user=user)


def _to_item(row: dict[str, Any]) -> ReviewItem:
    result = row.get("result") or {}
    return ReviewItem(
        order_id=row["order_id"],
        channel=row.get("channel"),
        action=row["action"],
        risk=row["risk"],
        created_at=row["created_at"],
        rules_version=row.get("rules_version"),
        order=row.get("order"),
        issues=result.get("issues", []),
        address=result.get("address"),
    )


@router.get("/v1/review", response_model=ReviewQueue)
def review_queue(
    services: ServicesDep, _user: UserDep, limit: int = Query(default=50, ge=1, le=500)
) -> ReviewQueue:
    """Open orders sent to review or hold, newest first."""
    rows = services.repo.list_decisions(QUEUE_ACTIONS, status="open", limit=limit)
    return ReviewQueue(items=[_to_item(r) for r in rows])


@router.post("/v1/feedback", response_model=FeedbackOut, status_code=201)
def post_feedback(body: FeedbackIn, services: ServicesDep, user: UserDep) -> FeedbackOut:
    """A reviewer's label for one issue of a scored order, kept for retraining."""
    _check_code(body.code)
    _decision(services, body.order_id)
    return _store(services, user, body)


class CodeVerdictsOut(BaseModel):
    type: str
    code: str
    scored_by: Literal["model", "rules", "unflagged"]
    reviewed: int
    true_issue: int
    false_alarm: int
    precision: float


class FeedbackSummary(BaseModel):
    codes: list[CodeVerdictsOut]


@router.get("/v1/feedback/summary", response_model=FeedbackSummary)
def feedback_summary(services: ServicesDep, _user: UserDep) -> FeedbackSummary:
    """Reviewers' verdicts per issue code and scorer, most false alarms first: how each code's
    flags fare on the brand's own orders (``ordersight feedback`` prints the same)."""
    verdicts = stored_verdicts(services.repo)
    return FeedbackSummary(codes=[CodeVerdictsOut(**v.as_dict()) for v in verdicts])


def _picked(issues: list[Issue], body: ResolveIn) -> list[Issue]:
    """The issues a resolution applies to: the one named by type/code, or all of them."""
    return [
        i
        for i in issues
        if (body.type is None or i.type == body.type) and (body.code is None or i.code == body.code)
    ]


@router.post("/v1/review/{order_id}/resolve", response_model=ResolveOut)
def resolve(order_id: str, body: ResolveIn, services: ServicesDep, user: UserDep) -> ResolveOut:
    """Close a queued order. Accepting a suggestion labels its issue a true issue with the
    suggestion as the correction; a false alarm labels it so. Release ships the order as is and
    stores no label: a release says the order may go, not whether the model was right."""
    _check_code(body.code)
    row = _decision(services, order_id)
    if row["status"] != "open":
        raise ApiError(409, "already_resolved", f"order {order_id!r} is already {row['status']}")
    issues = _picked(_to_item(row).issues, body)
    if body.resolution != "release" and not issues:
        raise ApiError(422, "no_such_issue", f"order {order_id!r} has no matching issue")
    saved: list[FeedbackOut] = []
    if body.resolution == "accept_suggestion":
        issues = [i for i in issues if i.suggestion is not None]
        if not issues:
            raise ApiError(422, "no_suggestion", "the selected issue has no suggestion to accept")
        for issue in issues:
            corrected = {issue.suggestion.field: issue.suggestion.value}
            label = FeedbackIn(
                order_id=order_id,
                type=issue.type,
                code=issue.code,
                label="true_issue",
                corrected=corrected,
            )
            saved.append(_store(services, user, label))
    elif body.resolution == "false_alarm":
        for issue in issues:
            label = FeedbackIn(
                order_id=order_id, type=issue.type, code=issue.code, label="false_alarm"
            )
            saved.append(_store(services, user, label))
    status = "released" if body.resolution == "release" else "resolved"
    services.repo.set_decision_status(order_id, status)
    return ResolveOut(order_id=order_id, status=status, feedback=saved)
