"""Reviewers' verdicts as training rows: what people said about the brand's own orders.

The demo world teaches the models our generator's habits; the verdicts stored from the review
queue are the brand's real orders, judged by the people who handle them. The address model's
features are a function of the stored address and phone alone, so a verdict on an address
becomes a training row again from the stored order. The stock and price features read the stock
and the order stream of the moment: the decision keeps what those models read when the order was
scored (``model_inputs``), and a verdict becomes a training row from that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models.tabular import ExtraRows, IssueModel
from ordersight.codes import CODES, ORDER_MODEL_TYPES
from ordersight.feedback import flag_judged, latest_verdicts
from ordersight.schema import Order
from ordersight.storage import Repository

__all__ = [
    "FEEDBACK_WEIGHT",
    "AddressVerdicts",
    "address_verdicts",
    "feedback_agreement",
    "order_verdicts",
]

# One verdict on a real order counts as much as this many demo rows: verdicts are few and come
# from the distribution the model serves.
FEEDBACK_WEIGHT = 20.0
_RANK = {code: i for i, code in enumerate(CODES)}


@dataclass(frozen=True)
class AddressVerdicts:
    """Reviewed addresses: text, phone and the address code people confirmed ("" where they
    called every address flag of the order a false alarm)."""

    texts: list[str]
    phones: list[str | None]
    codes: list[str]

    def __len__(self) -> int:
        return len(self.texts)


def _verdict_labels(
    repo: Repository, issue_type: str
) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """Per reviewed order, its label for ``issue_type``: the first confirmed code (in CODES
    order) where a reviewer confirmed one, else "" (every flag a false alarm). A confirmation
    that names no code and judged no flag says no code, and is left out. Also the orders' latest
    decisions (an order without one is left out: nothing says what was scored)."""
    rows = [row for row in repo.list_feedback() if row["type"] == issue_type]
    decisions = repo.decisions_of({row["order_id"] for row in rows})
    confirmed: dict[str, set[str]] = {}  # per order; "" for a confirmation without a code
    for (order_id, _, code), label in latest_verdicts(rows).items():
        decision = decisions.get(order_id)
        if decision is None:
            continue
        codes = confirmed.setdefault(order_id, set())
        if label == "true_issue":
            codes.add(flag_judged(decision["result"], issue_type, code)[0])
    labels = {}
    for order_id, codes in confirmed.items():
        known = codes - {""}
        if codes and not known:
            continue
        labels[order_id] = min(known, key=_RANK.__getitem__) if known else ""
    return labels, decisions


def address_verdicts(repo: Repository) -> AddressVerdicts:
    """Each reviewed order's address with its label (see :func:`_verdict_labels`)."""
    labels, decisions = _verdict_labels(repo, "address")
    out = AddressVerdicts([], [], [])
    for order_id, code in labels.items():
        order = Order.model_validate(decisions[order_id]["order"])
        out.texts.append(order.address.text())
        out.phones.append(order.address.phone)
        out.codes.append(code)
    return out


def order_verdicts(
    repo: Repository, types: Sequence[str] = ORDER_MODEL_TYPES
) -> dict[str, ExtraRows]:
    """Per order model type, the reviewed orders as training rows: the features that model read
    when the order was scored, labelled with the reviewers' verdict (see :func:`_verdict_labels`),
    weighted :data:`FEEDBACK_WEIGHT`. A decision stored without them (scored before decisions
    kept them, or by the rules alone) gives no row."""
    out = {}
    for issue_type in types:
        labels, decisions = _verdict_labels(repo, issue_type)
        rows, codes = [], []
        for order_id, code in labels.items():
            kept = (decisions[order_id].get("model_inputs") or {}).get(issue_type)
            if kept:
                rows.append(kept["features"])
                codes.append(code)
        frame = pd.DataFrame.from_records(rows).astype(np.float32) if rows else pd.DataFrame()
        out[issue_type] = ExtraRows(frame, pd.Series(codes, dtype=object), FEEDBACK_WEIGHT)
    return out


def feedback_agreement(model: IssueModel, extra: ExtraRows) -> dict[str, float]:
    """How many verdict rows joined the fit, and the share the fitted model now agrees with
    (flags a confirmed issue, passes a false alarm)."""
    flagged = model.predict_frame(extra.frame)["score"].to_numpy() >= model.threshold
    agree = flagged == (extra.labels.to_numpy() != "")
    return {"rows": len(extra.frame), "agreement": float(agree.mean())}
