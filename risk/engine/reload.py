"""The rule file, re-read when it changes, the last good rule set kept when an edit is bad.

`current()` looks at the file's stamp (mtime, size, inode) at most once per `check_every` seconds of the
injected clock, so deciding costs no system call most of the time. A bad edit (invalid rule, unreadable
file, a velocity figure the running engine does not track) is logged once with its file:line and kept in
`last_error`; the previous rule set stays in force until a good edit replaces it.
"""

import logging
import os
from collections.abc import Callable
from pathlib import Path

from risk.engine.errors import RuleFileError
from risk.engine.rulefile import load_rules
from risk.engine.ruleset import RuleSet

logger = logging.getLogger(__name__)

Stamp = tuple[int, int, int]


def _stamp(path: Path) -> Stamp | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size, status.st_ino


class RuleSource:
    """The rule set in force. `clock` returns seconds; the first load raises `RuleFileError` if bad."""

    def __init__(self, path: Path, clock: Callable[[], int], *, check_every: int = 1) -> None:
        self.path = path
        self._clock = clock
        self._check_every = check_every
        self._stamp = _stamp(path)
        self._rules = load_rules(path)
        self._figures = self._rules.figures
        self._next_check = clock() + check_every
        self.last_error: RuleFileError | None = None

    def current(self) -> RuleSet:
        now = self._clock()
        if now >= self._next_check:
            self._next_check = now + self._check_every
            self.check()
        return self._rules

    def check(self) -> None:
        """Reload now if the file changed since it was last read (good or bad)."""
        stamp = _stamp(self.path)
        if stamp == self._stamp:
            return  # unchanged, or still missing (which was said when it went)
        self._stamp = stamp
        try:
            rules = load_rules(self.path)
            untracked = rules.figures - self._figures
            if untracked:
                figure = min(untracked)
                measure = "sum" if figure.amounts else "count"
                raise RuleFileError(
                    str(self.path),
                    0,
                    f"the {figure.dimension} {measure} over {figure.span} s is new: the running engine does "
                    "not track it; restart to use it",
                )
        except RuleFileError as error:
            self.last_error = error
            logger.warning("risk rules: kept the rule set %s in force; %s", self._rules.digest, error)
            return
        self.last_error = None
        logger.info("risk rules: rule set %s loaded from %s", rules.digest, self.path)
        self._rules = rules
