"""Rules engine: file validation, NaN-safe vectorised evaluation, decisions, hot reload, replay."""

from __future__ import annotations

import math
import os
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from ordersight.rules import (
    RuleFileError,
    RuleStore,
    auto_corrected,
    decide,
    evaluate,
    hit_scores,
    load_rules,
    parse_rules,
    summary,
)
from ordersight.rules.engine import Columns, rule_mask
from ordersight.rules.replay import compare, render
from ordersight.schema import Issue, ScoreResult, Suggestion

TYPES = ("address", "stock", "price", "format", "compliance", "duplicate")


def _doc(*rules: dict) -> dict:
    return {
        "thresholds": {t: {"review": 0.5, "hold": 0.9} for t in TYPES},
        "rules": list(rules),
    }


def _rule(name: str = "r1", **over) -> dict:
    rule = {
        "name": name,
        "level": 2,
        "type": "stock",
        "code": "STOCK_INSUFFICIENT",
        "when": {"feature": "qty_over_available_max", "op": ">", "value": 1},
        "then": {"action": "hold", "score": 0.95, "message": "short by {qty_over_available_max}"},
    }
    rule.update(over)
    return rule


def _load(doc: dict, known: set[str] | None = None):
    return parse_rules(yaml.safe_dump(doc, allow_unicode=True).encode(), "t.yaml", known)


def _problems(doc: dict, known: set[str] | None = None) -> str:
    with pytest.raises(RuleFileError) as exc:
        _load(doc, known)
    return str(exc.value)


# --- validation -------------------------------------------------------------------------------


def test_schema_error_names_rule_and_key():
    bad = _rule("stock_short", then={"action": "block", "score": 0.9, "message": "m"})
    msg = _problems(_doc(_rule("ok"), bad))
    assert "rule 'stock_short' (rules[1])" in msg
    assert "then.action" in msg and "'block'" in msg


def test_schema_error_inside_condition_tree_names_the_path():
    when = {
        "all": [{"feature": "a", "op": ">", "value": 1}, {"feature": "b", "op": "~", "value": 2}]
    }
    msg = _problems(_doc(_rule("deep", when=when)))
    assert "rule 'deep'" in msg and "when.all[1].op" in msg


def test_misspelt_group_key_is_reported():
    msg = _problems(_doc(_rule("typo", when={"alll": [{"feature": "a", "op": "is_null"}]})))
    assert "rule 'typo'" in msg and "alll" in msg


def test_numeric_op_needs_a_number_and_membership_a_list():
    assert "value" in _problems(_doc(_rule(when={"feature": "a", "op": ">", "value": "x"})))
    assert "value" in _problems(_doc(_rule(when={"feature": "a", "op": "in", "value": "x"})))
    assert "ref" in _problems(_doc(_rule(when={"feature": "a", "op": "is_null", "ref": "b"})))


def test_unknown_code_and_wrong_prefix_rejected():
    assert "unknown issue code 'STOCK_GONE'" in _problems(_doc(_rule(code="STOCK_GONE")))
    msg = _problems(_doc(_rule("mixed", code="PRICE_BELOW_COST")))
    assert "rule 'mixed'" in msg and "price code" in msg


def test_unknown_feature_rejected_when_features_are_known():
    known = {"qty_over_available_max"}
    _load(_doc(_rule()), known)  # the same rule with a known feature loads
    when = {"feature": "qty_over_availble_max", "op": ">", "value": 1}
    msg = _problems(_doc(_rule("spelt", when=when)), known)
    assert "rule 'spelt'" in msg and "unknown feature 'qty_over_availble_max'" in msg
    then = {"action": "hold", "score": 0.95, "message": "at {nowhere}"}
    assert "unknown feature 'nowhere'" in _problems(_doc(_rule(then=then)), known)


