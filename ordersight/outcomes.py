"""Outcomes against the product's target: how many problem orders are caught before fulfilment
with a correction, and how many orders go to a person.

The industry target OrderSight chases: catch at least 92 % of problem orders with a correction
suggestion while sending no more than about 9 % of all orders to a person. Per-type precision and
recall say how well each model separates; this says what the brand gets: a problem counts as
caught when its order goes to a person (review or hold) with an issue of the problem's type, or
passes with one the rule file's ``auto_correct`` lets the pipeline correct (a pass carries issues
only then), and as corrected when such an issue also carries a suggestion. Pure: results and
labels in, counts out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ordersight.codes import type_of
from ordersight.schema import ScoreResult

__all__ = [
    "BUYER_ONLY",
    "TARGET_CORRECTED",
    "TARGET_TO_PERSON",
    "CodeOutcome",
    "Outcomes",
    "order_outcomes",
]

TARGET_CORRECTED = 0.92  # of problem orders: caught, with a correction
TARGET_TO_PERSON = 0.09  # of all orders: sent to review or hold
# What no order holds the correction of, only the buyer: a door never written (同上, 详见聊天), a
# phone number with digits missing, an address naming no region. Caught without a correction,
# such a problem goes to a person to ask the buyer (``needs_buyer``).
BUYER_ONLY = frozenset({"ADDR_DETAIL_MISSING", "ADDR_BAD_PHONE", "ADDR_UNPARSEABLE"})


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


@dataclass(frozen=True)
class CodeOutcome:
    """One labelled code: its problem orders, those caught, those caught with a correction."""

    code: str
    labelled: int
    caught: int
    corrected: int


@dataclass(frozen=True)
class Outcomes:
    orders: int
    problems: int  # orders with at least one label
    caught: int
    corrected: int
    to_person: int  # all orders sent to review or hold
    held: int
    clean_to_person: int  # orders without a label sent to a person
    needs_buyer: int  # caught without a correction, every code one only the buyer can correct
    unmatched_labels: int  # labelled order ids that were not scored
    codes: tuple[CodeOutcome, ...] = field(default=())

    @property
    def corrected_share(self) -> float:
        return _share(self.corrected, self.problems)

    @property
    def correctable_share(self) -> float:
        """Corrected of the problems whose correction the order can hold (not ``needs_buyer``)."""
        return _share(self.corrected, self.problems - self.needs_buyer)

    @property
    def to_person_share(self) -> float:
        return _share(self.to_person, self.orders)

    @property
    def meets_target(self) -> bool:
        return self.corrected_share >= TARGET_CORRECTED and self.to_person_share <= TARGET_TO_PERSON

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["codes"] = [asdict(c) for c in self.codes]
        out.update(
            caught_share=_share(self.caught, self.problems),
            corrected_share=self.corrected_share,
            correctable_share=self.correctable_share,
            to_person_share=self.to_person_share,
            held_share=_share(self.held, self.orders),
            clean_to_person_share=_share(self.clean_to_person, self.orders - self.problems),
            targets={"corrected": TARGET_CORRECTED, "to_person": TARGET_TO_PERSON},
            meets_target=self.meets_target,
        )
        return out


def order_outcomes(results: Sequence[ScoreResult], labels: Iterable[tuple[str, str]]) -> Outcomes:
    """Count outcomes of scored orders against labels: (order_id, code) pairs, one per problem
    (an order may have several; codes must be known, see :func:`ordersight.codes.type_of`). A
    problem is judged by its type: the scorer may name a neighbouring code of the same type
    (ADDR_TYPO for a region written in its sound-alike) and still catch and correct it."""
    wanted: dict[str, set[str]] = {}
    for order_id, code in labels:
        wanted.setdefault(order_id, set()).add(code)
    by_code: dict[str, Counter[str]] = {}
    problems = caught = corrected = to_person = held = clean_to_person = needs_buyer = 0
    for result in results:
        sent = result.action != "pass"
        to_person += sent
        held += result.action == "hold"
        codes = wanted.get(result.order_id)
        if not codes:
            clean_to_person += sent
            continue
        problems += 1
        types = {type_of(c) for c in codes}
        flagged = [i for i in result.issues if i.type in types]
        fixed = any(i.suggestion is not None for i in flagged)
        caught += bool(flagged)
        corrected += fixed
        needs_buyer += bool(flagged) and not fixed and codes <= BUYER_ONLY
        for code in codes:
            own = [i for i in flagged if i.type == type_of(code)]
            count = by_code.setdefault(code, Counter())
            count["labelled"] += 1
            count["caught"] += bool(own)
            count["corrected"] += any(i.suggestion is not None for i in own)
    per_code = [
        CodeOutcome(code, c["labelled"], c["caught"], c["corrected"]) for code, c in by_code.items()
    ]
    return Outcomes(
        orders=len(results),
        problems=problems,
        caught=caught,
        corrected=corrected,
        to_person=to_person,
        held=held,
        clean_to_person=clean_to_person,
        needs_buyer=needs_buyer,
        unmatched_labels=len(wanted.keys() - {r.order_id for r in results}),
        # the codes that miss most corrections first
        codes=tuple(sorted(per_code, key=lambda c: (c.corrected - c.labelled, c.code))),
    )
