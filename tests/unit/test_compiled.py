"""Compiled trees (models.compiled): same numbers as the booster, cached, and a safe fallback."""

from __future__ import annotations

from pathlib import Path

import lightgbm as lgb
import numpy as np

from models.compiled import compile_booster


def _booster_file(tmp_path: Path) -> tuple[Path, np.ndarray]:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(600, 5))
    y = (x[:, 0] + x[:, 1] * x[:, 2] > 0).astype(int)
    x[rng.random(x.shape) < 0.1] = np.nan  # missing values take each split's default side
    params = {"objective": "binary", "num_leaves": 7, "verbose": -1, "seed": 1}
    booster = lgb.train(params, lgb.Dataset(x, y), 40)
    path = tmp_path / "binary.txt"
    booster.save_model(path)
    return path, x


def test_compiled_predictions_equal_the_boosters_and_are_cached(tmp_path):
    path, x = _booster_file(tmp_path)
    cache = tmp_path / "cache"
    predict = compile_booster(path, cache)
    assert predict is not None
    booster = lgb.Booster(model_file=str(path))
    expected = booster.predict(x)
    np.testing.assert_allclose(predict(x), expected, rtol=0, atol=1e-12)
    one = x[:1].astype(np.float32)  # the scorer's matrices are float32 rows
    np.testing.assert_allclose(predict(one), booster.predict(one), rtol=0, atol=1e-12)
    assert len(list(cache.glob("*.o"))) == 1
    again = compile_booster(path, cache)  # loads the cached object code
    assert again is not None
    np.testing.assert_allclose(again(x), expected, rtol=0, atol=1e-12)
    assert len(list(cache.iterdir())) == 1  # no second object, no temporary left behind


def test_a_model_it_cannot_compile_falls_back_to_none(tmp_path, caplog):
    broken = tmp_path / "binary.txt"
    broken.write_text("not a lightgbm model", "utf-8")
    assert compile_booster(broken, tmp_path / "cache") is None
    assert "predicting with the LightGBM booster" in caplog.text
