"""Order scoring quality on held-out demo orders, through the same Scorer the API uses.

Gates (issue 5): per model type recall ≥ 0.95 at precision ≥ 0.90; ≤ 7 % of clean orders sent to
a person; and with every model removed, the rules fallback still catches each hard-rule case.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest
import yaml

from ordersight.outcomes import TARGET_CORRECTED, TARGET_TO_PERSON, order_outcomes
from ordersight.rules.engine import auto_corrected
from ordersight.rules.loader import load_rules
from ordersight.schema import Order, ScoreResult
from serving.offline import build_scorer
from serving.service import Scorer

pytestmark = pytest.mark.slow
HOLDOUT = 0.2
HARD_CODES = (
    "STOCK_INSUFFICIENT",
    "STOCK_RESERVED",
    "COMPLIANCE_FORMULA_STAGE",
    "COMPLIANCE_QTY_LIMIT",
    "DUP_CROSS_CHANNEL",
    "DUP_SAME_CHANNEL",
)


def _orders(world: Path) -> list[Order]:
    with (world / "orders.jsonl").open(encoding="utf-8") as fh:
        return [Order.model_validate_json(line) for line in fh if line.strip()]


def _score_all(scorer: Scorer, orders: list[Order]) -> list[ScoreResult]:
    """Replay in time order so the duplicate index sees what came before, as in production."""
    out: list[ScoreResult] = []
    for start in range(0, len(orders), 5_000):
        out += scorer.score(orders[start : start + 5_000])
    return out


@pytest.fixture(scope="module")
def held_out(trained_settings) -> dict:
    world = Path(trained_settings.reference_dir)
    orders = _orders(world)
    labels = pd.read_csv(world / "labels.csv", dtype=str)
    results = _score_all(build_scorer(trained_settings), orders)
    cut = int(len(orders) * (1 - HOLDOUT))
    return {
        "orders": orders[cut:],
        "results": results[cut:],
        "labels": labels,
        "settings": trained_settings,
    }


def _by_order(labels: pd.DataFrame) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for order_id, issue_type in zip(labels["order_id"], labels["type"], strict=True):
        out[order_id].add(issue_type)
    return out


@pytest.mark.parametrize("issue_type", ["address", "stock", "price"])
def test_per_type_recall_and_precision(held_out: dict, issue_type: str) -> None:
    truth = _by_order(held_out["labels"])
    tp = fp = fn = 0
    for result in held_out["results"]:
        actual = issue_type in truth.get(result.order_id, set())
        flagged = any(i.type == issue_type for i in result.issues)
        tp += actual and flagged
        fp += flagged and not actual
        fn += actual and not flagged
    recall = tp / max(tp + fn, 1)
    precision = tp / max(tp + fp, 1)
    print(f"{issue_type}: recall {recall:.3f} precision {precision:.3f} (tp={tp} fp={fp} fn={fn})")
    assert tp + fn > 0, "held-out part has no labeled issue of this type"
    assert recall >= 0.95
    assert precision >= 0.90


def test_few_clean_orders_go_to_a_person(held_out: dict) -> None:
    truth = _by_order(held_out["labels"])
    clean = [r for r in held_out["results"] if r.order_id not in truth]
    sent = sum(r.action != "pass" for r in clean)
    share = sent / len(clean)
    print(f"clean orders sent to a person: {share:.2%} of {len(clean)}")
    assert share <= 0.07


def test_problems_are_caught_with_a_correction_and_few_orders_go_to_a_person(held_out: dict):
    """The product's target: >= 92 % of problem orders caught before fulfilment with a
    correction suggestion, <= 9 % of all orders sent to a person (ordersight.outcomes). The
    correction is gated where the order can hold one: the demo's missing doors and most of its
    bad phones (ordersight.outcomes.BUYER_ONLY) are caught and asked of the buyer."""
    labels = held_out["labels"]
    outcomes = order_outcomes(
        held_out["results"], zip(labels["order_id"], labels["code"], strict=True)
    )
    report = outcomes.as_dict()
    shares = ("caught_share", "corrected_share", "correctable_share", "to_person_share")
    print({k: report[k] for k in ("problems", "needs_buyer", *shares)})
    print([(c.code, c.labelled, c.corrected) for c in outcomes.codes[:5]])
    assert outcomes.problems > 200
    assert report["caught_share"] >= TARGET_CORRECTED
    assert outcomes.correctable_share >= TARGET_CORRECTED
    assert outcomes.to_person_share <= TARGET_TO_PERSON
    by_code = {c.code: c for c in outcomes.codes}
    for code in ("DUP_CROSS_CHANNEL", "COMPLIANCE_FORMULA_STAGE", "COMPLIANCE_QTY_LIMIT"):
        assert by_code[code].corrected == by_code[code].labelled > 0, code  # once none had one


def test_review_only_codes_send_to_a_person_but_never_hold(held_out: dict) -> None:
    """A district written short, a former name, a level written twice: the model is sure of them
    (scores over the address hold threshold), yet the order is reviewed, not stopped; the other
    address codes still hold."""
    rules = load_rules(held_out["settings"].rules_file)
    hold_at = rules.thresholds["address"].hold
    only = [
        r
        for r in held_out["results"]
        if r.issues and {i.code for i in r.issues} <= rules.review_only
    ]
    assert {r.action for r in only} == {"review"}
    assert sum(r.scores["address"] >= hold_at for r in only) > 0.5 * len(only)
    held = [
        r
        for r in held_out["results"]
        if any(i.type == "address" and i.code not in rules.review_only for i in r.issues)
        and r.scores["address"] >= hold_at
    ]
    assert held and {r.action for r in held} == {"hold"}


def test_auto_correct_passes_the_orders_the_pipeline_can_correct(held_out: dict, tmp_path):
    """With the review_only codes listed under auto_correct, an order whose issues all have one,
    each with its suggestion, passes carrying them; every other decision stays; the problems
    caught stay caught and fewer orders go to a person."""
    settings = held_out["settings"]
    doc = yaml.safe_load(Path(settings.rules_file).read_text(encoding="utf-8"))
    doc["auto_correct"] = doc["review_only"]
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    world = Path(settings.reference_dir)
    cut = len(held_out["orders"])
    after = _score_all(build_scorer(settings, rules_file), _orders(world))[-cut:]
    rules = load_rules(rules_file)
    passed = 0
    for before, now in zip(held_out["results"], after, strict=True):
        assert [(i.code, i.suggestion) for i in now.issues] == [
            (i.code, i.suggestion) for i in before.issues
        ]
        if before.action == "review" and auto_corrected(
            rules, before.issues, before.address.defects, before.scores
        ):
            assert now.action == "pass" and now.issues, now.order_id
            assert {i.code for i in now.issues} <= rules.auto_correct
            passed += 1
        else:
            assert now.action == before.action, now.order_id
    labels = list(zip(held_out["labels"]["order_id"], held_out["labels"]["code"], strict=True))
    old, new = order_outcomes(held_out["results"], labels), order_outcomes(after, labels)
    print(f"auto-corrected {passed}; to a person {old.to_person_share:.2%} -> "
          f"{new.to_person_share:.2%}")  # fmt: skip
    assert passed > 10
    assert new.to_person == old.to_person - passed
    assert (new.caught, new.corrected) == (old.caught, old.corrected)


def test_models_scored_the_known_skus(held_out: dict) -> None:
    by = pd.Series([r.scored_by.get("price") for r in held_out["results"]]).value_counts()
    assert by.get("model", 0) > 0.9 * len(held_out["results"])


def test_rules_fallback_alone_catches_every_hard_rule_case(held_out: dict) -> None:
    settings = held_out["settings"]
    fallback = build_scorer(settings)
    fallback.models.champions.clear()
    fallback.models.challengers.clear()
    world = Path(settings.reference_dir)
    results = _score_all(fallback, _orders(world))
    labels = held_out["labels"]
    hard = labels[labels["code"].isin(HARD_CODES)]
    assert len(hard) > 0
    by_id = {r.order_id: r for r in results}
    assert all(set(r.scored_by.values()) == {"rules"} for r in results[:100])
    missed = [
        (row.order_id, row.code)
        for row in hard.itertuples()
        if not any(i.type == row.type for i in by_id[row.order_id].issues)
    ]
    assert missed == []


def test_service_picks_up_a_moved_champion_without_restart(trained_settings) -> None:
    from fastapi.testclient import TestClient

    from models.registry import Registry
    from serving.app import build_services, create_app

    services = build_services(trained_settings)
    with TestClient(create_app(trained_settings, services)) as client:
        before = {m["name"]: m for m in client.get("/v1/models").json()["models"]}
        assert before["ordersight-price"]["alias"] == "champion"
        registry = Registry(trained_settings.tracking_uri)
        loaded = registry.load("ordersight-price")
        new = registry.log_and_register(
            "ordersight-price", loaded.model, {"retrained": 1.0}, {}, {}, gates_passed=True
        )
        assert new != before["ordersight-price"]["version"]
        assert client.post("/v1/models/reload").json()["reloaded"] == {"price@champion": new}
        after = {m["name"]: m for m in client.get("/v1/models").json()["models"]}
        assert after["ordersight-price"]["version"] == new
        order = (Path(trained_settings.reference_dir) / "orders.jsonl").read_text(encoding="utf-8")
        scored = client.post(
            "/v1/orders/score",
            content=order.splitlines()[0],
            headers={"content-type": "application/json"},
        ).json()
        assert scored["model_versions"]["price"] == new


def test_shadow_challenger_is_counted_never_returned(held_out: dict) -> None:
    """A challenger scores the champion's own features beside it: its disagreements reach
    Prometheus, the answers stay the champion's."""
    import dataclasses

    from serving.metrics import Metrics

    settings = held_out["settings"]
    orders = held_out["orders"][:2_000]
    alone = build_scorer(settings)
    champion = alone.models.champions["price"]
    xs, ys = champion.model.calibration
    contrary = dataclasses.replace(champion.model, calibration=(xs, [1.0 - y for y in ys]))
    shadowed = build_scorer(settings)
    shadowed.metrics = Metrics()
    shadowed.models.challengers["price"] = dataclasses.replace(
        champion, alias="challenger", version="contrary", model=contrary
    )

    ours, with_shadow = alone.score(orders), shadowed.score(orders)

    def answer(r: ScoreResult) -> dict:
        return r.model_dump(exclude={"latency_ms"})

    assert [answer(r) for r in with_shadow] == [answer(r) for r in ours]
    flips = sum(r.scored_by.get("price") == "model" for r in ours)  # every model-scored row
    counted = shadowed.metrics.registry.get_sample_value(
        "ordersight_shadow_disagreements_total", {"type": "price"}
    )
    assert counted > 0.9 * flips