def test_semantic_checks():
    doc = _doc(_rule("a"), _rule("a"))
    assert "names must be unique" in _problems(doc)
    doc = _doc(_rule(type="format", code="FMT_UNKNOWN_SKU", level="fallback"))
    assert "has none" in _problems(doc)
    doc = _doc(_rule(then={"action": "review", "score": 0.95, "message": "m"}))
    assert "would hold" in _problems(doc)
    doc = _doc(_rule())
    doc["thresholds"]["price"] = {"review": 0.8, "hold": 0.6}
    assert "thresholds.price" in _problems(doc)


def test_yaml_syntax_error_gives_line(tmp_path: Path):
    path = tmp_path / "r.yaml"
    path.write_text("thresholds:\n  stock: {review: 0.5\nrules: []\n", encoding="utf-8")
    with pytest.raises(RuleFileError) as exc:
        load_rules(path)
    assert str(path) in str(exc.value) and "line" in str(exc.value)


def test_version_is_a_content_hash():
    a = yaml.safe_dump(_doc(_rule())).encode()
    assert parse_rules(a, "x", None).version == parse_rules(a, "y", None).version
    b = a + b"# a comment changes the file\n"
    assert parse_rules(a, "x", None).version != parse_rules(b, "x", None).version
    assert len(parse_rules(a, "x", None).version) == 7


# --- evaluation -------------------------------------------------------------------------------


def _fires(when: dict, frame: pd.DataFrame) -> list[bool]:
    rs = _load(_doc(_rule(when=when, then={"action": "hold", "score": 0.9, "message": "m"})))
    return [bool(h) for h in evaluate(rs, frame)]


def test_nan_is_false_for_every_comparison_but_is_null():
    frame = pd.DataFrame({"x": [np.nan, 2.0], "s": [None, "a"], "y": [1.0, np.nan]})
    for op, value in ((">", 0), (">=", 0), ("<", 9), ("<=", 9), ("==", 2), ("!=", 5)):
        assert _fires({"feature": "x", "op": op, "value": value}, frame)[0] is False, op
    assert _fires({"feature": "x", "op": "in", "value": [2, 3]}, frame) == [False, True]
    assert _fires({"feature": "x", "op": "not_in", "value": [3]}, frame) == [False, True]
    assert _fires({"feature": "s", "op": "!=", "value": "b"}, frame) == [False, True]
    assert _fires({"feature": "s", "op": "not_in", "value": ["b"]}, frame) == [False, True]
    assert _fires({"feature": "x", "op": ">", "ref": "y"}, frame) == [False, False]
    assert _fires({"feature": "x", "op": "is_null"}, frame) == [True, False]
    assert _fires({"feature": "x", "op": "not_null"}, frame) == [False, True]


def test_has_any_over_list_valued_cells():
    frame = pd.DataFrame({"cats": [("food", "3c"), "beauty|food", None, [], "3c"]})
    assert _fires({"feature": "cats", "op": "has_any", "value": ["3c"]}, frame) == [
        True,
        False,
        False,
        False,
        True,
    ]
    assert _fires({"feature": "cats", "op": "has_any", "value": ["food", "x"]}, frame)[:2] == [
        True,
        True,
    ]


def test_missing_column_reads_as_null():
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    assert _fires({"feature": "absent", "op": ">", "value": 0}, frame) == [False, False]
    assert _fires({"feature": "absent", "op": "is_null"}, frame) == [True, True]


def _scalar(cond: dict, row: dict) -> bool:
    """Row-at-a-time reference semantics, written independently of the engine."""
    if "all" in cond:
        return all(_scalar(c, row) for c in cond["all"])
    if "any" in cond:
        return any(_scalar(c, row) for c in cond["any"])
    if "not" in cond:
        return not _scalar(cond["not"], row)
    x = row.get(cond["feature"])
    null = x is None or (isinstance(x, float) and math.isnan(x))
    op = cond["op"]
    if op in ("is_null", "not_null"):
        return null == (op == "is_null")
    rhs = row.get(cond["ref"]) if "ref" in cond else cond["value"]
    if null or rhs is None or (isinstance(rhs, float) and math.isnan(rhs)):
        return False
    ops = {
        ">": lambda: x > rhs,
        ">=": lambda: x >= rhs,
        "<": lambda: x < rhs,
        "<=": lambda: x <= rhs,
        "==": lambda: x == rhs,
        "!=": lambda: x != rhs,
        "in": lambda: x in rhs,
        "not_in": lambda: x not in rhs,
    }
    return ops[op]()


