"""The `ordersight` command as a user runs it: exit codes 0 ok / 1 failure / 2 bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from ordersight.allocation import MIN_MOVE, REC_COLUMNS
from ordersight.cli import app
from ordersight.settings import REPO_ROOT, get_settings

runner = CliRunner()


@pytest.fixture
def env(small_world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ORDERSIGHT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ORDERSIGHT_REFERENCE_DIR", str(small_world))
    monkeypatch.setenv("ORDERSIGHT_RULES_FILE", str(REPO_ROOT / "rules" / "default.yaml"))
    get_settings.cache_clear()
    yield small_world
    get_settings.cache_clear()


def test_help_lists_every_contract_command() -> None:
    out = runner.invoke(app, ["--help"]).output
    for command in (
        "demo-data",
        "train",
        "serve",
        "score",
        "parse-address",
        "forecast",
        "recommend",
        "rules",
    ):
        assert command in out


def test_score_file_same_shape_as_api(env: Path, tmp_path: Path) -> None:
    infile = tmp_path / "in.jsonl"
    lines = (env / "orders.jsonl").read_text(encoding="utf-8").splitlines()[:50]
    infile.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")  # a BOM, as Notepad saves
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["score", str(infile), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["order_id"] for r in rows] == [json.loads(x)["order_id"] for x in lines]
    assert all(r["action"] in {"pass", "review", "hold"} and "scored_by" in r for r in rows)


def test_score_reports_bad_lines_and_exits_2(env: Path, tmp_path: Path) -> None:
    infile = tmp_path / "in.jsonl"
    good = (env / "orders.jsonl").read_text(encoding="utf-8").splitlines()[0]
    infile.write_text(good + '\n{"order_id": "X"}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["score", str(infile), "--out", str(out)])
    assert result.exit_code == 2
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 2 and "line 2" in rows[0]["error"]["message"]


def test_a_failed_score_run_leaves_the_last_output_as_it_was(env: Path, tmp_path: Path) -> None:
    """--out is written whole or not at all: a run that stops (a file that is not UTF-8) kept
    the results of the run before, where it used to leave the file empty."""
    work = tmp_path / "run"
    work.mkdir()
    infile = work / "in.jsonl"
    good = (env / "orders.jsonl").read_bytes().splitlines()[0]
    infile.write_bytes(good + b'\n{"order_id": "\xff"}\n')
    out = work / "out.jsonl"
    out.write_text("the last run's results\n", encoding="utf-8")
    result = runner.invoke(app, ["score", str(infile), "--out", str(out)])
    assert result.exit_code == 2 and "UTF-8" in result.output
    assert out.read_text(encoding="utf-8") == "the last run's results\n"
    assert sorted(p.name for p in work.iterdir()) == ["in.jsonl", "out.jsonl"]


def test_parse_address_prints_json_lines(tmp_path: Path) -> None:
    result = runner.invoke(app, ["parse-address", "浙江杭州萧山区市心中路1号"])
    assert result.exit_code == 0
    parsed = json.loads(result.stdout.strip())
    assert (parsed["city"], parsed["district"]) == ("杭州市", "萧山区")
    infile = tmp_path / "a.txt"
    for encoding in ("utf-8", "utf-8-sig", "gbk"):  # as Notepad or Excel save it
        text = "北京市朝阳区建国路1号\r\n\r\n广东省深圳市南山区科技园1栋\r\n"
        infile.write_bytes(text.encode(encoding))
        out = runner.invoke(app, ["parse-address", "--file", str(infile)]).stdout
        rows = [json.loads(x) for x in out.strip().splitlines()]
        assert [(r["province"], r["district"]) for r in rows] == [
            ("北京市", "朝阳区"),
            ("广东省", "南山区"),
        ]
    assert runner.invoke(app, ["parse-address"]).exit_code == 2
    missing = str(tmp_path / "none.txt")
    assert runner.invoke(app, ["parse-address", "--file", missing]).exit_code == 2


def test_rules_check_and_replay(env: Path, tmp_path: Path) -> None:
    default = REPO_ROOT / "rules" / "default.yaml"
    assert runner.invoke(app, ["rules", "check", str(default)]).exit_code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        default.read_text(encoding="utf-8").replace("code: STOCK_RESERVED", "code: STOCK_NOPE"),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["rules", "check", str(bad)])
    assert result.exit_code == 2 and "STOCK_NOPE" in result.output
    stricter = tmp_path / "stricter.yaml"
    text = default.read_text(encoding="utf-8").replace(
        'qty_over_limit_max, op: ">", value: 1}', 'qty_over_limit_max, op: ">", value: 0.1}'
    )
    assert text != default.read_text(encoding="utf-8")
    stricter.write_text(text, encoding="utf-8")
    orders = tmp_path / "past.jsonl"
    orders.write_text(
        "\n".join((env / "orders.jsonl").read_text(encoding="utf-8").splitlines()[:300]),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["rules", "replay", str(stricter), "--orders", str(orders)])
    assert result.exit_code == 0, result.output
    assert "COMPLIANCE_QTY_LIMIT" in result.output


def test_recommend_moves_stock_toward_demand_in_lots_of_min_qty(env: Path, tmp_path: Path) -> None:
    """A forecast that sells every stocked SKU in Chengdu only: stock moves there, each transfer
    at least ``--min-qty`` units (5 by default), fewer transfers than with a minimum of one."""
    stock = pd.read_csv(env / "stock.csv")
    skus = sorted(stock["sku"].unique())[:40]
    days = pd.date_range("2025-06-01", periods=14).strftime("%Y-%m-%d")
    forecast = pd.DataFrame(
        [
            {"date": d, "sku": sku, "warehouse_id": "WH-CD", "q10": 2, "q50": 4, "q90": 7}
            for sku in skus
            for d in days
        ]
    )
    forecast.to_csv(tmp_path / "f.csv", index=False)
    files = ["--forecast", str(tmp_path / "f.csv"), "--stock", str(env / "stock.csv")]
    files += ["--warehouses", str(env / "warehouses.csv")]
    plans = {}
    for name, extra in (("default", []), ("one", ["--min-qty", "1"])):
        out = tmp_path / f"{name}.csv"
        result = runner.invoke(app, ["recommend", *files, "--out", str(out), *extra])
        assert result.exit_code == 0, result.output
        plans[name] = pd.read_csv(out)
    default, one = plans["default"], plans["one"]
    assert list(default.columns[: len(REC_COLUMNS)]) == REC_COLUMNS
    assert set(default["to_warehouse"]) == {"WH-CD"} and set(default["sku"]) <= set(skus)
    assert (default["qty"] >= MIN_MOVE).all() and (one["qty"] < MIN_MOVE).any()
    assert len(default) < len(one)
    assert runner.invoke(app, ["recommend", *files, "--min-qty", "0"]).exit_code == 2
    shown = runner.invoke(app, ["recommend", "--help"], env={"COLUMNS": "200"}).output
    assert f"(default {MIN_MOVE})" in shown


def test_evaluate_counts_labelled_problems_as_score_decides_them(env: Path, tmp_path: Path):
    """`ordersight evaluate` on past orders and the problems people found: its counts are those
    of `ordersight score`'s results on the same file (here the rules alone: no models)."""
    infile, scored = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    lines = (env / "orders.jsonl").read_text(encoding="utf-8").splitlines()[:3000]
    infile.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(
        app, ["evaluate", str(infile), "--labels", str(env / "labels.csv"), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert runner.invoke(app, ["score", str(infile), "--out", str(scored)]).exit_code == 0
    results = [json.loads(x) for x in scored.read_text(encoding="utf-8").splitlines()]
    labels = pd.read_csv(env / "labels.csv", dtype=str)
    labelled = set(labels["order_id"]) & {r["order_id"] for r in results}
    assert report["orders"] == 3000 and report["problems"] == len(labelled) > 0
    assert report["to_person"] == sum(r["action"] != "pass" for r in results)
    sent = {r["order_id"] for r in results if r["action"] != "pass"}
    assert report["clean_to_person"] == len(sent - labelled)
    assert 0 < report["corrected"] <= report["caught"] <= len(labelled & sent)
    assert sum(c["labelled"] for c in report["codes"]) == int(
        labels["order_id"].isin(labelled).sum()
    )
    table = runner.invoke(app, ["evaluate", str(infile), "--labels", str(env / "labels.csv")])
    assert "caught with a correction" in table.output and "target" in table.output
    bad = tmp_path / "labels.csv"
    bad.write_text("order_id,code\nA-1,ADDR_TYPO\nA-2,ADDR_TYOP\n", encoding="utf-8")
    result = runner.invoke(app, ["evaluate", str(infile), "--labels", str(bad)])
    assert result.exit_code == 2 and "row 3, column code" in result.output
    bad.write_text("id,label\nA-1,ADDR_TYPO\n", encoding="utf-8")
    result = runner.invoke(app, ["evaluate", str(infile), "--labels", str(bad)])
    assert result.exit_code == 2 and "no column order_id, code" in result.output
    result = runner.invoke(app, ["evaluate", str(infile), "--labels", str(infile)])
    assert result.exit_code == 2 and "not a CSV file" in result.output


def test_bad_inputs_exit_2(env: Path, tmp_path: Path) -> None:
    assert runner.invoke(app, ["train", "--only", "nope"]).exit_code == 2
    assert runner.invoke(app, ["score", str(tmp_path / "missing.jsonl")]).exit_code == 2
    gbk = tmp_path / "gbk.jsonl"
    gbk.write_bytes('{"order_id": "订单"}\n'.encode("gbk"))
    result = runner.invoke(app, ["score", str(gbk)])
    assert result.exit_code == 2 and "UTF-8" in result.output
    history = tmp_path / "h.csv"
    history.write_text(
        "date,sku,warehouse_id,qty\n2025-01-01,A,W,1\n2025-01-02,A,W,two\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["forecast", "--history", str(history)])
    assert result.exit_code == 2 and "row 3" in result.output and "qty" in result.output
