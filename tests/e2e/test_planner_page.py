"""The planner page in a real browser: sign in with a key, filter, open a chart, edit and approve,
bulk approve, export; every decision checked in the database."""

from __future__ import annotations

import csv
import io

import pytest

from tests.ui_seed import PLAN, WAREHOUSES, build_world, make_app

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
