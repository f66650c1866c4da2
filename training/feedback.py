"""Reviewers' verdicts as training rows: what people said about the brand's own orders.

The demo world teaches the models our generator's habits; the verdicts stored from the review
queue are the brand's real orders, judged by the people who handle them. The address model's
features are a function of the stored address and phone alone, so a verdict on an address
becomes a training row again exactly as it was scored. (The stock and price features read the
stock and the order stream of the moment, which the decision does not keep, so those models do
not learn from verdicts yet.)
"""

from __future__ import annotations

from dataclasses import dataclass

from ordersight.codes import CODES
from ordersight.feedback import flag_judged, latest_verdicts
from ordersight.schema import Order
from ordersight.storage import Repository

__all__ = ["FEEDBACK_WEIGHT", "AddressVerdicts", "address_verdicts"]

# One verdict on a real order counts as much as this many demo rows: verdicts are few and come
# from the distribution the model serves.
FEEDBACK_WEIGHT = 20.0


@dataclass(frozen=True)
class AddressVerdicts:
    """Reviewed addresses: text, phone and the address code people confirmed ("" where they
    called every address flag of the order a false alarm)."""

    texts: list[str]
    phones: list[str | None]
    codes: list[str]

    def __len__(self) -> int:
        return len(self.texts)


def address_verdicts(repo: Repository) -> AddressVerdicts:
    """Each reviewed order's address with its label: the first confirmed code (in CODES order)
    where a reviewer confirmed one, else clean. A confirmation that names no code and judged no
    flag says no code, and is left out."""
    address = [row for row in repo.list_feedback() if row["type"] == "address"]
    decisions = repo.decisions_of({row["order_id"] for row in address})
    confirmed: dict[str, set[str]] = {}  # per order; "" for a confirmation without a code
    for (order_id, _, code), label in latest_verdicts(address).items():
        decision = decisions.get(order_id)
        if decision is None:
            continue
        codes = confirmed.setdefault(order_id, set())
        if label == "true_issue":
            codes.add(flag_judged(decision["result"], "address", code)[0])
    out = AddressVerdicts([], [], [])
    rank = {code: i for i, code in enumerate(CODES)}
    for order_id, codes in confirmed.items():
        known = codes - {""}
        if codes and not known:
            continue
        order = Order.model_validate(decisions[order_id]["order"])
        out.texts.append(order.address.text())
        out.phones.append(order.address.phone)
        out.codes.append(min(known, key=rank.__getitem__) if known else "")
    return out