# Real typed addresses the demo world renders rarely or never: functional zones at the county
# level, cities without counties and counties or county-level cities without their prefecture
# are complete; the defective ones miss or contradict a level.
COMPLETE_ADDRESSES = (
    "江苏省苏州市工业园区星湖街328号",
    "武汉市东湖高新区光谷大道77号",
    "成都市高新区天府大道中段666号",
    "西安市高新区锦业路1号",
    "重庆市两江新区金开大道100号",
    "贵州省贵安新区湖潮乡贵安大学城8栋301",
    "四川省天府新区兴隆街道湖畔路88号",
    "河北雄安新区容东片区G1组团8号楼2单元",
    "合肥市经开区繁华大道18号",
    "东莞市长安镇长青路5号",
    "广东省中山市小榄镇升平路3号",
    "南京市江北新区浦口区江浦街道101号",
    "江苏省昆山市玉山镇前进西路1号",
    "浙江省义乌市稠城街道工人北路1号",
    "湖南省长沙县星沙街道开元东路18号",
    "浙江省桐庐县富春江镇富春路88号",
    "河北省正定县常山西路12号",
    "内蒙古自治区土默特左旗察素齐镇光明路5号",
    "3号楼2单元201 浙江省杭州市滨江区江南大道",  # the door first, the street after the regions
    "Room 501, Building 3, 上海市徐汇区漕溪北路",
    "ZHANG WEI 北京市朝阳区建国路88号",  # a name in pinyin before the regions is no typo
)
DEFECTIVE_ADDRESSES = ("杭州市文三路90号", "宁波市西湖区中山路1号", "朝阳区建国路88号")