def _random_cond(rng: random.Random, depth: int = 0) -> dict:
    if depth < 3 and rng.random() < 0.45:
        kind = rng.choice(["all", "any", "not"])
        if kind == "not":
            return {"not": _random_cond(rng, depth + 1)}
        return {kind: [_random_cond(rng, depth + 1) for _ in range(rng.randint(1, 3))]}
    if rng.random() < 0.25:
        op = rng.choice(["==", "!=", "in", "not_in", "is_null", "not_null"])
        leaf: dict = {"feature": "s", "op": op}
        if op in ("in", "not_in"):
            leaf["value"] = rng.sample(["a", "b", "c"], rng.randint(1, 2))
        elif op in ("==", "!="):
            leaf["value"] = rng.choice(["a", "b", "c"])
        return leaf
    feat = rng.choice(["x", "y", "z"])
    op = rng.choice([">", ">=", "<", "<=", "==", "!=", "in", "not_in", "is_null", "not_null"])
    leaf = {"feature": feat, "op": op}
    if op in ("in", "not_in"):
        leaf["value"] = rng.sample([0, 1, 2, 3], rng.randint(1, 3))
    elif op not in ("is_null", "not_null"):
        if rng.random() < 0.3:
            leaf["ref"] = rng.choice(["x", "y", "z"])
        else:
            leaf["value"] = rng.choice([0, 1, 1.5, 2, 3])
    return leaf


def test_vectorised_equals_row_by_row_on_random_rules():
    rng = random.Random(7)
    n = 200
    nprng = np.random.default_rng(7)

    def col() -> np.ndarray:
        v = nprng.integers(0, 4, n).astype(float)
        v[nprng.random(n) < 0.2] = np.nan
        return v

    frame = pd.DataFrame(
        {
            "x": col(),
            "y": col(),
            "z": col() / 2,
            "s": nprng.choice(np.array(["a", "b", "c", None], dtype=object), n),
        }
    )
    rows = frame.replace({np.nan: None}).to_dict("records")
    conds = [_random_cond(rng) for _ in range(60)]
    rules = [
        _rule(f"r{i}", when=c, then={"action": "hold", "score": 0.9, "message": "m"})
        for i, c in enumerate(conds)
    ]
    hits = evaluate(_load(_doc(*rules)), frame)
    for i, cond in enumerate(conds):
        got = [any(h.rule == f"r{i}" for h in row_hits) for row_hits in hits]
        want = [_scalar(cond, r) for r in rows]
        assert got == want, cond
    assert any(any(h) for h in hits)  # the property is not vacuous


def test_fallback_rules_fire_only_where_the_model_did_not_score():
    rule = _rule(
        level="fallback",
        type="price",
        code="PRICE_BELOW_FLOOR",
        when={"feature": "unit_over_floor_min", "op": "<", "value": 1},
        then={"action": "review", "score": 0.7, "message": "at {unit_over_floor_min:.2f} of floor"},
    )
    rs = _load(_doc(rule))
    frame = pd.DataFrame({"unit_over_floor_min": [0.5, 0.5, 2.0]})
    scored = {"price": np.array([True, False, False])}
    assert [len(h) for h in evaluate(rs, frame, scored)] == [0, 1, 0]
    everywhere = {"price": np.ones(3, dtype=bool)}  # the rule is not evaluated at all then
    assert [len(h) for h in evaluate(rs, frame, everywhere)] == [0, 0, 0]
    gate = {"price": ~scored["price"]}  # the mask itself: condition and fallback gate
    assert rule_mask(rs.active[0], Columns(frame), gate).tolist() == [False, True, False]
    assert [len(h) for h in evaluate(rs, frame, None)] == [1, 1, 0]
    assert evaluate(rs, frame)[0][0].message == "at 0.50 of floor"


