"""The compiled build (`make compile`) computes exactly what the Python source does.

The same orders go through the serving feature path twice: in this process, where the compiled
modules load, and in a subprocess importing a copy of the sources without them. Parsed addresses
and every feature column must agree (NaN where NaN), batch after batch of one order stream.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import numpy as np
import pytest

from ordersight.mypyc_build import ROOT, compiled_modules, copy_without_build

N_ORDERS, BATCH = 3_000, 500
# the order stream's state (duplicates, channel prices, stock ledger) carries across batches
FEATURES_OF_STREAM = """
import json, pickle, sys
from itertools import islice
from pathlib import Path

import features.orders
from features.duplicates import RecentOrders
from ordersight.schema import Order
from serving.scorer import build_columns
from training.orders import load_reference

world, n, batch, out = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
with (world / "orders.jsonl").open(encoding="utf-8") as fh:
    orders = [Order.model_validate(json.loads(line)) for line in islice(fh, n)]
ref, recent, batches = load_reference(world), RecentOrders(), []
for i in range(0, n, batch):
    cols, parsed = build_columns(orders[i : i + batch], ref, recent)
    batches.append((cols, [p.model_dump() for p in parsed]))
with open(out, "wb") as fh:
    pickle.dump((features.orders.__file__, batches), fh)
"""


def _stream_features(world: Path, sources: Path, out: Path) -> tuple[str, list]:
    subprocess.run(
        [sys.executable, "-c", FEATURES_OF_STREAM, str(world), str(N_ORDERS), str(BATCH), str(out)],
        cwd=sources,
        env={"PYTHONPATH": str(sources), "PATH": "/usr/bin:/bin"},
        check=True,
    )
    with out.open("rb") as fh:
        return pickle.load(fh)


def test_compiled_features_equal_the_python_sources(small_world: Path, tmp_path: Path) -> None:
    if not compiled_modules():
        pytest.skip("no compiled modules in this tree (`make compile` builds them)")
    plain = copy_without_build(tmp_path / "plain")
    compiled_file, compiled = _stream_features(small_world, ROOT, tmp_path / "compiled.pickle")
    plain_file, python = _stream_features(small_world, plain, tmp_path / "plain.pickle")

    assert compiled_file.endswith(tuple(EXTENSION_SUFFIXES))
    assert plain_file.endswith(".py")
    assert len(compiled) == len(python) == N_ORDERS // BATCH
    for (cols, parsed), (cols_py, parsed_py) in zip(compiled, python, strict=True):
        assert parsed == parsed_py
        assert cols.keys() == cols_py.keys()
        for name, values in cols.items():
            expected = np.asarray(cols_py[name])
            if expected.dtype.kind == "f":
                np.testing.assert_array_equal(np.asarray(values), expected, err_msg=name)
            else:
                assert list(values) == list(expected), name
