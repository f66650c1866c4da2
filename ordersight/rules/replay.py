"""What a rule change would have changed: before/after decisions on the same orders."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from rich.console import Group
from rich.table import Table

from ordersight.schema import ScoreResult

ACTIONS = ("pass", "review", "hold")


def compare(before: Sequence[ScoreResult], after: Sequence[ScoreResult]) -> dict[str, Any]:
    """Counts per action and per code (orders carrying it), before → after, and transitions."""
    if len(before) != len(after):
        raise ValueError(f"{len(before)} results before but {len(after)} after")
    transitions = {a: dict.fromkeys(ACTIONS, 0) for a in ACTIONS}
    codes_before: Counter[str] = Counter()
    codes_after: Counter[str] = Counter()
    changed: list[str] = []
    for b, a in zip(before, after, strict=True):
        if b.order_id != a.order_id:
            raise ValueError(f"results out of step: {b.order_id!r} vs {a.order_id!r}")
        transitions[b.action][a.action] += 1
        cb, ca = {i.code for i in b.issues}, {i.code for i in a.issues}
        codes_before.update(cb)
        codes_after.update(ca)
        if b.action != a.action or cb != ca:
            changed.append(b.order_id)
    actions = {
        act: {
            "before": sum(transitions[act].values()),
            "after": sum(t[act] for t in transitions.values()),
        }
        for act in ACTIONS
    }
    codes = {
        c: {"before": codes_before[c], "after": codes_after[c]}
        for c in sorted(codes_before.keys() | codes_after.keys())
    }
    return {
        "orders": len(before),
        "changed": len(changed),
        "changed_order_ids": changed[:50],
        "actions": actions,
        "codes": codes,
        "transitions": transitions,
    }


def _delta(before: int, after: int) -> str:
    d = after - before
    return f"[green]{d:+d}[/]" if d < 0 else f"[red]{d:+d}[/]" if d > 0 else "0"


def render(report: dict[str, Any]) -> Group:
    """Rich tables for the terminal: actions, the pass/review/hold matrix, and codes."""
    actions = Table(title=f"Actions on {report['orders']} orders ({report['changed']} changed)")
    for col in ("action", "before", "after", "Δ"):
        actions.add_column(col, justify="left" if col == "action" else "right")
    for act, c in report["actions"].items():
        actions.add_row(act, str(c["before"]), str(c["after"]), _delta(c["before"], c["after"]))
    matrix = Table(title="Transitions (rows: before, columns: after)")
    matrix.add_column("before \\ after")
    for act in ACTIONS:
        matrix.add_column(act, justify="right")
    for b, row in report["transitions"].items():
        matrix.add_row(b, *(str(row[a]) for a in ACTIONS))
    codes = Table(title="Orders per issue code")
    for col in ("code", "before", "after", "Δ"):
        codes.add_column(col, justify="left" if col == "code" else "right")
    for code, c in report["codes"].items():
        codes.add_row(code, str(c["before"]), str(c["after"]), _delta(c["before"], c["after"]))
    return Group(actions, matrix, codes)