def _suggesting(message: str, field: str, value_from: str) -> dict:
    """A hold rule's `then` with a suggestion."""
    suggestion = {"field": field, "value_from": value_from}
    return {"action": "hold", "score": 0.95, "message": message, "suggestion": suggestion}


def test_channels_filter_message_and_suggestion():
    message = "{qty_over_available_max}x available at {sourcing_warehouse}"
    rule = _rule(channels=["jd"], then=_suggesting(message, "warehouse_id", "alt_warehouse"))
    frame = pd.DataFrame(
        {
            "qty_over_available_max": [2.0, 3.0, 1.5],
            "sourcing_warehouse": ["WH-BJ", "WH-SH", None],
            "alt_warehouse": ["WH-GZ", "WH-CD", None],
            "channel": ["jd", "tmall", "jd"],
        }
    )
    hits = evaluate(_load(_doc(rule)), frame)
    assert [len(h) for h in hits] == [1, 0, 1]
    assert hits[0][0].message == "2x available at WH-BJ"
    assert hits[0][0].suggestion is not None and hits[0][0].suggestion.value == "WH-GZ"
    assert hits[2][0].message == "1.5x available at ?" and hits[2][0].suggestion is None


def test_a_suggestion_field_names_the_line_the_rule_is_about():
    """lines[{stage_line}].sku: the field is rendered per order; an order without the line or
    without the value gets no suggestion (never a field such as lines[?].sku)."""
    then = _suggesting("m", "lines[{stage_line}].sku", "stage_fix_sku")
    frame = pd.DataFrame(
        {
            "qty_over_available_max": [2.0, 2.0, 2.0],
            "stage_line": [1.0, np.nan, 0.0],
            "stage_fix_sku": ["MILK-S1", "MILK-S2", None],
        }
    )
    hits = evaluate(_load(_doc(_rule(then=then))), frame)
    assert hits[0][0].suggestion is not None
    assert hits[0][0].suggestion.model_dump() == {"field": "lines[1].sku", "value": "MILK-S1"}
    assert hits[1][0].suggestion is None and hits[2][0].suggestion is None
    known = {"qty_over_available_max", "stage_fix_sku"}
    msg = _problems(_doc(_rule("lined", then=then)), known)
    assert "rule 'lined' (rules[0]) at then.suggestion.field: unknown feature 'stage_line'" in msg
    then["suggestion"]["field"] = "lines[{stage line}].sku"
    assert "placeholder {stage line} must be a feature name" in _problems(_doc(_rule(then=then)))


def test_a_suggestion_without_a_value_falls_back_to_its_otherwise():
    """No other warehouse can ship the order: the rule offers the split instead; neither: none.
    Each suggestion of the chain is validated where it stands."""
    then = _suggesting("m", "warehouse_id", "alt_warehouse")
    then["suggestion"]["otherwise"] = {"field": "split", "value_from": "split_plan"}
    frame = pd.DataFrame(
        {
            "qty_over_available_max": [2.0, 2.0, 2.0],
            "alt_warehouse": ["WH-GZ", None, None],
            "split_plan": [{"A": "WH-BJ"}, {"A": "WH-BJ", "B": "WH-GZ"}, None],
        }
    )
    hits = evaluate(_load(_doc(_rule(then=then))), frame)
    assert [h[0].suggestion.model_dump() if h[0].suggestion else None for h in hits] == [
        {"field": "warehouse_id", "value": "WH-GZ"},
        {"field": "split", "value": {"A": "WH-BJ", "B": "WH-GZ"}},
        None,
    ]
    known = {"qty_over_available_max", "alt_warehouse"}
    msg = _problems(_doc(_rule("chained", then=then)), known)
    at = "rule 'chained' (rules[0]) at then.suggestion.otherwise.value_from"
    assert f"{at}: unknown feature 'split_plan'" in msg
    then["suggestion"]["otherwise"] = {"field": "split"}
    assert "then.suggestion.otherwise" in _problems(_doc(_rule(then=then)))


