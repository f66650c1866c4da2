"""Scoring speed: our /v1/orders/score beside a FastAPI hello-world and `mlflow models serve`.

Needs the demo world and trained champions (`make bench` runs `make train` first).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from ordersight.mypyc_build import compiled_modules, copy_without_build
from ordersight.schema import Order
from ordersight.settings import REPO_ROOT, get_settings
from tests.benchmarks.loadgen import closed_loop, open_loop

N_ORDERS = 2_000
PEAK_RATE = 1_200  # orders/s the industry quotes as peak
BATCH = 10_000
BATCH_ROUNDS = 3
HTTP_BATCH = 500  # orders per request in the HTTP batch comparison


def _chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _server(args: list[str], env: dict[str, str], health: str) -> Iterator[None]:
    proc = subprocess.Popen(
        args,
        env={**os.environ, **env},
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(health, timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            raise RuntimeError(f"server did not start: {args}")
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _uvicorn(target: str, port: int, factory: bool = False) -> list[str]:
    args = [
        sys.executable,
        "-m",
        "uvicorn",
        target,
        "--port",
        str(port),
        "--host",
        "127.0.0.1",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    return args + (["--factory"] if factory else [])


def _orders(n: int) -> list[dict]:
    path = Path(get_settings().reference_dir) / "orders.jsonl"
    with path.open(encoding="utf-8") as fh:
        return [json.loads(next(fh)) for _ in range(n)]


# one batch scored three times in a fresh process on one core: first with the address caches cold,
# then warm; run in the compiled tree and in a copy of it without its compiled modules. With
# "live", the orders are created now, after the stock snapshot (the ledger takes part), and the
# stream is shared in Redis where ORDERSIGHT_SHARED_STREAM is set.
BATCH_RATES = """
import json, os, sys, time
from datetime import UTC, datetime, timedelta
from itertools import islice

from ordersight.schema import Order
from ordersight.settings import get_settings
from serving.heap import freeze_startup_heap
from serving.offline import build_scorer
from serving.shared_stream import shared_stores

n, live = int(sys.argv[1]), sys.argv[2:] == ["live"]
os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
scorer = build_scorer(get_settings())
scorer.share_stream(*shared_stores(get_settings(), scorer.recent.window))
with open(os.path.join(get_settings().reference_dir, "orders.jsonl"), encoding="utf-8") as fh:
    orders = [Order.model_validate(json.loads(line)) for line in islice(fh, n + 100)]
if live:
    now = datetime.now(UTC)
    orders = [o.model_copy(update={"created_at": now + timedelta(seconds=i)})
              for i, o in enumerate(orders)]
scorer.warm_up()
scorer.score(orders[n:])
freeze_startup_heap()  # as the service and the worker do after start-up
rates = []
for _ in range(3):
    t0 = time.perf_counter()
    scorer.score(orders[:n])
    rates.append(n / (time.perf_counter() - t0))
