"""Shared fixtures: one small demo world per test session, built by the real generator."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

SMALL_WORLD = {"seed": 11, "days": 400, "n_orders": 20_000}


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A deterministic small world (reference files, history, labeled orders)."""
    from training.demo import generate_world

    out = tmp_path_factory.mktemp("world")
    generate_world(out, progress=False, **SMALL_WORLD)
    return out


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0