def test_disabled_rules_do_not_fire():
    rs = _load(_doc(_rule(enabled=False)))
    assert evaluate(rs, pd.DataFrame({"qty_over_available_max": [5.0]})) == [[]]
    assert summary(rs)["enabled"] == 0 and summary(rs)["rules"] == 1


def test_decide_from_thresholds_and_hits():
    doc = _doc(
        _rule("h"),
        _rule(
            "r",
            type="price",
            code="PRICE_TOTAL_MISMATCH",
            then={"action": "review", "score": 0.6, "message": "m"},
            when={"feature": "total_gap_ratio", "op": ">", "value": 0.02},
        ),
    )
    doc["thresholds"]["price"] = {"review": 0.4, "hold": 0.8}
    rs = _load(doc)
    frame = pd.DataFrame(
        {"qty_over_available_max": [0.5, 0.5, 3.0], "total_gap_ratio": [0, 0.1, 0]}
    )
    none, review_hit, hold_hit = evaluate(rs, frame)
    assert decide(rs, {"price": 0.1, "stock": 0.2}, none) == "pass"
    assert decide(rs, {"price": 0.4}, none) == "review"
    assert decide(rs, {"price": 0.8}, none) == "hold"
    assert decide(rs, {"price": 0.1}, review_hit) == "review"
    assert decide(rs, {"price": 0.1}, hold_hit) == "hold"
    assert hit_scores(review_hit + hold_hit) == {"price": 0.6, "stock": 0.95}


def _address_rule(code: str, feature: str, score: float) -> dict:
    """A fallback address rule raising ``code`` (review) where ``feature`` is 1."""
    return _rule(
        feature,
        level="fallback",
        type="address",
        code=code,
        when={"feature": feature, "op": "==", "value": 1},
        then={"action": "review", "score": score, "message": "m"},
    )


def test_review_only_codes_send_to_review_at_most():
    short = _address_rule("ADDR_NONSTANDARD_NAME", "short", 0.95)  # over hold: allowed here
    doc = _doc(short, _address_rule("ADDR_DETAIL_MISSING", "bare", 0.6))
    doc["review_only"] = ["ADDR_NONSTANDARD_NAME", "ADDR_REDUNDANT"]
    rs = _load(doc)
    assert summary(rs)["review_only"] == ["ADDR_NONSTANDARD_NAME", "ADDR_REDUNDANT"]
    only_short, both = evaluate(rs, pd.DataFrame({"short": [1, 1], "bare": [0, 1]}))
    # a model's issue of a review_only code: reviewed however sure the model is
    assert decide(rs, {"address": 0.99}, [], {"address": "ADDR_REDUNDANT"}) == "review"
    assert decide(rs, {"address": 0.99}, [], {"address": "ADDR_DETAIL_MISSING"}) == "hold"
    assert decide(rs, {"address": 0.99}, []) == "hold"  # no issue raised: the score decides
    assert decide(rs, {"stock": 0.99}, [], {"address": "ADDR_REDUNDANT"}) == "hold"
    # a rule's, even with a score over the hold threshold; not beside another code of the type
    assert decide(rs, hit_scores(only_short), only_short) == "review"
    assert decide(rs, hit_scores(both), both) == "hold"
    # without the list, the same score holds
    assert decide(_load(_doc()), {"address": 0.99}, [], {"address": "ADDR_REDUNDANT"}) == "hold"


def test_review_only_is_checked():
    doc = _doc(_rule("short", type="address", code="ADDR_NONSTANDARD_NAME"))
    doc["review_only"] = ["ADDR_NONSTANDARD_NAME", "ADDR_SHORT"]
    msg = _problems(doc)
    assert "review_only[1]: unknown issue code 'ADDR_SHORT'" in msg
    assert "rule 'short'" in msg and "cannot hold" in msg
    doc["review_only"] = "ADDR_NONSTANDARD_NAME"
    assert "review_only" in _problems(doc)


