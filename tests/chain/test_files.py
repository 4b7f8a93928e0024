"""chain.files: a crash before the rename leaves the old file; modes hold from creation; fsyncs."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from chain import files
from chain.files import PRIVATE, PUBLIC, canonical_json, make_private_directory, write_atomic


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def fd_path(fd: int) -> Path:
    """What an open descriptor refers to (Linux: /proc/self/fd)."""
    return Path(os.readlink(f"/proc/self/fd/{fd}"))


@pytest.fixture
def fsynced(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every fsync from here on, as the path of what was synced, in order."""
    real_fsync = os.fsync
    seen: list[Path] = []

    def recording_fsync(fd: int) -> None:
        seen.append(fd_path(fd))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    return seen


def test_a_write_replaces_the_file_and_leaves_nothing_beside_it(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    write_atomic(target, b"old")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_failure_before_the_rename_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "roster.json"
    write_atomic(target, b"old", mode=PUBLIC)

    def crash(source: object, destination: object) -> None:
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="power cut"):
        write_atomic(target, b"new", mode=PUBLIC)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["roster.json"]


def test_a_process_killed_between_the_fsync_and_the_rename_leaves_the_old_file(tmp_path: Path) -> None:
    """A real crash: the child dies by SIGKILL at the rename; no cleanup code gets to run."""
    target = tmp_path / "roster.json"
    write_atomic(target, b"old", mode=PUBLIC)
    child = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from chain.files import PUBLIC, write_atomic
        os.replace = lambda source, destination: os.kill(os.getpid(), signal.SIGKILL)
        write_atomic(Path({str(target)!r}), b"new", mode=PUBLIC)
        """
    )
    result = subprocess.run([sys.executable, "-c", child], check=False, timeout=60)
    assert result.returncode == -signal.SIGKILL
    assert target.read_bytes() == b"old"
    (leftover,) = [p for p in tmp_path.iterdir() if p != target]
    assert leftover.name.startswith(".roster.json.")
    assert leftover.name.endswith(".tmp")
    assert leftover.read_bytes() == b"new"  # written and fsynced, only the rename was lost
    assert mode(leftover) == PUBLIC


@pytest.mark.parametrize("wanted", [PRIVATE, PUBLIC])
def test_the_file_has_its_mode_before_any_byte_is_written_whatever_the_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wanted: int
) -> None:
    real_write = os.write
    modes_while_writing: list[int] = []

    def checking_write(fd: int, data: bytes | memoryview) -> int:
        modes_while_writing.append(stat.S_IMODE(os.fstat(fd).st_mode))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", checking_write)
    previous = os.umask(0o077 if wanted == PUBLIC else 0)  # a umask narrowing or widening the mode
    try:
        write_atomic(tmp_path / "file", b"x" * 100, mode=wanted)
    finally:
        os.umask(previous)
    assert modes_while_writing
    assert set(modes_while_writing) == {wanted}
    assert mode(tmp_path / "file") == wanted


def test_a_private_file_is_never_readable_by_others_even_when_created_under_umask_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_open = os.open
    creation_modes: list[int] = []

    def recording_open(path: object, flags: int, mode: int = 0o777, **kwargs: object) -> int:
        if flags & os.O_CREAT:
            creation_modes.append(mode)
        return real_open(path, flags, mode, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", recording_open)
    write_atomic(tmp_path / "key.pem", b"secret")
    assert creation_modes == [PRIVATE]  # created exclusively with the final mode, not chmod-ed afterwards


def test_the_file_then_its_directory_are_fsynced_around_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fsynced: list[Path]
) -> None:
    target = tmp_path / "deployments" / "local.json"
    real_replace = os.replace
    events: list[str] = []

    def recording_replace(source: str | os.PathLike[str], destination: str | os.PathLike[str]) -> None:
        events.append(f"fsyncs before rename: {len(fsynced)}")
        real_replace(source, destination)

    monkeypatch.setattr(os, "replace", recording_replace)
    write_atomic(target, b"{}")
    assert events == ["fsyncs before rename: 1"]
    temporary, directory = fsynced
    assert temporary.parent == target.parent
    assert temporary.name.startswith(".local.json.")
    assert directory == target.parent


def test_a_rebuildable_file_may_skip_the_fsyncs_but_stays_atomic(tmp_path: Path, fsynced: list[Path]) -> None:
    write_atomic(tmp_path / "log.idx", b"\x00" * 8, durable=False)
    assert fsynced == []
    assert (tmp_path / "log.idx").read_bytes() == b"\x00" * 8


def test_a_temporary_prefix_names_the_temporary_file(tmp_path: Path, fsynced: list[Path]) -> None:
    write_atomic(tmp_path / "header", b"h", temporary_prefix=".tmp-")
    assert fsynced[0].name.startswith(".tmp-")


def test_a_private_directory_is_0700_and_its_entry_durable(tmp_path: Path, fsynced: list[Path]) -> None:
    previous = os.umask(0)
    try:
        make_private_directory(tmp_path / "a" / "b", parents=True)
    finally:
        os.umask(previous)
    assert mode(tmp_path / "a" / "b") == 0o700
    assert fsynced == [tmp_path / "a"]
    (tmp_path / "open").mkdir(mode=0o755)
    make_private_directory(tmp_path / "open", durable=False)  # an existing directory is tightened
    assert mode(tmp_path / "open") == 0o700


def test_canonical_json_is_sorted_compact_and_ascii() -> None:
    value = {"b": [1, {"é": None}], "a": True}
    assert canonical_json(value) == b'{"a":true,"b":[1,{"\\u00e9":null}]}'
    assert canonical_json(value) == json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def test_canonical_json_refuses_nan_when_asked() -> None:
    assert canonical_json(float("nan")) == b"NaN"
    with pytest.raises(ValueError, match="not JSON compliant"):
        canonical_json(float("nan"), allow_nan=False)


def test_the_shared_module_is_the_one_place_that_renames() -> None:
    """No other module of the project writes files by its own temporary-file-and-rename."""
    root = Path(files.__file__).resolve().parents[1]
    renaming = [
        path.relative_to(root).as_posix()
        for package in ("api", "chain", "custody", "scripts")
        for path in (root / package).rglob("*.py")
        if "os.replace(" in path.read_text(encoding="utf-8")
    ]
    assert sorted(renaming) == ["chain/files.py", "custody/keystore/migrate.py"]  # migrate swaps directories


def test_missing_parents_are_created_unless_refused(tmp_path: Path) -> None:
    write_atomic(tmp_path / "a" / "b" / "file", b"x")
    assert (tmp_path / "a" / "b" / "file").read_bytes() == b"x"
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "gone" / "record", b"x", make_parents=False)
    assert not (tmp_path / "gone").exists()
