"""Reviewers' verdicts on addresses as training rows (training/feedback.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from ordersight.storage import InMemoryRepository
from training.feedback import address_verdicts


def _scored(repo: InMemoryRepository, order_id: str, raw: str, *codes: str) -> None:
    issues = [{"type": "address", "code": c, "scored_by": "model"} for c in codes]
    repo.save_decisions(
        [
            {
                "order_id": order_id,
                "channel": "jd",
                "action": "review",
                "risk": 0.9,
                "result": {"order_id": order_id, "issues": issues},
                "order": {
                    "order_id": order_id,
                    "channel": "jd",
                    "created_at": "2025-11-11T10:00:00+08:00",
                    "address": {"raw": raw, "phone": "13800138000"},
                    "lines": [{"sku": "X", "qty": 1, "unit_price": 1.0}],
                },
                "rules_version": "t",
                "created_at": datetime(2025, 11, 11, tzinfo=UTC),
            }
        ]
    )


def _verdict(repo, order_id: str, label: str, code: str | None = None, kind: str = "address"):
    repo.save_feedback({"order_id": order_id, "type": kind, "code": code, "label": label})


def test_each_reviewed_address_gets_the_label_people_gave_it():
    repo = InMemoryRepository()
    _scored(repo, "A", "3栋501 浙江省杭州市滨江区江南大道", "ADDR_DETAIL_MISSING")
    _verdict(repo, "A", "false_alarm")  # every flag a false alarm: clean
    _scored(repo, "B", "浙江省杭洲市西湖区", "ADDR_TYPO", "ADDR_DETAIL_MISSING")
    _verdict(repo, "B", "false_alarm", "ADDR_DETAIL_MISSING")
    _verdict(repo, "B", "true_issue", "ADDR_TYPO")  # one confirmed: that code
    _scored(repo, "C", "北京市朝阳区建国路88号", "ADDR_BAD_PHONE")
    _verdict(repo, "C", "true_issue")  # no code named: the flag it judged
    _scored(repo, "D", "上海市徐汇区漕溪北路88号")
    _verdict(repo, "D", "true_issue")  # confirmed, but which code? left out
    _verdict(repo, "E", "false_alarm")  # never scored here: left out
    _scored(repo, "F", "广州天河体育西路191号", "ADDR_NONSTANDARD_NAME")
    _verdict(repo, "F", "true_issue", kind="price")  # not about the address: left out
    _scored(repo, "G", "深圳南山科技园", "ADDR_DETAIL_MISSING")
    _verdict(repo, "G", "true_issue")
    _verdict(repo, "G", "false_alarm")  # changed mind: the latest counts
    rows = address_verdicts(repo)
    got = dict(zip(rows.texts, rows.codes, strict=True))
    assert got == {
        "3栋501 浙江省杭州市滨江区江南大道": "",
        "浙江省杭洲市西湖区": "ADDR_TYPO",
        "北京市朝阳区建国路88号": "ADDR_BAD_PHONE",
        "深圳南山科技园": "",
    }
    assert rows.phones == ["13800138000"] * 4 and len(rows) == 4