def test_auto_correct_codes_must_be_review_only():
    doc = _doc()
    doc["review_only"] = ["ADDR_REDUNDANT"]
    doc["auto_correct"] = ["ADDR_REDUNDANT", "ADDR_MISSING_LEVEL"]
    msg = _problems(doc)
    assert "auto_correct[1]: ADDR_MISSING_LEVEL is not review_only" in msg
    doc["auto_correct"] = ["ADDR_REDUNDANT"]
    assert summary(_load(doc))["auto_correct"] == ["ADDR_REDUNDANT"]


def _issue(code: str, suggestion: bool = True, kind: str = "address") -> Issue:
    fix = Suggestion(field="address", value={"district": "西湖区"}) if suggestion else None
    return Issue(type=kind, code=code, score=0.99, scored_by="model", message="m", suggestion=fix)


def test_only_issues_the_pipeline_corrects_pass():
    doc = _doc()
    doc["review_only"] = doc["auto_correct"] = ["ADDR_REDUNDANT", "ADDR_FORMER_NAME"]
    rs = _load(doc)
    twice, low = [_issue("ADDR_REDUNDANT")], {"address": 0.99, "stock": 0.1}
    assert auto_corrected(rs, twice, ("ADDR_REDUNDANT",), low)
    assert auto_corrected(rs, [*twice, _issue("ADDR_FORMER_NAME")], (), low)
    # another issue, a missing suggestion, another defect the parser saw, or another type over
    # its review threshold: a person looks
    assert not auto_corrected(rs, [*twice, _issue("ADDR_DETAIL_MISSING")], (), low)
    assert not auto_corrected(rs, [_issue("ADDR_REDUNDANT", suggestion=False)], (), low)
    assert not auto_corrected(rs, twice, ("ADDR_REDUNDANT", "ADDR_DETAIL_MISSING"), low)
    assert not auto_corrected(rs, twice, (), {"address": 0.99, "stock": 0.6})
    assert not auto_corrected(rs, [], (), {"address": 0.1})
    # off unless the file lists codes
    assert not auto_corrected(_load(_doc()), twice, (), low)


# --- hot reload -------------------------------------------------------------------------------


def test_store_keeps_old_rules_on_a_bad_file(tmp_path: Path):
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(_doc(_rule())), encoding="utf-8")
    store = RuleStore(path, min_check_interval_s=0)
    old = store.current
    path.write_text(yaml.safe_dump(_doc(_rule(code="STOCK_NOPE"))), encoding="utf-8")
    with pytest.raises(RuleFileError):
        store.reload()
    assert store.current is old and store.last_error is not None
    assert store.maybe_reload() is False  # unchanged bad file is not retried

    path.write_text(yaml.safe_dump(_doc(_rule(), _rule("second"))), encoding="utf-8")
    os.utime(path, ns=(1, 2_000_000_000_000_000_000))  # mtime differs even on coarse clocks
    assert store.maybe_reload() is True
    assert store.current.version != old.version and len(store.current.rules) == 2
    assert store.last_error is None and store.maybe_reload() is False


# --- replay -----------------------------------------------------------------------------------


def _result(oid: str, action: str, *codes: str) -> ScoreResult:
    issues = [Issue(type="price", code=c, score=0.7, scored_by="rules", message="m") for c in codes]
    return ScoreResult(order_id=oid, action=action, risk=0.7, issues=issues)


