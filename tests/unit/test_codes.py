"""Issue codes are stable API: the README table, the prefixes and /v1/codes must agree."""

from __future__ import annotations

import re

from ordersight.codes import CODES, CORRECTIONS, ISSUE_TYPES, codes_of, type_of
from ordersight.settings import REPO_ROOT


def test_codes_are_upper_snake_with_a_type_prefix() -> None:
    for code in CODES:
        assert re.fullmatch(r"[A-Z]+(_[A-Z0-9]+)+", code), code
        assert type_of(code) in ISSUE_TYPES
    assert sum(len(codes_of(t)) for t in ISSUE_TYPES) == len(CODES)


def test_readme_lists_every_code_with_its_meaning_and_correction() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([A-Z_0-9]+)` \| \w+ \| ([^|]+) \| ([^|]+) \|$", readme, flags=re.M)
    assert {code: meaning for code, meaning, _ in rows} == CODES
    assert {code: fix for code, _, fix in rows} == CORRECTIONS