def test_real_style_addresses_get_the_right_action(trained_settings):
    """A clean order re-sent to each address (one customer each, so no duplicates): complete
    addresses pass with no address issue; the defective ones go to a person."""
    addresses = COMPLETE_ADDRESSES + DEFECTIVE_ADDRESSES
    results = _score_at(trained_settings, [{"raw": text} for text in addresses])
    by_text = dict(zip(addresses, results, strict=True))
    for text in COMPLETE_ADDRESSES:
        address_issues = [i.code for i in by_text[text].issues if i.type == "address"]
        assert address_issues == [], (text, address_issues, by_text[text].address)
    for text in DEFECTIVE_ADDRESSES:
        assert by_text[text].action != "pass", text


FIELDS = {"province": "浙江省", "city": "杭州市", "district": "西湖区"}


def test_split_fields_with_the_full_address_in_the_detail_pass(trained_settings) -> None:
    """Exports often fill the detail with the full address beside the region fields: that is
    one address, read once (so is a detail sent as the raw string beside them); the levels
    written twice in the detail still go to a person."""
    full = ["浙江省 杭州市 西湖区 文三路90号", "杭州市西湖区文三路9号", "浙江杭州市西湖区文三路9号"]
    once = [FIELDS | {"detail": d} for d in full] + [FIELDS | {"raw": "文三路90号"}]
    twice = FIELDS | {"detail": "杭州市西湖区杭州市西湖区文三路90号"}
    results = _score_at(trained_settings, [*once, twice])
    for address, result in zip(once, results, strict=False):
        assert result.action == "pass", (address, result.issues)
        assert result.address and result.address.adcode == "330106"
    assert "ADDR_REDUNDANT" in {i.code for i in results[-1].issues}
    assert results[-1].action == "review"


