"""Stock and price models on a small generated world: quality gates on held-out (later) orders.

The models come from the session's real training run (``trained_settings``: `ordersight train`
into a temporary MLflow registry); these tests read its evaluation report and load the
registered champions, so nothing is trained twice.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.orders import order_feature_frame
from models.registry import MODEL_NAMES, Registry
from models.tabular import IssueModel
from ordersight.schema import Order, OrderLine
from training.orders import HOLDOUT, load_reference, parsed_adcodes

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def models(trained_settings) -> dict[str, IssueModel]:
    registry = Registry(trained_settings.tracking_uri)
    out = {}
    for issue_type in ("stock", "price"):
        loaded = registry.load(MODEL_NAMES[issue_type], "champion")
        assert loaded is not None, f"{issue_type} has no champion: its gates failed"
        out[issue_type] = loaded.model
    return out


@pytest.fixture(scope="module")
def holdout(small_world: Path) -> tuple[pd.DataFrame, pd.DataFrame, list[Order]]:
    """Features of the held-out (latest) orders, with each order's labels by type."""
    lines = (small_world / "orders.jsonl").read_text("utf-8").splitlines()
    orders = [Order.model_validate_json(x) for x in lines[int(len(lines) * (1 - HOLDOUT)) :]]
    frame = order_feature_frame(orders, load_reference(small_world), adcodes=parsed_adcodes(orders))
    raw = pd.read_csv(small_world / "labels.csv", dtype=str)
    by_type = raw.groupby(["order_id", "type"])["code"].first().unstack()
    labels = by_type.reindex([o.order_id for o in orders]).reset_index(drop=True)
    return frame, labels, orders


@pytest.mark.parametrize("issue_type", ["stock", "price"])
def test_quality_gates_on_held_out_orders(trained_settings, issue_type):
    report = trained_settings.train_report[issue_type]["report"]
    assert report["n_positive"] >= 30, "too few held-out issues to measure"
    assert report["recall"] >= 0.95, report
    assert report["precision"] >= 0.90, report
    assert report["clean_flagged"] <= 0.07, report
    assert trained_settings.train_report[issue_type]["gates_passed"]


@pytest.mark.parametrize("issue_type", ["stock", "price"])
def test_code_is_right_for_caught_issues(models, holdout, issue_type):
    model = models[issue_type]
    frame, labels, _ = holdout
    preds = model.predict_frame(frame)
    truth = labels[issue_type].fillna("").to_numpy()
    caught = (preds["score"].to_numpy() >= model.threshold) & (truth != "")
    picked = np.array(model.codes)[preds[model.codes].to_numpy().argmax(axis=1)]
    assert caught.sum() >= 30
    assert (picked[caught] == truth[caught]).mean() >= 0.9


def test_saved_model_predicts_and_explains_the_same(models, holdout, tmp_path):
    model = models["price"]
    frame = holdout[0].head(200)
    again = IssueModel.load(model.save(tmp_path / "price"))
    pd.testing.assert_frame_equal(again.predict_frame(frame), model.predict_frame(frame))
    assert again.explain(frame) == model.explain(frame)
    assert {f for row in model.explain(frame) for f, _ in row} <= set(model.feature_names)


def test_the_registered_model_serves_through_mlflow_pyfunc(models, holdout, trained_settings):
    """What `mlflow models serve` loads: the price champion as a pyfunc scores as the model does;
    a request without one feature is scored with it missing. (It is logged without a signature:
    checking each request against one halved `mlflow models serve`'s single-row rate, 580 → 268
    req/s, and the bench compares against that server at its fastest.)"""
    import mlflow

    model = models["price"]
    mlflow.set_tracking_uri(trained_settings.tracking_uri)
    served = mlflow.pyfunc.load_model(f"models:/{MODEL_NAMES['price']}@champion")
    frame = holdout[0][model.feature_names].head(300)
    pd.testing.assert_frame_equal(served.predict(frame), model.predict_frame(frame))
    dropped = frame.drop(columns=model.feature_names[0])
    missing = frame.assign(**{model.feature_names[0]: np.nan})
    pd.testing.assert_frame_equal(served.predict(dropped), model.predict_frame(missing))


