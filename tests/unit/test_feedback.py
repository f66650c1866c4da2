"""Reviewers' verdicts counted against the flags they judged (ordersight/feedback.py)."""

from __future__ import annotations

from ordersight.feedback import verdicts_by_code

RESULTS = {
    "A": {
        "issues": [
            {"type": "address", "code": "ADDR_TYPO", "scored_by": "model"},
            {"type": "address", "code": "ADDR_BAD_PHONE", "scored_by": "rules"},
        ]
    },
    "B": {"issues": [{"type": "address", "code": "ADDR_TYPO", "scored_by": "model"}]},
}


def _verdict(order_id: str, code: str | None, label: str, kind: str = "address") -> dict:
    return {"order_id": order_id, "type": kind, "code": code, "label": label}


def test_a_verdict_counts_against_the_flag_it_names():
    feedback = [
        _verdict("A", "ADDR_BAD_PHONE", "false_alarm"),  # the second address issue, by rules
        _verdict("A", None, "true_issue"),  # no code: the type's first issue
        _verdict("B", "ADDR_TYPO", "true_issue"),
        _verdict("GONE", "ADDR_TYPO", "false_alarm"),  # no stored result: nothing to judge
    ]
    got = {
        (v.code, v.scored_by): (v.true_issue, v.false_alarm)
        for v in verdicts_by_code(feedback, RESULTS)
    }
    assert got == {("ADDR_BAD_PHONE", "rules"): (0, 1), ("ADDR_TYPO", "model"): (2, 0)}


def test_the_latest_verdict_on_a_flag_counts_and_false_alarms_sort_first():
    feedback = [
        _verdict("B", "ADDR_TYPO", "true_issue"),
        _verdict("B", "ADDR_TYPO", "false_alarm"),
        _verdict("A", "ADDR_TYPO", "true_issue"),
        _verdict("A", None, "true_issue", kind="stock"),
    ]
    first, *rest = verdicts_by_code(feedback, RESULTS)
    assert (first.code, first.true_issue, first.false_alarm, first.precision) == (
        "ADDR_TYPO",
        1,
        1,
        0.5,
    )
    assert [(v.type, v.code, v.scored_by) for v in rest] == [("stock", "", "unflagged")]
    assert verdicts_by_code([], RESULTS) == []