def test_replay_counts_and_transitions():
    before = [
        _result("a", "pass"),
        _result("b", "review", "PRICE_TOTAL_MISMATCH"),
        _result("c", "review", "PRICE_TOTAL_MISMATCH"),
    ]
    after = [
        _result("a", "review", "PRICE_STACKED_DISCOUNT"),
        _result("b", "pass"),
        _result("c", "review", "PRICE_TOTAL_MISMATCH"),
    ]
    rep = compare(before, after)
    assert rep["actions"]["pass"] == {"before": 1, "after": 1}
    assert rep["actions"]["review"] == {"before": 2, "after": 2}
    assert rep["transitions"]["pass"]["review"] == 1 and rep["transitions"]["review"]["pass"] == 1
    assert rep["transitions"]["review"]["review"] == 1
    assert rep["codes"]["PRICE_TOTAL_MISMATCH"] == {"before": 2, "after": 1}
    assert rep["codes"]["PRICE_STACKED_DISCOUNT"] == {"before": 0, "after": 1}
    assert rep["changed"] == 2 and rep["changed_order_ids"] == ["a", "b"]
    assert len(render(rep).renderables) == 3
    with pytest.raises(ValueError):
        compare(before, after[::-1])


# --- the shipped rule file --------------------------------------------------------------------

DEFAULT_RULES = Path(__file__).resolve().parents[2] / "rules" / "default.yaml"


def _known_features() -> set[str]:
    from features.address import FEATURES as ADDRESS_FEATURES
    from features.orders import FEATURES

    return set(FEATURES) | {f"addr_{c}" for c in ADDRESS_FEATURES}


def test_default_rules_load_with_the_real_feature_tables():
    rs = load_rules(DEFAULT_RULES, _known_features())
    info = summary(rs)
    assert info["enabled"] >= 15
    assert {"1", "2", "3", "fallback"} <= set(info["by_level"])
    assert set(info["by_type"]) == set(TYPES)
    fallback_types = {r.type for r in rs.active if r.fallback}
    assert fallback_types == {"address", "stock", "price"}


def test_default_rules_on_hand_built_orders():
    from datetime import datetime, timedelta, timezone

    from features.orders import order_feature_frame
    from ordersight.reference import ReferenceData
    from ordersight.schema import Order
    from tests.unit.test_order_features import CATALOG, STOCK, WAREHOUSES, _frame

    ref = ReferenceData(
        _frame(CATALOG, "catalog"), _frame(WAREHOUSES, "warehouses"), _frame(STOCK, "stock")
    )
    at = datetime(2025, 11, 11, 10, tzinfo=timezone(timedelta(hours=8)))

    def order(lines, paid, **extra) -> Order:
        return Order.model_validate(
            {
                "order_id": f"o{paid}",
                "channel": "jd",
                "created_at": at,
                "address": {"raw": "北京市朝阳区建国路1号", "phone": "13800138000"},
                "lines": [{"sku": s, "qty": q, "unit_price": p} for s, q, p in lines],
                "paid_amount": paid,
                **extra,
            }
        )

    orders = [
        order([("MILK-S1", 2, 290.0)], 580.0, attributes={"baby_age_months": 3}),  # clean
        order([("MILK-S1", 1, 290.0)], 290.0, attributes={"baby_age_months": 20}),  # stage
        order([("MILK-S1", 7, 290.0)], 2030.0),  # over the per-order limit of 6
        order([("TV-55", 2, 3900.0)], 7800.0, warehouse_id="WH-HZ"),  # 1 on hand at WH-HZ
        order([("TV-55", 1, 3900.0), ("MILKS1", 1, 290.0)], 4190.0),  # the dash left out
        order([("MILK-S3", 1, 2.8)], 2.8),  # yuan typed as fen
        order([("MILK-S1", 50, 290.0), ("TV-55", 2, 3900.0)], 22300.0, warehouse_id="WH-HZ"),
        order([("MILK-S1", 2, 290.0)], None),  # no paid amount: optional (CONTRACT §2)
    ]
    rs = load_rules(DEFAULT_RULES)
    frame = order_feature_frame(orders, ref, adcodes=["110105"] * len(orders))
    hits = evaluate(rs, frame)
    codes = [{h.code for h in row} for row in hits]
    assert codes[0] == set()
    assert "COMPLIANCE_FORMULA_STAGE" in codes[1]
    assert "COMPLIANCE_QTY_LIMIT" in codes[2]
    assert "STOCK_INSUFFICIENT" in codes[3]
    stock_hit = next(h for h in hits[3] if h.code == "STOCK_INSUFFICIENT")
    assert stock_hit.suggestion is not None and stock_hit.suggestion.value == "WH-GZ"
    assert codes[4] == {"FMT_UNKNOWN_SKU"}
    assert codes[7] == set()
    assert "PRICE_UNIT_ERROR" in codes[5] and "PRICE_BELOW_FLOOR" not in codes[5]
    # each suggestion names the line it corrects
    fixes = {
        (i, h.code): h.suggestion.model_dump()
        for i, row in enumerate(hits)
        for h in row
        if h.suggestion
    }
    assert fixes[1, "COMPLIANCE_FORMULA_STAGE"] == {"field": "lines[0].sku", "value": "MILK-S3"}
    assert fixes[2, "COMPLIANCE_QTY_LIMIT"] == {"field": "lines[0].qty", "value": 6}
    assert fixes[4, "FMT_UNKNOWN_SKU"] == {"field": "lines[1].sku", "value": "MILK-S1"}
    assert fixes[5, "PRICE_UNIT_ERROR"] == {"field": "lines[0].unit_price", "value": 280.0}
    # no warehouse holds both lines: each SKU from one that holds it
    split = {"MILK-S1": "WH-BJ", "TV-55": "WH-GZ"}
    assert fixes[6, "STOCK_INSUFFICIENT"] == {"field": "split", "value": split}
    actions = [decide(rs, hit_scores(h), h) for h in hits]
    assert actions == ["pass", "hold", "hold", "hold", "review", "review", "hold", "pass"]
    # With the price model scoring every row the price fallback stays quiet; hard rules do not.
    scored = evaluate(rs, frame, {t: np.ones(len(orders), bool) for t in ("price", "stock")})
    assert "PRICE_UNIT_ERROR" not in {h.code for h in scored[5]}
    assert "STOCK_INSUFFICIENT" in {h.code for h in scored[3]}