def test_orders_asking_for_more_than_any_stock_are_flagged(models, holdout, small_world: Path):
    """Directional: clean orders re-sent with every line at 10,000 units (more than stocked)."""
    model = models["stock"]
    frame, labels, orders = holdout
    is_clean = labels.isna().all(axis=1).to_numpy()
    clean = [o for o, c in zip(orders, is_clean, strict=True) if c][:300]
    greedy = [
        o.model_copy(update={"lines": [ln.model_copy(update={"qty": 10_000}) for ln in o.lines]})
        for o in clean
    ]
    ref = load_reference(small_world)
    before = model.predict_frame(frame[is_clean].head(300))
    after = model.predict_frame(order_feature_frame(greedy, ref, adcodes=parsed_adcodes(greedy)))
    assert (before["score"] >= model.threshold).mean() <= 0.07
    assert (after["score"] >= model.threshold).mean() >= 0.95
    assert (after[model.codes].idxmax(axis=1) == "STOCK_INSUFFICIENT").mean() >= 0.95


def test_unknown_sku_or_warehouse_goes_to_rules(models, holdout, small_world: Path):
    frame, _, orders = holdout
    bad = [
        orders[0].model_copy(
            update={"lines": [orders[0].lines[0].model_copy(update={"sku": "?"})]}
        ),
        orders[1].model_copy(update={"warehouse_id": "WH-NOWHERE"}),
        orders[2],
    ]
    odd = order_feature_frame(bad, load_reference(small_world), adcodes=[None] * 3)
    assert models["price"].required_missing(odd).tolist() == [True, False, False]
    assert models["stock"].required_missing(odd).tolist() == [True, True, False]
    assert not models["stock"].required_missing(frame).any()


def test_user_catalog_without_floors_or_history_does_not_flag_clean_orders(
    models, holdout, small_world: Path
):
    """A user's reference data may lack optional inputs: missing must read as no evidence."""
    ref = load_reference(small_world)
    ref.extra.pop("history")
    ref.catalog = ref.catalog.assign(price_floor=np.nan)
    frame, labels, orders = holdout
    clean = [o for o, c in zip(orders, labels.isna().all(axis=1), strict=True) if c][:2000]
    user = order_feature_frame(clean, ref, adcodes=parsed_adcodes(clean))
    assert user["unit_over_floor_min"].isna().all()
    for issue_type, model in models.items():
        flagged = model.predict_frame(user)["score"].to_numpy() >= model.threshold
        assert flagged.mean() <= 0.02, issue_type


def test_a_free_gift_line_does_not_flag_a_clean_order(models, holdout, small_world: Path):
    """Real orders carry 赠品 lines at price 0, marked or not: the price model must not take them
    for a pricing error. A marked token-price add-on (0.01) is a gift too."""
    frame, labels, orders = holdout
    ref = load_reference(small_world)
    clean = [o for o, c in zip(orders, labels.isna().all(axis=1), strict=True) if c][:500]
    gift_sku = str(ref.catalog.sort_values("list_price")["sku"].iloc[0])
    kinds = [(0.0, False), (0.0, True), (0.01, True)]  # unmarked, marked, marked token price
    with_gift = [
        o.model_copy(update={"lines": [*o.lines, OrderLine(sku=gift_sku, qty=1, unit_price=p,
                                                           gift=marked)]})
        for i, o in enumerate(clean)
        for p, marked in [kinds[i % 3]]
    ]  # fmt: skip
    price = models["price"]
    flagged = price.predict_frame(order_feature_frame(with_gift, ref))["score"] >= price.threshold
    assert flagged.mean() <= 0.02
    # a pricing error stays one: the same SKU alone at price 0 on an order of its own
    alone = [o.model_copy(update={"lines": [OrderLine(sku=gift_sku, qty=1, unit_price=0.0)]})
             for o in clean[:200]]  # fmt: skip
    flagged = price.predict_frame(order_feature_frame(alone, ref))["score"] >= price.threshold
    assert flagged.mean() >= 0.95


