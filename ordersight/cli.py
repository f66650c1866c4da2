"""The `ordersight` command. Wires commands to the layers below, importing them lazily so that
`ordersight --help` stays fast. Exit codes: 0 ok, 1 failure, 2 bad input."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ordersight.files import written_whole
from ordersight.settings import get_settings

app = typer.Typer(
    help="OrderSight: order-quality scoring and demand planning.", no_args_is_help=True
)
rules_app = typer.Typer(help="Validate rule files and replay rule changes.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
console = Console(stderr=True)

BAD_INPUT = 2


def _fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


@app.command("demo-data")
def demo_data(
    out: Annotated[Path, typer.Option(help="output directory")] = Path("data/demo"),
    seed: Annotated[int, typer.Option(help="random seed (same seed → same files)")] = 7,
    days: Annotated[int, typer.Option(help="days of history")] = 730,
    orders: Annotated[int, typer.Option(help="number of orders")] = 200_000,
) -> None:
    """Build the deterministic synthetic world (reference files, history, labeled orders)."""
    from training.demo import generate_world

    summary = generate_world(out, seed=seed, days=days, n_orders=orders, progress=True)
    console.print_json(json.dumps(summary, ensure_ascii=False, default=str))


@app.command()
def train(
    data: Annotated[Path, typer.Option(help="demo-world or own data directory")] = Path(
        "data/demo"
    ),
    only: Annotated[str, typer.Option(help="comma list of address,stock,price,forecast")] = "",
    if_missing: Annotated[
        bool, typer.Option(help="skip models that already have a champion")
    ] = False,
    feedback: Annotated[
        bool,
        typer.Option(help="the address, stock and price models also learn from stored verdicts"),
    ] = False,
) -> None:
    """Train, evaluate, log to MLflow and register; `champion` moves only when gates pass."""
    from training.pipeline import ALL_STEPS, train_all

    steps = [s.strip() for s in only.split(",") if s.strip()] or list(ALL_STEPS)
    unknown = sorted(set(steps) - set(ALL_STEPS))
    if unknown:
        raise _fail(f"--only: unknown step(s) {unknown}; choose from {list(ALL_STEPS)}", BAD_INPUT)
    if not (data / "catalog.csv").exists():
        raise _fail(
            f"--data: {data} has no catalog.csv (run `ordersight demo-data` first)", BAD_INPUT
        )
    report = train_all(
        data, steps, if_missing=if_missing, settings=get_settings(), feedback=feedback
    )
    console.print_json(json.dumps(report, ensure_ascii=False, default=str))
    if any(not r.get("gates_passed", True) for r in report.values() if isinstance(r, dict)):
        console.print("[yellow]some quality gates failed: those versions stay challengers[/yellow]")


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    reference: Annotated[Path | None, typer.Option(help="reference data directory")] = None,
) -> None:
    """Run the HTTP service (scoring API, planner and review pages)."""
    import os

    import uvicorn

    if reference is not None:
        os.environ["ORDERSIGHT_REFERENCE_DIR"] = str(reference)
        get_settings.cache_clear()
    uvicorn.run("serving.app:create_app", factory=True, host=host, port=port, log_level="info")


@app.command()
def worker(
    batch: Annotated[int, typer.Option(help="max orders scored per model call")] = 500,
    once: Annotated[bool, typer.Option(help="drain the queue once and stop")] = False,
    consumer: Annotated[
        str | None,
        typer.Option(help="this worker's name (default: the host's); one per running worker"),
    ] = None,
    metrics_port: Annotated[
        int | None, typer.Option(help="serve Prometheus metrics on this port (default: none)")
    ] = None,
    metrics_host: Annotated[str, typer.Option(help="the metrics server's address")] = "127.0.0.1",
) -> None:
    """Score orders from the Redis queue (ORDERSIGHT_QUEUE_NAME) and push results back."""
    from serving.worker import run_worker

    processed = run_worker(
        get_settings(),
        batch_size=batch,
        once=once,
        consumer=consumer,
        metrics_port=metrics_port,
        metrics_host=metrics_host,
    )
    console.print(f"scored {processed} orders")


@app.command()
def score(
    infile: Annotated[Path, typer.Argument(help="JSON lines of unified orders")],
    out: Annotated[Path | None, typer.Option(help="output JSON lines (default stdout)")] = None,
) -> None:
    """Offline scoring: the same code path and output as the API."""
    from serving.offline import score_file

    if not infile.exists():
        raise _fail(f"{infile}: no such file", BAD_INPUT)
    try:
        counts = score_file(infile, out, get_settings())
    except UnicodeDecodeError as exc:  # JSON lines are UTF-8 (RFC 8259)
        raise _fail(f"{infile}: not UTF-8 ({exc.reason} at byte {exc.start})", BAD_INPUT) from exc
    console.print(counts)
    if counts.get("invalid"):
        raise typer.Exit(BAD_INPUT)


@app.command("parse-address")
def parse_address(
    text: Annotated[str | None, typer.Argument(help="one address")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="one address per line")] = None,
) -> None:
    """Print parsed addresses as JSON lines."""
    from features.address import parse_addresses
    from ordersight.reference import decode_text

    if (text is None) == (file is None):
        raise _fail("give an address TEXT or --file, not both", BAD_INPUT)
    try:  # a file saved by Excel or Notepad on Chinese Windows: BOM or GBK
        lines = [text] if file is None else decode_text(file.read_bytes()).splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"{file}: {exc}", BAD_INPUT) from exc
    lines = [ln for ln in lines if ln.strip()]
    for parsed in parse_addresses(lines):
        sys.stdout.write(parsed.model_dump_json() + "\n")


@app.command()
def forecast(
    history: Annotated[
        Path, typer.Option(help="history CSV: date,sku,warehouse_id,qty[,price,promo,traffic]")
    ],
    horizon: Annotated[
        int,
        typer.Option(
            min=1, max=28, help="days ahead (weekly or monthly totals: the periods that cover them)"
        ),
    ] = 14,
    out: Annotated[Path | None, typer.Option(help="forecast CSV (default stdout)")] = None,
) -> None:
    """Forecast demand with q10/q50/q90 per SKU × warehouse: per day, or per week or month where the
    file holds weekly or monthly totals."""
    from ordersight.reference import ReferenceFileError
    from training.forecast import forecast_file, write_forecast

    try:
        frame, summary = forecast_file(history, horizon=horizon, out=out)
    except (ReferenceFileError, ValueError) as exc:
        raise _fail(str(exc), BAD_INPUT) from exc
    if out is None:
        write_forecast(frame, sys.stdout)
    console.print_json(json.dumps(summary, ensure_ascii=False, default=str))


@app.command()
def recommend(
    forecast: Annotated[Path, typer.Option("--forecast", help="forecast CSV")],
    stock: Annotated[Path, typer.Option(help="stock CSV")],
    warehouses: Annotated[Path, typer.Option(help="warehouses CSV")],
    out: Annotated[Path | None, typer.Option(help="recommendations CSV (default stdout)")] = None,
    store: Annotated[bool, typer.Option(help="also store as pending for the planner page")] = False,
    min_qty: Annotated[
        int | None,
        typer.Option(min=1, help="smallest transfer worth making, in units (default 5)"),
    ] = None,
) -> None:
    """Pre-positioning plan: move stock toward the expected buyers."""
    from training.planning import recommend_files

    try:
        recs = recommend_files(
            forecast, stock, warehouses, settings=get_settings(), store=store, min_qty=min_qty
        )
    except ValueError as exc:
        raise _fail(str(exc), BAD_INPUT) from exc
    if out is None:
        recs.to_csv(sys.stdout, index=False)
    else:
        with written_whole(out) as fh:
            recs.to_csv(fh, index=False)
        console.print(f"{len(recs)} recommendations → {out}")


@app.command()
def feedback(
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table")] = False,
) -> None:
    """Reviewers' verdicts per issue code and scorer: true issues, false alarms, precision."""
    from rich.table import Table

    from ordersight.feedback import stored_verdicts
    from ordersight.storage import SqlRepository

    verdicts = stored_verdicts(SqlRepository.from_url(get_settings().database_url))
    if as_json:
        for v in verdicts:
            print(json.dumps(v.as_dict(), ensure_ascii=False))
        return
    table = Table("type", "code", "scored by", "reviewed", "true issue", "false alarm", "precision")
    for v in verdicts:
        counts = (str(v.reviewed), str(v.true_issue), str(v.false_alarm))
        table.add_row(v.type, v.code, v.scored_by, *counts, f"{v.precision:.0%}")
    Console().print(table if verdicts else "no reviewer verdicts stored yet")