print(json.dumps(rates))
"""


def _batch_rates(tree: Path, *live: str, env: dict[str, str] | None = None) -> list[float]:
    settings = get_settings()
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "ORDERSIGHT_REFERENCE_DIR": str(Path(settings.reference_dir).resolve()),
        "ORDERSIGHT_HOME": str(settings.home.resolve()),
        "ORDERSIGHT_SHARED_STREAM": "false",
        **(env or {}),
    }
    done = subprocess.run(
        [sys.executable, "-c", BATCH_RATES, str(BATCH), *live],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _batch_rows() -> list[dict]:
    """In-process batch throughput on one core: one feature frame, one predict per model, with
    the compiled modules (`make compile`) and with the same code as Python, alternating
    (``BATCH_ROUNDS`` fresh processes each: the shared machine's speed drifts); medians.

    Cold: 10,000 distinct orders whose addresses the parser has not seen. Warm: the same batch
    again, as when customers and addresses repeat (the parse and its features are cached).
    """
    compiled, python = [], []
    with tempfile.TemporaryDirectory() as tmp:
        plain = copy_without_build(Path(tmp))
        for _ in range(BATCH_ROUNDS):
            compiled.append(_batch_rates(REPO_ROOT))
            python.append(_batch_rates(plain))
    build = "compiled" if compiled_modules() else "NOT compiled (make compile)"
    return _first_and_again_rows(
        f"batch scoring, {BATCH:,} distinct orders, 1 core, {build}, {{}} "
        f"(median of {BATCH_ROUNDS})",
        ("cold address cache", "warm"),
        compiled,
        python,
        "the same code as Python",
        target="≥ 50,000 orders/s",
    )


def _shared_rows() -> list[dict]:
    """The in-process batch on orders created now (the stock ledger takes part), with the
    duplicate window and the ledger shared in the local Redis (``ORDERSIGHT_SHARED_STREAM``)
    and with the process's own, alternating (``BATCH_ROUNDS`` fresh processes each); medians."""
    import redis

    queue = f"ordersight:bench:{os.getpid()}"
    shared, own = [], []
    try:
        for _ in range(BATCH_ROUNDS):
            env = {"ORDERSIGHT_SHARED_STREAM": "true", "ORDERSIGHT_QUEUE_NAME": queue}
            shared.append(_batch_rates(REPO_ROOT, "live", env=env))
            own.append(_batch_rates(REPO_ROOT, "live"))
    finally:
        client = redis.Redis.from_url(get_settings().redis_url)
        for key in client.scan_iter(f"{queue}*", count=10_000):
            client.delete(key)
    return _first_and_again_rows(
        f"batch scoring, {BATCH:,} live orders, 1 core, window and ledger shared in Redis, {{}} "
        f"(median of {BATCH_ROUNDS})",
        ("new orders", "sent again"),
        shared,
        own,
        "the process's own window and ledger",
    )


def _first_and_again_rows(
    figure: str,
    labels: tuple[str, str],
    ours: list[list[float]],
    theirs: list[list[float]],
    baseline: str,
    **extra: str,
) -> list[dict]:
    """Rows of batch rates per process (:func:`_batch_rates`): the medians of each process's
    first run, then of its best later run (the same batch again), ours beside the baseline's."""
    rows = []
    for label, pick in zip(labels, (lambda r: r[0], lambda r: max(r[1:])), strict=True):
        value = statistics.median(pick(r) for r in ours)
        base = statistics.median(pick(r) for r in theirs)
        rows.append(
            {
                "figure": figure.format(label),
                "value": value,
                "unit": "orders/s",
                "baseline": baseline,
                "baseline_value": base,
                "ratio": value / base,
                **extra,
            }
        )
    return rows


def run() -> list[dict]:
    payloads = _orders(N_ORDERS)
    settings = get_settings()
    env = {"ORDERSIGHT_API_KEYS": "", "ORDERSIGHT_REFERENCE_DIR": str(settings.reference_dir)}
    rows: list[dict] = []
    ours_port, hello_port, mlflow_port = _port(), _port(), _port()
    ours_url = f"http://127.0.0.1:{ours_port}/v1/orders/score"
    with _server(
        _uvicorn("serving.app:create_app", ours_port, factory=True),
        env,
        f"http://127.0.0.1:{ours_port}/readyz",
    ):
        ours = closed_loop(ours_url, payloads)
        # three 3-second runs, the median reported: one run's p99 rests on ~36 requests
        peak_runs = [open_loop(ours_url, payloads, rate=PEAK_RATE, seconds=3) for _ in range(3)]
        ours_at_peak = sorted(peak_runs, key=lambda r: r["p99_ms"])[1]
        peak_p99s = ", ".join(f"{r['p99_ms']:.1f}" for r in peak_runs)
        # latency under a load this machine can carry: 70 % of the measured capacity, at most the
        # peak rate (then a fourth, longer run at the peak)
        steady_rate = min(PEAK_RATE, 0.7 * ours["rps"])
        ours_steady = open_loop(ours_url, payloads, rate=steady_rate, seconds=5)
        ours_batch = closed_loop(
            f"http://127.0.0.1:{ours_port}/v1/orders/score-batch",
            [{"orders": chunk} for chunk in _chunks(payloads, HTTP_BATCH)],
            concurrency=2,
        )
    with _server(
        _uvicorn("tests.benchmarks.hello_app:app", hello_port),
        env,
        f"http://127.0.0.1:{hello_port}/docs",
    ):
        hello = closed_loop(f"http://127.0.0.1:{hello_port}/v1/orders/score", payloads)
    rows.append(
        {
            "figure": "single-order throughput",
            "value": ours["rps"],
            "unit": "req/s",
            "baseline": "FastAPI hello-world",
            "baseline_value": hello["rps"],
            "ratio": ours["rps"] / hello["rps"],
            "target": "≥ 0.40×",
        }
    )
    rows.append(
        {
            "figure": "single-order p50 latency",
            "value": ours["p50_ms"],
            "unit": "ms",
            "baseline": "FastAPI hello-world",
            "baseline_value": hello["p50_ms"],
            "ratio": ours["p50_ms"] / hello["p50_ms"],
        }
    )
    rows.append(
        {
            "figure": f"p99 at {ours_at_peak['sent_rps']:.0f}/s offered (median of "
            f"{peak_p99s} ms), {sum(r['errors'] for r in peak_runs)} errors",
            "unit": "ms",
            "value": ours_at_peak["p99_ms"],
            "target": "≤ 10 ms at 1,200/s",
        }
    )
    rows.append(
        {
            "figure": f"p50 / p99 at {ours_steady['sent_rps']:.0f}/s "
            f"({ours_steady['sent_rps'] / ours['rps']:.0%} of capacity, 5 s), "
            f"{ours_steady['errors']} errors",
            "unit": "ms",
            "value": ours_steady["p99_ms"],
            "baseline": "p50",
            "baseline_value": ours_steady["p50_ms"],
        }
    )
    for extra in (
        lambda: _mlflow_rows(settings, payloads, ours, ours_batch, mlflow_port),
        _batch_rows,
        _shared_rows,
    ):
        try:
            rows += extra()
        except Exception as exc:  # one baseline failing must not hide the others
            rows.append({"figure": f"failed: {exc}"[:120], "value": float("nan")})
    return rows


def _mlflow_rows(
    settings, payloads: list[dict], ours: dict, ours_batch: dict, port: int
) -> list[dict]:
    """`mlflow models serve` on the price champion, fed that model's own feature rows: one row
    per request, and HTTP_BATCH rows per request beside our batch endpoint (whole orders in)."""
    from serving.offline import build_scorer
    from serving.scorer import build_frame

    scorer = build_scorer(settings)
    price = scorer.models.champions.get("price")
    if price is None:
        return [{"figure": "mlflow models serve", "value": 0.0, "target": "no price champion"}]
    orders = [Order.model_validate(p) for p in payloads]
    frame, _ = build_frame(orders, scorer.reference.data, None)
    cols = list(price.model.feature_names)
    rows_x = frame[cols].to_numpy(dtype=float).tolist()  # NaN travels as JSON NaN, as before

    def body(rows: list) -> dict:
        return {"dataframe_split": {"columns": cols, "data": rows}}

    mlflow_bin = str(Path(sys.executable).with_name("mlflow"))
    args = [
        mlflow_bin,
        "models",
        "serve",
        "-m",
        "models:/ordersight-price@champion",
        "--env-manager",
        "local",
        "-p",
        str(port),
        "-h",
        "127.0.0.1",
    ]
    venv_bin = str(Path(sys.executable).parent)  # mlflow execs `uvicorn` from PATH
    env = {"MLFLOW_TRACKING_URI": settings.tracking_uri, "PATH": f"{venv_bin}:{os.environ['PATH']}"}
    url = f"http://127.0.0.1:{port}/invocations"
    with _server(args, env, f"http://127.0.0.1:{port}/ping"):
        single = closed_loop(url, [body([r]) for r in rows_x[:500]])
        batch = closed_loop(url, [body(c) for c in _chunks(rows_x, HTTP_BATCH)], concurrency=2)
    ours_rate, theirs_rate = ours_batch["rps"] * HTTP_BATCH, batch["rps"] * HTTP_BATCH
    return [
        {
            "figure": "single-order throughput",
            "value": ours["rps"],
            "unit": "req/s",
            "baseline": "mlflow models serve (price model only)",
            "baseline_value": single["rps"],
            "ratio": ours["rps"] / max(single["rps"], 1e-9),
            "target": "≥ 30×",
        },
        {
            "figure": f"HTTP batch throughput, {HTTP_BATCH} orders per request",
            "value": ours_rate,
            "unit": "orders/s",
            "baseline": "mlflow models serve (price model only)",
            "baseline_value": theirs_rate,
            "ratio": ours_rate / max(theirs_rate, 1e-9),
            "target": "≥ 30×",
        },
    ]
