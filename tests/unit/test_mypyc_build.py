"""Compiled modules are found, and a source edited after the build is reported stale."""

from __future__ import annotations

import os
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

from ordersight.mypyc_build import compiled_modules, stale_modules


def _module(root: Path, name: str, source_mtime: float | None, built_mtime: float) -> None:
    package = root / "features"
    package.mkdir(exist_ok=True)
    built = package / f"{name}{EXTENSION_SUFFIXES[0]}"
    built.write_bytes(b"")
    os.utime(built, (built_mtime, built_mtime))
    if source_mtime is not None:
        source = package / f"{name}.py"
        source.write_text("")
        os.utime(source, (source_mtime, source_mtime))


def test_a_source_changed_or_removed_after_the_build_is_stale(tmp_path: Path) -> None:
    _module(tmp_path, "fresh", source_mtime=1_000, built_mtime=2_000)
    _module(tmp_path, "edited", source_mtime=3_000, built_mtime=2_000)
    _module(tmp_path, "removed", source_mtime=None, built_mtime=2_000)
    (tmp_path / "features" / "plain.py").write_text("")  # not compiled: not listed

    assert compiled_modules(tmp_path) == {
        Path("features/edited.py"): True,
        Path("features/fresh.py"): False,
        Path("features/removed.py"): True,
    }
    assert stale_modules(tmp_path) == ["features/edited.py", "features/removed.py"]


def test_a_tree_without_a_build_has_no_compiled_modules(tmp_path: Path) -> None:
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "orders.py").write_text("")
    assert compiled_modules(tmp_path) == {}
