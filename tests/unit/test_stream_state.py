"""The order stream's state kept across a restart (serving/stream_state.py)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

import serving.stream_state as stream_state
from features.duplicates import RecentOrders
from features.orders import order_feature_frame
from ordersight.reference import ReferenceData
from serving.stream_state import load_stream_state, save_stream_state
from tests.unit.test_order_features import _after_snapshot, _flash, order, small_reference


@pytest.fixture()
def ref() -> ReferenceData:
    """test_order_features' world: WH-GZ holds 5 of MILK-S1."""
    return small_reference()


def _before_restart(ref) -> RecentOrders:
    """An order on tmall, sent to review, and a flash sale that took 4 of WH-GZ's 5 units."""
    recent = RecentOrders()
    tmall = order(oid="a", channel="tmall")
    order_feature_frame([tmall, _flash(0, 2), _flash(1, 2)], ref, recent)
    recent.remember_queued([tmall])
    return recent


def test_a_restarted_scorer_goes_on_from_where_it_stopped(ref, tmp_path: Path) -> None:
    ref = _after_snapshot(ref)
    path = tmp_path / "stream" / "api.pickle"
    save_stream_state(_before_restart(ref), path)
    after = [order(oid="b", channel="jd"), _flash(2, 2)]  # a copy of a; 2 more units

    state = load_stream_state(path)
    restored = order_feature_frame(after, ref, state)
    assert restored.dup_cross_channel.tolist() == [1, 0]
    assert restored.lines_short_available.tolist() == [0, 1]  # 1 unit left of 5
    assert state.queued_among(["a"]) == {"a"}  # sent again after the restart: its decision closes
    empty = order_feature_frame(after, ref, RecentOrders())  # as every restart was before
    assert empty.dup_cross_channel.tolist() == [0, 0]
    assert empty.lines_short_available.tolist() == [0, 0]
    assert [p.name for p in path.parent.iterdir()] == ["api.pickle"]  # no temporary file left


def test_a_state_other_code_wrote_or_a_broken_file_is_not_read(
    ref, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "api.pickle"
    assert load_stream_state(path) is None  # the first start
    save_stream_state(_before_restart(_after_snapshot(ref)), path)
    assert isinstance(load_stream_state(path), RecentOrders)
    with monkeypatch.context() as m:  # an upgrade changed the classes the file holds
        m.setattr(stream_state, "code_digest", lambda: "other code")
        assert load_stream_state(path) is None
    path.write_bytes(path.read_bytes()[:100])  # cut short
    assert load_stream_state(path) is None


def test_the_code_digest_follows_the_source_also_when_the_module_runs_compiled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "duplicates.py"
    stub = tmp_path / "duplicates.cpython-311-x86_64-linux-gnu.so"  # unchanged by a rebuild
    source.write_text("class RecentOrders: ...")
    stub.write_bytes(b"loader")
    compiled = SimpleNamespace(__name__="features.duplicates", __file__=str(stub))
    python = SimpleNamespace(__name__="features.duplicates", __file__=str(source))

    def digest(module: SimpleNamespace) -> str:
        with monkeypatch.context() as m:
            m.setattr(stream_state, "_STATE_MODULES", (module,))
            return stream_state.code_digest()

    before = digest(compiled)
    assert digest(python) != before  # the same source run as Python pickles otherwise
    source.write_text("class RecentOrders:\n    window = 2")  # an upgrade, rebuilt
    assert digest(compiled) != before