OUTSIDE_MAINLAND = (
    "香港特别行政区九龙尖沙咀弥敦道100号",
    "澳门氹仔海洋花园1座",
    "台湾省台北市信义区信义路五段7号",
)


def test_hong_kong_macao_and_taiwan_orders_are_the_rules_to_pass_or_hold(
    trained_settings, tmp_path: Path
) -> None:
    """The address model never saw these places: the rules score their address (once held as
    unparseable), and they pass; a shop that does not ship there lists their province codes in
    restricted_region, and they hold, as a mainland region listed there does."""
    results = _score_at(trained_settings, [{"raw": text} for text in OUTSIDE_MAINLAND])
    for result in results:
        assert result.action == "pass", (result.issues, result.address)
        assert result.scored_by["address"] == "rules"
        assert result.address and result.address.adcode in {"810000", "820000", "710000"}
    doc = yaml.safe_load(trained_settings.rules_file.read_text("utf-8"))
    rule = next(r for r in doc["rules"] if r["code"] == "COMPLIANCE_RESTRICTED_REGION")
    rule["enabled"] = True
    rule["when"] = {"feature": "province_adcode", "op": "in", "value": ["810000", "820000"]}
    edited = tmp_path / "rules.yaml"
    edited.write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    held = _score_at(trained_settings, [{"raw": text} for text in OUTSIDE_MAINLAND], edited)
    assert [r.action for r in held] == ["hold", "hold", "pass"]
    assert "COMPLIANCE_RESTRICTED_REGION" in {i.code for i in held[0].issues}


def test_an_address_naming_only_its_town_is_completed_not_held(trained_settings) -> None:
    """观海卫镇… names no region but a town of 慈溪市 (CCKS 2021's typed addresses write 317 of
    2,985 so): the order goes to a person with the address completed (a missing level, held as
    the model is sure of it), where it was held as ADDR_UNPARSEABLE with nothing to correct;
    after its city too, the correction names the county."""
    texts = ["观海卫镇昌兴村林家1005号", "浙江省宁波市观海卫镇振观路75号"]
    for result in _score_at(trained_settings, [{"raw": text} for text in texts]):
        assert result.action != "pass", result.issues
        issue = next(i for i in result.issues if i.code == "ADDR_MISSING_LEVEL")
        assert issue.suggestion and issue.suggestion.value["adcode"] == "330282"
        assert "ADDR_UNPARSEABLE" not in {i.code for i in result.issues}


def _score_at(settings, addresses: list[dict], rules_file: Path | None = None) -> list:
    """A clean demo order re-sent to each address (one customer each, so no duplicates)."""
    template = _orders(Path(settings.reference_dir))[0].model_dump()
    orders = []
    for i, address in enumerate(addresses):
        payload = template | {"order_id": f"REAL-{i}", "customer_id": f"real-{i}"}
        payload["address"] = address | {"receiver": "张三", "phone": f"1381234{i:04d}"}
        payload["lines"] = template["lines"][:1]
        orders.append(Order.model_validate(payload))
    return build_scorer(settings, rules_file).score(orders)
