"""The product's outcome counts: problems caught with a correction, orders sent to a person."""

from __future__ import annotations

from ordersight.outcomes import order_outcomes
from ordersight.schema import Issue, ScoreResult, Suggestion


def _result(order_id: str, action: str, *issues: tuple[str, str, bool]) -> ScoreResult:
    return ScoreResult(
        order_id=order_id,
        action=action,
        risk=0.9 if issues else 0.0,
        issues=[
            Issue(
                type=kind,
                code=code,
                score=0.9,
                scored_by="model",
                message="m",
                suggestion=Suggestion(field="f", value=1) if fixed else None,
                evidence=[],
            )
            for kind, code, fixed in issues
        ],
        scores={},
        scored_by={},
        model_versions={},
        rules_version="v",
        latency_ms=0.1,
    )


def test_a_problem_counts_when_its_type_is_flagged_and_corrected_when_it_carries_a_fix():
    results = [
        _result("typo", "review", ("address", "ADDR_REGION_CONFLICT", True)),  # same type: caught
        _result("stage", "hold", ("compliance", "COMPLIANCE_FORMULA_STAGE", False)),
        _result("dup", "review", ("price", "PRICE_BELOW_COST", True)),  # another type: missed
        _result("missed", "pass"),
        _result("both", "hold", ("stock", "STOCK_INSUFFICIENT", True)),
        _result("false-alarm", "review", ("price", "PRICE_BELOW_COST", True)),
        *(_result(f"clean{i}", "pass") for i in range(4)),
    ]
    labels = [
        ("typo", "ADDR_TYPO"),
        ("stage", "COMPLIANCE_FORMULA_STAGE"),
        ("dup", "DUP_CROSS_CHANNEL"),
        ("missed", "STOCK_RESERVED"),
        ("both", "STOCK_INSUFFICIENT"),
        ("both", "PRICE_TOTAL_MISMATCH"),
        ("not-scored", "ADDR_TYPO"),
    ]
    out = order_outcomes(results, labels)
    assert (out.orders, out.problems, out.caught, out.corrected) == (10, 5, 3, 2)
    assert (out.to_person, out.held, out.clean_to_person) == (5, 2, 1)
    assert out.unmatched_labels == 1 and not out.meets_target
    by_code = {c.code: (c.labelled, c.caught, c.corrected) for c in out.codes}
    assert by_code["ADDR_TYPO"] == (1, 1, 1)
    assert by_code["COMPLIANCE_FORMULA_STAGE"] == (1, 1, 0)
    assert by_code["PRICE_TOTAL_MISMATCH"] == (1, 0, 0)  # its order was caught for stock only
    assert out.codes[0].corrected - out.codes[0].labelled == -1  # those missing most come first
    report = out.as_dict()
    assert report["corrected_share"] == 0.4 and report["to_person_share"] == 0.5


def test_the_target_is_met_only_on_both_counts():
    caught = [_result(f"p{i}", "review", ("price", "PRICE_BELOW_COST", True)) for i in range(10)]
    clean = [_result(f"c{i}", "pass") for i in range(102)]
    labels = [(f"p{i}", "PRICE_BELOW_COST") for i in range(10)]
    assert order_outcomes(caught + clean, labels).meets_target  # 10 of 112 orders: 8.9 %
    assert not order_outcomes(caught + clean[:-1], labels).meets_target  # 10 of 111: 9.01 %
    fixes = caught[:9] + [_result("p9", "review", ("price", "PRICE_BELOW_COST", False))]
    assert not order_outcomes(fixes + clean, labels).meets_target  # 9 of 10 corrected


def test_a_problem_passed_with_its_correction_is_caught_without_a_person():
    """A pass carries issues only when the rule file's auto_correct lets the pipeline apply them
    (a level written twice): caught and corrected, and no person saw it."""
    results = [
        _result("twice", "pass", ("address", "ADDR_REDUNDANT", True)),
        _result("clean", "pass"),
    ]
    out = order_outcomes(results, [("twice", "ADDR_REDUNDANT")])
    assert (out.caught, out.corrected, out.to_person) == (1, 1, 0)


def test_a_problem_only_the_buyer_can_correct_is_counted_apart():
    """A door never written is caught and asked of the buyer: it counts against the corrected
    share, not against the correctable one; a problem with another code beside it does not."""
    results = [
        _result("door", "review", ("address", "ADDR_DETAIL_MISSING", False)),
        _result("door+price", "review", ("address", "ADDR_DETAIL_MISSING", False)),
        _result("phone-fixed", "review", ("address", "ADDR_BAD_PHONE", True)),
        _result("price", "review", ("price", "PRICE_BELOW_COST", True)),
    ]
    labels = [
        ("door", "ADDR_DETAIL_MISSING"),
        ("door+price", "ADDR_DETAIL_MISSING"),
        ("door+price", "PRICE_TOTAL_MISMATCH"),
        ("phone-fixed", "ADDR_BAD_PHONE"),
        ("price", "PRICE_BELOW_COST"),
    ]
    out = order_outcomes(results, labels)
    assert (out.problems, out.corrected, out.needs_buyer) == (4, 2, 1)
    assert out.corrected_share == 0.5 and out.correctable_share == 2 / 3
