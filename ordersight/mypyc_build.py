"""Which of the project's modules run compiled by mypyc (`make compile`), and which are stale.

`make compile` builds the order path's pure-Python loops into extension modules beside their
source (README "Compiled modules"). Python imports an extension module before the ``.py`` beside
it, so a module edited after the build would go on running its old code: the tests refuse to
start then, and the service warns in its log.
"""

from __future__ import annotations

from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ordersight", "features", "models", "serving", "training")


def compiled_modules(root: Path = ROOT) -> dict[Path, bool]:
    """Each compiled module's source, relative to ``root`` → whether it is stale (its source was
    changed or removed after the build)."""
    found: dict[Path, bool] = {}
    for package in PACKAGES:
        for built in sorted((root / package).rglob("*.so")):
            suffix = next((s for s in EXTENSION_SUFFIXES if built.name.endswith(s)), None)
            if suffix is None:
                continue
            source = built.with_name(built.name.removesuffix(suffix) + ".py")
            stale = not source.exists() or source.stat().st_mtime > built.stat().st_mtime
            found[source.relative_to(root)] = stale
    return found


def stale_modules(root: Path = ROOT) -> list[str]:
    """The compiled modules whose source changed after `make compile`."""
    return [str(source) for source, stale in compiled_modules(root).items() if stale]