def test_postage_in_the_paid_amount_does_not_flag_a_clean_order(models, holdout, small_world):
    """Platforms' paid amounts include the postage; the adapters keep it as shipping_fee."""
    frame, labels, orders = holdout
    clean = [o for o, c in zip(orders, labels.isna().all(axis=1), strict=True) if c][:500]
    shipped = [
        o.model_copy(update={"paid_amount": (o.paid_amount or 0) + 12.0,
                             "attributes": {**o.attributes, "shipping_fee": 12.0}})
        for o in clean
    ]  # fmt: skip
    price = models["price"]
    feats = order_feature_frame(shipped, load_reference(small_world))
    assert (price.predict_frame(feats)["score"] >= price.threshold).mean() <= 0.02


def _at_prices(orders: list[Order], lists: dict[str, float], share: float, first: float | None):
    """The orders with every line at ``share`` of its list price (the first line at ``first`` of
    it when given), paid exactly, no discount or attributes: only the unit prices speak."""
    out = []
    for o in orders:
        shares = [first if (i == 0 and first is not None) else share for i in range(len(o.lines))]
        lines = [ln.model_copy(update={"unit_price": round(lists[ln.sku] * f, 2),
                                       "list_price": lists[ln.sku]})
                 for ln, f in zip(o.lines, shares, strict=True)]  # fmt: skip
        paid = round(sum(ln.qty * ln.unit_price for ln in lines), 2)
        update = {"lines": lines, "paid_amount": paid, "discount_amount": 0.0, "attributes": {}}
        out.append(o.model_copy(update=update))
    return out


@pytest.mark.parametrize(
    ("cost_share", "clean_share", "below_cost_share"),
    [(0.9, 0.97, 0.84), (0.2, 0.5, 0.12)],
    ids=["thin margins, near list", "fat margins, clearance at half price"],
)
def test_price_model_reads_a_line_against_its_cost_on_other_margins(
    models, holdout, small_world: Path, cost_share, clean_share, below_cost_share
):
    """Catalogs made elsewhere have their own margins (formula sells near cost, cosmetics far
    above it). A line under cost is caught, and a clean sale far under list is not held, from
    the cost, not from how far the price sits under the list (no price floors given)."""
    frame, labels, orders = holdout
    ref = load_reference(small_world)
    ref.catalog = ref.catalog.assign(
        cost=ref.catalog["list_price"] * cost_share, price_floor=np.nan
    )
    lists = dict(zip(ref.catalog["sku"], ref.catalog["list_price"], strict=True))
    clean = [o for o, c in zip(orders, labels.isna().all(axis=1), strict=True) if c]
    plain = [o for o in clean if all(ln.sku in lists and not ln.gift for ln in o.lines)][:600]
    price = models["price"]

    def flagged(batch: list[Order]) -> pd.DataFrame:
        scores = price.predict_frame(order_feature_frame(batch, ref))
        return scores[scores["score"] >= price.threshold]

    assert len(flagged(_at_prices(plain, lists, clean_share, None))) <= 0.03 * len(plain)
    caught = flagged(_at_prices(plain, lists, clean_share, below_cost_share))
    assert len(caught) >= 0.95 * len(plain)
    codes = caught.drop(columns="score").idxmax(axis=1)
    assert (codes == "PRICE_BELOW_COST").mean() >= 0.95, codes.value_counts()


@pytest.mark.parametrize("issue_type", ["stock", "price"])
def test_compiled_trees_score_like_the_booster(models, holdout, issue_type):
    """Loaded champions score with compiled trees; the numbers are the booster's own."""
    model = models[issue_type]
    assert model.compiled is not None
    x = model.matrix(holdout[0])
    assert np.isnan(x).any(), "held-out rows should include missing features"
    booster = model.binary.predict(x)
    np.testing.assert_allclose(model.compiled(x), booster, rtol=0, atol=1e-12)
    np.testing.assert_allclose(model.compiled(x[:1]), booster[:1], rtol=0, atol=1e-12)
    assert model.compiled_codes is not None
    shares = model.compiled_codes(x).reshape(len(x), len(model.codes))
    np.testing.assert_allclose(shares, model.multi.predict(x), rtol=0, atol=1e-12)
