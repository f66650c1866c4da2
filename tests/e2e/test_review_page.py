"""The review queue in a real browser: accept an address suggestion and mark a false alarm; the
stored feedback carries the reviewer's name and the correction."""

from __future__ import annotations

from datetime import timedelta

import pytest

from serving.recording import decision_row
from tests.ui_seed import build_world, make_app, scored_orders

pytestmark = pytest.mark.e2e


def test_review_accept_suggestion_and_false_alarm(page, serve_app, screenshots, tmp_path) -> None:
    world = build_world(tmp_path)  # auth off: the "who are you" name is the attribution
    base = serve_app(make_app(world.services))
    cards = page.locator("#queue article")

    page.goto(f"{base}/review/")
    page.fill("#who-user", "审核员王")
    page.click("#who button[type=submit]")
    cards.nth(len(scored_orders()) - 1).wait_for()
    newest_first = sorted(scored_orders(), key=lambda p: p[0].created_at, reverse=True)
    assert [c.get_attribute("data-order") for c in cards.all()] == [
        o.order_id for o, _ in newest_first
    ]
    first = cards.first
    assert "ADDR_REGION_CONFLICT" in first.inner_text()
    assert "杭州市" in first.locator(".suggestion").inner_text()
    assert first.locator(".evidence li").count() == 2
    page.screenshot(path=str(screenshots / "review.png"), full_page=True)

    first.get_by_role("button", name="Accept suggestion").click()
    page.locator("article[data-order='JD-1']").wait_for(state="detached")
    [stored] = world.repo.list_feedback("JD-1")
    assert (stored["label"], stored["code"]) == ("true_issue", "ADDR_REGION_CONFLICT")
    assert stored["corrected"] == {"address.city": "杭州市"}
    assert stored["user"] == "审核员王"
    assert world.repo.get_decision("JD-1")["status"] == "resolved"

    page.locator("article[data-order='JD-3']").get_by_role("button", name="False alarm").click()
    page.locator("article[data-order='JD-3']").wait_for(state="detached")
    assert [f["label"] for f in world.repo.list_feedback("JD-3")] == ["false_alarm"]
    assert cards.count() == 1
    page.locator("#verdicts tbody tr[data-code='ADDR_BAD_PHONE']").wait_for()  # counted at once

    page.reload()  # decided orders stay out of the queue
    cards.first.wait_for()
    assert [c.get_attribute("data-order") for c in cards.all()] == ["JD-2"]

    verdicts = page.locator("#verdicts tbody tr")  # the two verdicts, false alarms first
    verdicts.nth(1).wait_for()
    assert [r.locator("td").all_inner_texts() for r in verdicts.all()] == [
        ["ADDR_BAD_PHONE", "rules", "1", "0", "1", "0 %"],
        ["ADDR_REGION_CONFLICT", "model", "1", "1", "0", "100 %"],
    ]
    assert page.locator("#no-verdicts").is_hidden()


REFRESH_MS = 15_000  # serving/static/review.js


def test_the_queue_follows_orders_closed_or_queued_elsewhere(page, serve_app, tmp_path) -> None:
    """While the page is open, another reviewer closes one order and a new one is queued: the
    page follows within its refresh, without a reload. A card whose order was closed meanwhile
    (here: corrected and sent again, so superseded) leaves when resolved, and the toast says why."""
    world = build_world(tmp_path)
    base = serve_app(make_app(world.services))
    cards = page.locator("#queue article")
    page.clock.install()
    page.goto(f"{base}/review/")
    cards.nth(len(scored_orders()) - 1).wait_for()

    world.repo.set_decision_status("JD-2", "resolved")
    order, result = scored_orders()[2]
    later = order.created_at + timedelta(hours=5)
    new = order.model_copy(update={"order_id": "JD-4", "created_at": later})
    world.repo.save_decisions(
        [decision_row(new, result.model_copy(update={"order_id": "JD-4"}), later)]
    )
    page.clock.run_for(REFRESH_MS)
    page.locator("article[data-order='JD-2']").wait_for(state="detached")
    assert [c.get_attribute("data-order") for c in cards.all()] == ["JD-4", "JD-1", "JD-3"]
    assert page.locator("#count").inner_text() == "3 open"

    world.repo.set_decision_status("JD-3", "superseded")
    page.locator("article[data-order='JD-3']").get_by_role("button", name="False alarm").click()
    page.locator("article[data-order='JD-3']").wait_for(state="detached")
    assert "already superseded" in page.locator("#toast").inner_text()
    assert world.repo.list_feedback("JD-3") == []
    assert page.locator("#count").inner_text() == "2 open"
