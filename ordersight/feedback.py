"""How the flags fared with the people who reviewed them: per issue code and scorer (model or
rules), how many flagged orders reviewers called a true issue and how many a false alarm.

The demo world's labels say how a model does on our own generator's orders; reviewers' verdicts
say how it does on the brand's real ones. A code whose flags people mostly call false alarms is
the one to retrain, re-threshold or switch to ``review_only`` first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ordersight.storage import Repository

__all__ = ["CodeVerdicts", "flag_judged", "latest_verdicts", "stored_verdicts", "verdicts_by_code"]


@dataclass(frozen=True)
class CodeVerdicts:
    """Reviewers' verdicts on one code's flags, by who raised them (``model`` or ``rules``;
    ``unflagged`` for an issue a reviewer added that the scorer did not raise)."""

    type: str
    code: str
    scored_by: str
    true_issue: int
    false_alarm: int

    @property
    def reviewed(self) -> int:
        return self.true_issue + self.false_alarm

    @property
    def precision(self) -> float:
        """The share of reviewed flags that were true issues (every count has one verdict)."""
        return self.true_issue / self.reviewed

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "code": self.code,
            "scored_by": self.scored_by,
            "reviewed": self.reviewed,
            "true_issue": self.true_issue,
            "false_alarm": self.false_alarm,
            "precision": round(self.precision, 4),
        }


def flag_judged(result: Mapping[str, Any], issue_type: str, code: str | None) -> tuple[str, str]:
    """The (code, scored_by) of the flag a verdict is about: the result's issue of that type (and
    code, when the verdict names one); ``unflagged`` where the scorer raised none."""
    for issue in result.get("issues", ()):
        if issue.get("type") == issue_type and code in (None, issue.get("code")):
            return str(issue["code"]), str(issue.get("scored_by", "rules"))
    return code or "", "unflagged"


def latest_verdicts(
    feedback: Iterable[Mapping[str, Any]],
) -> dict[tuple[str, str, str | None], str]:
    """(order id, issue type, code or None) → the label of the latest verdict on it; ``feedback``
    oldest first, as the repository lists it (a reviewer may change their mind)."""
    return {(row["order_id"], row["type"], row.get("code")): row["label"] for row in feedback}


def verdicts_by_code(
    feedback: Iterable[Mapping[str, Any]], results: Mapping[str, Mapping[str, Any]]
) -> list[CodeVerdicts]:
    """Count each order's latest verdict per issue type and code against the flag it judged.

    ``feedback`` rows have ``order_id``, ``type``, ``code`` (or None) and ``label``, oldest first;
    ``results`` are the scoring results by order id (a verdict on an order that has none is
    skipped: nothing says what was flagged). Sorted by most false alarms first.
    """
    counts: dict[tuple[str, str, str], list[int]] = {}
    for (order_id, issue_type, code), label in latest_verdicts(feedback).items():
        result = results.get(order_id)
        if result is None:
            continue
        raised, scored_by = flag_judged(result, issue_type, code)
        tally = counts.setdefault((issue_type, raised, scored_by), [0, 0])
        tally[label == "false_alarm"] += 1
    out = [CodeVerdicts(t, c, by, true, false) for (t, c, by), (true, false) in counts.items()]
    return sorted(out, key=lambda v: (-v.false_alarm, -v.reviewed, v.code, v.scored_by))


def stored_verdicts(repo: Repository) -> list[CodeVerdicts]:
    """:func:`verdicts_by_code` over every verdict in ``repo`` and the results they judged."""
    feedback = repo.list_feedback()
    decisions = repo.decisions_of({row["order_id"] for row in feedback})
    return verdicts_by_code(feedback, {oid: d["result"] for oid, d in decisions.items()})
