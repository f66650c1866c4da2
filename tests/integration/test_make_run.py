"""`make run` from a clean clone reaches /readyz (README's first command, end to end).

The clone reuses this checkout's virtual environment (VENV=…) so the test does not reinstall
every package, and builds a small demo world (DEMO_ARGS) so it stays within minutes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ordersight.settings import REPO_ROOT

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_make_run_from_clean_clone_reaches_readyz(tmp_path: Path) -> None:
    if not (REPO_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO_ROOT), str(clone)], check=True)
    # the working tree may hold uncommitted work: lay it over the clone
    subprocess.run(
        f"git -C {REPO_ROOT} ls-files -co --exclude-standard -z | "
        f"xargs -0 -I{{}} cp --parents {{}} {clone} 2>/dev/null || true",
        shell=True,
        check=False,
    )
    port = _free_port()
    venv = Path(sys.executable).parent.parent
    env = {**os.environ, "ORDERSIGHT_HOME": str(tmp_path / "home")}
    # -o: use this venv as installed; never re-point its editable install at the clone. So the
    # clone runs this checkout's modules, compiled: compiling the clone's copy (-o build/.compiled
    # skips it) took nearly two of this test's five and a half minutes for nothing
    args = [
        "make",
        "-o",
        f"{venv}/.installed",
        "-o",
        "build/.compiled",
        "run",
        f"VENV={venv}",
        f"PORT={port}",
        "DEMO_ARGS=--days 60 --orders 3000",  # two months: the forecast trains in a minute
    ]
    log = (tmp_path / "make-run.log").open("w")
    proc = subprocess.Popen(
        args, cwd=clone, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 600
        ready = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                if ready.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(2)
        output = (tmp_path / "make-run.log").read_text()
        assert ready is not None and ready.status_code == 200, output[-3000:]
        assert ready.json()["ready"] is True
        assert (clone / "data" / "demo" / "catalog.csv").exists()
        listed = httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=5).json()["models"]
        names = {m["name"] for m in listed}  # champion, or challenger if a tiny world misses a gate
        assert names >= {"ordersight-address", "ordersight-stock", "ordersight-price"}, output[
            -3000:
        ]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