@app.command()
def evaluate(
    infile: Annotated[Path, typer.Argument(help="past orders, JSON lines")],
    labels: Annotated[
        Path, typer.Option(help="the problems people found: CSV order_id,code, one row each")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table")] = False,
) -> None:
    """Score labelled past orders: problems caught with a correction (target >= 92 %) and
    orders sent to a person (target <= 9 %), overall and per code."""
    from rich.table import Table

    from ordersight.outcomes import TARGET_CORRECTED, TARGET_TO_PERSON
    from serving.offline import evaluate_file

    for path in (infile, labels):
        if not path.exists():
            raise _fail(f"{path}: no such file", BAD_INPUT)
    try:
        outcomes = evaluate_file(infile, labels, get_settings())
    except ValueError as exc:
        raise _fail(str(exc), BAD_INPUT) from exc
    report = outcomes.as_dict()
    if as_json:
        print(json.dumps(report, ensure_ascii=False))
        return
    head = Table("outcome", "orders", "share", "target")
    for label, count, share, target in (
        ("problem orders (labelled)", outcomes.problems, None, ""),
        ("caught", outcomes.caught, "caught_share", ""),
        (
            "caught with a correction",
            outcomes.corrected,
            "corrected_share",
            f">= {TARGET_CORRECTED:.0%}",
        ),
        ("caught, only the buyer can correct", outcomes.needs_buyer, None, ""),
        (
            "all orders sent to a person",
            outcomes.to_person,
            "to_person_share",
            f"<= {TARGET_TO_PERSON:.0%}",
        ),
        ("clean orders sent to a person", outcomes.clean_to_person, "clean_to_person_share", ""),
    ):
        head.add_row(label, str(count), f"{report[share]:.1%}" if share else "", target)
    per_code = Table("code", "labelled", "caught", "with a correction")
    for c in outcomes.codes:
        per_code.add_row(c.code, str(c.labelled), str(c.caught), str(c.corrected))
    out = Console()
    out.print(head, per_code, f"{outcomes.orders} orders scored")
    out.print("target met" if outcomes.meets_target else "[yellow]target not met[/yellow]")
    if outcomes.unmatched_labels:
        out.print(f"{outcomes.unmatched_labels} labelled orders are not in {infile}")


@rules_app.command("check")
def rules_check(file: Annotated[Path, typer.Argument(help="rule file (YAML)")]) -> None:
    """Validate a rule file against the schema, codes and known features."""
    from ordersight.rules.loader import load_rules, summary
    from ordersight.rules.model import RuleFileError
    from serving.offline import known_features

    try:
        ruleset = load_rules(file, known_features())
    except RuleFileError as exc:
        raise _fail(str(exc), BAD_INPUT) from exc
    console.print_json(json.dumps(summary(ruleset), ensure_ascii=False))


@rules_app.command("replay")
def rules_replay(
    file: Annotated[Path, typer.Argument(help="the changed rule file")],
    orders: Annotated[Path, typer.Option(help="past orders, JSON lines")],
) -> None:
    """What a rule change would have changed on past orders (counts per action and code)."""
    from ordersight.rules.model import RuleFileError
    from serving.offline import replay

    try:
        replay(file, orders, get_settings(), console)
    except RuleFileError as exc:
        raise _fail(str(exc), BAD_INPUT) from exc


if __name__ == "__main__":
    app()
