"""The planner page in a real browser: sign in with a key, filter, open a chart, edit and approve,
bulk approve, export; every decision checked in the database."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import replace

import pytest

from ordersight.storage import Recommendation
from tests.ui_seed import PLAN, WAREHOUSES, build_world, make_app, make_plan

pytestmark = pytest.mark.e2e


def test_planner_filter_chart_edit_approve_export(page, serve_app, screenshots, tmp_path) -> None:
    world = build_world(tmp_path, api_keys={"pk-li-7f3a": "planner.li"})
    base = serve_app(make_app(world.services))
    rows = page.locator("#recs tbody tr")

    page.goto(f"{base}/planner/")
    page.locator("#toast.error").wait_for()  # no key yet: the API refuses, the page says so
    assert rows.count() == 0
    page.fill("#who-key", "pk-li-7f3a")
    page.fill("#who-user", "李")
    page.click("#who button[type=submit]")
    rows.nth(len(PLAN) - 1).wait_for()
    assert rows.count() == len(PLAN)
    page.locator("#wh tbody tr").nth(len(WAREHOUSES) - 1).wait_for()  # a separate fetch
    page.locator("#map g.wh-point").nth(len(WAREHOUSES) - 1).wait_for()
    assert page.locator("#wh tbody tr").count() == len(WAREHOUSES)
    assert page.locator("#map g.wh-point").count() == len(WAREHOUSES)

    page.fill("#f-sku", "milk")
    assert rows.count() == sum("MILK" in p[1] for p in PLAN)
    page.check("#f-hot")
    assert [r.get_attribute("data-id") for r in rows.all()] == ["R-001"]

    rows.first.locator("td.mono").click()
    page.locator("#chart svg path.band").wait_for()
    assert page.locator("#chart svg path.median").count() == 1
    assert page.locator("#chart svg path.history").count() == 1
    assert "MILK-A2-S3-900" in page.inner_text("#d-title")
    assert page.input_value("#d-qty") == "420"
    page.screenshot(path=str(screenshots / "planner-detail.png"), full_page=True)

    page.fill("#d-qty", "350")
    page.click("#d-approve")  # an edited quantity needs a reason
    page.locator("#toast.error").wait_for()
    assert world.repo.get_recommendation("R-001")["status"] == "pending"
    page.fill("#d-note", "成都仓容量有限")
    page.click("#d-approve")
    page.locator("#recs tbody tr[data-id='R-001']").wait_for(state="detached")
    assert page.locator("#detail").is_hidden()
    stored = world.repo.get_recommendation("R-001")
    assert (stored["status"], stored["qty"], stored["original_qty"]) == ("approved", 350, 420)
    assert (stored["decided_by"], stored["note"]) == ("planner.li", "成都仓容量有限")

    page.uncheck("#f-hot")
    page.fill("#f-sku", "")
    page.locator("#recs tbody tr[data-id='R-003'] .pick").check()
    page.locator("#recs tbody tr[data-id='R-005'] .pick").check()
    assert page.inner_text("#bulk-approve") == "Approve selected (2)"
    page.click("#bulk-approve")
    page.locator("#recs tbody tr[data-id='R-005']").wait_for(state="detached")
    assert {r["rec_id"] for r in world.repo.list_recommendations("approved")} == {
        "R-001",
        "R-003",
        "R-005",
    }
    assert rows.count() == len(PLAN) - 3

    with page.expect_download() as download:
        page.click("#export")
    exported = list(csv.DictReader(io.StringIO(download.value.path().read_text("utf-8"))))
    assert sorted(r["rec_id"] for r in exported) == ["R-001", "R-003", "R-005"]
    assert {r["decided_by"] for r in exported} == {"planner.li"}

    rows.first.locator("td.mono").click()
    page.locator("#chart svg path.band").wait_for()
    page.screenshot(path=str(screenshots / "planner.png"), full_page=True)


def test_a_lane_shows_the_moves_that_travel_together(page, serve_app, tmp_path) -> None:
    """Lanes are listed most units first with their moves and units; picking one shows its
    moves only, and selecting all shown approves exactly that lane."""
    world = build_world(tmp_path)  # auth off
    base = serve_app(make_app(world.services))
    lanes = Counter((src, dst) for _, _, src, dst, _, _, _ in PLAN)
    units = Counter()
    for _, _, src, dst, qty, _, _ in PLAN:
        units[(src, dst)] += qty
    page.goto(f"{base}/planner/")
    rows = page.locator("#recs tbody tr")
    rows.nth(len(PLAN) - 1).wait_for()
    options = page.locator("#f-lane option")
    assert options.count() == len(lanes) + 1  # and "All lanes"
    biggest = max(units, key=lambda lane: units[lane])
    label = options.nth(1).inner_text()
    assert label.startswith(f"{biggest[0]} → {biggest[1]} · {lanes[biggest]} moves")
    assert f"{units[biggest]:,} units" in label

    shared = ("WH-SH", "WH-CD")  # below share it
    world.repo.replace_recommendations([*make_plan(), _moved("R-008", "NUTS-MIX-750", *shared, 35)])
    page.reload()
    rows.nth(len(PLAN)).wait_for()
    page.select_option("#f-lane", "WH-SH → WH-CD")
    assert sorted(r.get_attribute("data-id") for r in rows.all()) == ["R-001", "R-008"]
    assert page.inner_text("#count") == f"2 of {len(PLAN) + 1} pending"
    page.check("#select-all")
    page.click("#bulk-approve")
    page.locator("#recs tbody tr[data-id='R-008']").wait_for(state="detached")
    approved = {r["rec_id"] for r in world.repo.list_recommendations("approved")}
    assert approved == {"R-001", "R-008"}
    assert page.input_value("#f-lane") == ""  # the lane has no pending move left
    assert rows.count() == len(PLAN) - 1


def _moved(rec_id: str, sku: str, src: str, dst: str, qty: int) -> Recommendation:
    """Another move of a seeded SKU, on the lane given."""
    template = next(r for r in make_plan() if r.sku == sku)
    return replace(template, rec_id=rec_id, from_warehouse=src, to_warehouse=dst, qty=qty)
