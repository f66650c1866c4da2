"""Hot reload: the live RuleSet is replaced only by a file that loaded cleanly."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from ordersight.rules.loader import load_rules
from ordersight.rules.model import RuleFileError, RuleSet


class RuleStore:
    """Holds the current rules for the service; an invalid file never replaces good rules."""

    def __init__(
        self,
        path: Path | str,
        known_features: set[str] | None = None,
        min_check_interval_s: float = 1.0,
    ):
        self.path = Path(path)
        self.known_features = known_features
        self.min_check_interval_s = min_check_interval_s
        self.last_error: RuleFileError | None = None
        self._lock = threading.Lock()
        self._stamp = self._file_stamp()
        self._checked = time.monotonic()
        self._current = load_rules(self.path, known_features)

    @property
    def current(self) -> RuleSet:
        return self._current

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def reload(self) -> RuleSet:
        """Re-read the file now; on any error keep the old rules and raise RuleFileError."""
        with self._lock:
            self._stamp = self._file_stamp()
            try:
                ruleset = load_rules(self.path, self.known_features)
            except RuleFileError as exc:
                self.last_error = exc
                raise
            self.last_error = None
            self._current = ruleset
            return ruleset

    def maybe_reload(self) -> bool:
        """Reload if the file changed since the last look; cheap enough for the scoring path.

        Returns True when new rules were swapped in. A bad file is remembered in ``last_error``
        (not raised: scoring goes on with the old rules) and retried only once it changes again.
        """
        now = time.monotonic()
        if now - self._checked < self.min_check_interval_s:
            return False
        self._checked = now
        if self._file_stamp() == self._stamp:
            return False
        try:
            self.reload()
        except RuleFileError:
            return False
        return True
