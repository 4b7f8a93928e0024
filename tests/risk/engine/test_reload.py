"""The rule file is re-read when it changes; a bad edit is refused, said once, and the last good set stays."""

import logging
import os
from pathlib import Path

import pytest

from risk.engine import RuleFileError, RuleSource
from tests.risk.engine.conftest import Clock


def edit(path: Path, old: str, new: str) -> None:
    """Rewrite the file and move its mtime on (a fast test may edit twice within the clock's resolution)."""
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    status = path.stat()
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000_000))


def thresholds(source: RuleSource) -> tuple[int, ...]:
    return tuple(score for score, _ in source.current().thresholds)


def test_a_good_edit_is_picked_up_after_the_check_interval(rules_file: Path, clock: Clock) -> None:
    source = RuleSource(rules_file, clock, check_every=5)
    before = source.current()
    edit(rules_file, "step_up: 40", "step_up: 45")
    clock.now += 4
    assert source.current() is before  # not looked at yet
    clock.now += 1
    after = source.current()
    assert thresholds(source)[0] == 45
    assert after.digest != before.digest
    assert source.last_error is None


def test_a_bad_edit_keeps_the_last_good_rule_set_and_says_why_once(
    rules_file: Path, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    source = RuleSource(rules_file, clock)
    good = source.current()
    edit(rules_file, "outcome: deny\n    score: 100", "outcome: forbid\n    score: 100")
    line = rules_file.read_text().splitlines().index("    outcome: forbid") + 1
    clock.now += 1
    with caplog.at_level(logging.WARNING, logger="risk.engine.reload"):
        assert source.current() is good
        clock.now += 1
        assert source.current() is good
    assert source.last_error is not None
    assert source.last_error.line == line
    assert f"{rules_file}:{line}:" in caplog.text
    assert len(caplog.records) == 1  # an unchanged bad file is not re-read nor re-logged
    assert good.digest in caplog.text

    edit(rules_file, "outcome: forbid", "outcome: deny")
    clock.now += 1
    assert source.current() is not good
    assert source.last_error is None


def test_a_removed_file_keeps_the_rule_set_until_it_comes_back(rules_file: Path, clock: Clock) -> None:
    source = RuleSource(rules_file, clock)
    good = source.current()
    text = rules_file.read_text()
    rules_file.unlink()
    clock.now += 1
    assert source.current() is good
    assert source.last_error is not None
    assert "cannot read" in source.last_error.problem
    rules_file.write_text(text.replace("step_up: 40", "step_up: 41"))
    clock.now += 1
    assert thresholds(source)[0] == 41


def test_an_edit_reading_an_untracked_velocity_figure_waits_for_a_restart(
    rules_file: Path, clock: Clock
) -> None:
    source = RuleSource(rules_file, clock)
    good = source.current()
    edit(rules_file, "velocity.device.1h.count", "velocity.device.24h.count")
    clock.now += 1
    assert source.current() is good
    assert source.last_error is not None
    assert "device count over 86400 s is new" in source.last_error.problem
    assert RuleSource(rules_file, clock).current().digest != good.digest  # a restart takes it


def test_a_bad_file_at_start_stops_the_start(rules_file: Path, clock: Clock) -> None:
    edit(rules_file, "version: 1", "version: 2")
    with pytest.raises(RuleFileError) as refused:
        RuleSource(rules_file, clock)
    assert refused.value.line == 4
