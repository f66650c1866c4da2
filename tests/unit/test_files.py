"""Files written whole: the old file or the new one, never a part, and no temporary file left."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from ordersight.files import written_whole


def test_the_new_content_replaces_the_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "out" / "plan.csv"  # the folder is made
    for content in ("first\n", "second, longer\n"):
        with written_whole(path) as fh:
            fh.write(content)
        assert path.read_text(encoding="utf-8") == content
    assert [p.name for p in path.parent.iterdir()] == ["plan.csv"]


def test_an_error_midway_leaves_the_old_file_and_no_temporary_one(tmp_path: Path) -> None:
    path = tmp_path / "plan.csv"
    path.write_text("yesterday's plan\n", encoding="utf-8")
    with pytest.raises(RuntimeError), written_whole(path) as fh:
        fh.write("half of today's")
        raise RuntimeError("the forecast failed")
    assert path.read_text(encoding="utf-8") == "yesterday's plan\n"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.csv"]


def test_binary_and_text_modes(tmp_path: Path) -> None:
    with written_whole(tmp_path / "state.pickle", "wb") as fh:
        pickle.dump({"a": 1}, fh)
    assert pickle.loads((tmp_path / "state.pickle").read_bytes()) == {"a": 1}
    with written_whole(tmp_path / "名单.csv") as fh:
        fh.write("地址\r\n")  # UTF-8, and the newline csv wrote kept as it is
    assert (tmp_path / "名单.csv").read_bytes() == "地址\r\n".encode()