def test_restricted_region_rule_once_an_operator_enables_it():
    """Shipped switched off (the lists are the operator's); enabled, it holds exactly the orders
    with a listed category going to a listed region."""
    from features.orders import order_feature_frame
    from ordersight.reference import ReferenceData
    from tests.unit.test_order_features import CATALOG, STOCK, WAREHOUSES, _frame, order

    ref = ReferenceData(
        _frame(CATALOG, "catalog"), _frame(WAREHOUSES, "warehouses"), _frame(STOCK, "stock")
    )
    doc = yaml.safe_load(DEFAULT_RULES.read_text("utf-8"))
    rule = next(r for r in doc["rules"] if r["code"] == "COMPLIANCE_RESTRICTED_REGION")
    assert rule["enabled"] is False
    rule["enabled"] = True
    rule["when"]["all"][0]["value"] = ["appliance"]
    rs = parse_rules(yaml.safe_dump(doc, allow_unicode=True).encode(), "edited.yaml")
    tv, milk = [("TV-55", 1, 4000.0)], [("MILK-S1", 1, 300.0)]
    orders = [order(tv, oid="lhasa"), order(tv, oid="kashgar"), order(milk, oid="milk-lhasa")]
    orders.append(order(tv, oid="hangzhou"))
    frame = order_feature_frame(orders, ref, adcodes=["540102", "653101", "540102", "330106"])
    hits = evaluate(rs, frame)
    held = [
        o.order_id
        for o, h in zip(orders, hits, strict=True)
        if any(x.code == "COMPLIANCE_RESTRICTED_REGION" for x in h)
    ]
    assert held == ["lhasa", "kashgar"]
    hit = next(x for x in hits[0] if x.code == "COMPLIANCE_RESTRICTED_REGION")
    assert decide(rs, hit_scores(hits[0]), hits[0]) == "hold"
    assert "appliance" in hit.message and "540100" in hit.message
