"""The shipped rules alone (every model removed) on a generated world: the fallback path's gates.

CONTRACT §3: rules score any type its model cannot, so with no model at all the rule file must
still catch every hard-rule case (stock, compliance) and most of the rest, without flooding
reviewers with clean orders.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from features.duplicates import RecentOrders
from ordersight.codes import type_of
from ordersight.rules import decide, evaluate, hit_scores, load_rules
from ordersight.schema import Order
from serving.offline import known_features
from serving.scorer import build_frame
from training.orders import load_reference

RULES = Path(__file__).resolve().parents[2] / "rules" / "default.yaml"
HARD_CODES = ("STOCK_INSUFFICIENT", "COMPLIANCE_FORMULA_STAGE", "COMPLIANCE_QTY_LIMIT")
GATED_TYPES = ("address", "stock", "price", "compliance", "duplicate")


@pytest.fixture(scope="module")
def rules_only(small_world: Path) -> tuple[list[set[str]], list[set[str]], list[str]]:
    """(labelled codes, rule codes, action) per order, scored in arrival order like the service."""
    ref = load_reference(small_world)
    with (small_world / "orders.jsonl").open(encoding="utf-8") as fh:
        orders = [Order.model_validate_json(line) for line in fh if line.strip()]
    orders.sort(key=lambda o: o.created_at)
    rules = load_rules(RULES, known_features())
    recent = RecentOrders()
    frames = [
        build_frame(orders[s : s + 5000], ref, recent)[0] for s in range(0, len(orders), 5000)
    ]
    hits = evaluate(rules, pd.concat(frames, ignore_index=True), None)
    labels = pd.read_csv(small_world / "labels.csv", dtype=str, keep_default_na=False)
    by_order = labels.groupby("order_id")["code"].apply(set).to_dict()
    truth = [by_order.get(o.order_id, set()) for o in orders]
    found = [{h.code for h in row} for row in hits]
    actions = [decide(rules, hit_scores(row), row) for row in hits]
    return truth, found, actions


def _pr(truth: list[set[str]], found: list[set[str]], match) -> tuple[float, float, int]:
    labelled = [any(match(c) for c in t) for t in truth]
    flagged = [any(match(c) for c in f) for f in found]
    tp = sum(a and b for a, b in zip(labelled, flagged, strict=True))
    return tp / max(sum(flagged), 1), tp / max(sum(labelled), 1), sum(labelled)


@pytest.mark.slow
def test_fallback_rules_catch_every_hard_rule_case(rules_only):
    truth, found, actions = rules_only
    for code in HARD_CODES:
        precision, recall, n = _pr(truth, found, lambda c, code=code: c == code)
        assert n > 0, code
        assert recall == 1.0, (code, recall)
        assert precision >= 0.95, (code, precision)
    for t, a in zip(truth, actions, strict=True):
        if t & set(HARD_CODES):
            assert a == "hold"


@pytest.mark.slow
def test_fallback_rules_per_type_quality_and_clean_rate(rules_only):
    truth, found, actions = rules_only
    for issue_type in GATED_TYPES:
        precision, recall, n = _pr(truth, found, lambda c, t=issue_type: type_of(c) == t)
        assert n > 0, issue_type
        assert recall >= 0.9, (issue_type, recall)
        # 0.8, not higher: the world labels a duplicate only when both orders carry the same
        # customer_id, but PDD sends none, so a PDD repeat of a JD order (same phone, address
        # and lines within 24 h) counts as clean there while the fingerprint rightly flags it.
        assert precision >= 0.8, (issue_type, precision)
    clean = [a for t, a in zip(truth, actions, strict=True) if not t]
    assert sum(a != "pass" for a in clean) / len(clean) <= 0.03
