"""Snapshots of a book: its state at a journal sequence number, written atomically, checked on load.

A snapshot is `snapshot-<seq, 20 digits>.json`: `{"seq": n, "hash": h, "state": ...}` where `state` is the
engine's state after record n and `h` its state hash. It is written with `chain.files.write_atomic` (a
temporary file, fsync, rename, directory fsync), so a crash leaves either no new snapshot or a whole one;
loading recomputes the hash, and a snapshot that fails it is passed over for an older one. Only the
newest `KEEP` snapshots are kept.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

from chain.files import write_atomic
from matching.engine import Engine, engine_state, restore
from matching.engine.state import hash_state

KEEP: Final = 2
PATTERN: Final = "snapshot-*.json"


def write_snapshot(directory: Path, seq: int, engine: Engine) -> Path:
    """Write the snapshot of `engine` after record `seq`; drop the snapshots older than the newest `KEEP`."""
    state = engine_state(engine)
    digest = hash_state(state)
    path = directory / f"snapshot-{seq:020d}.json"
    write_atomic(
        path, json.dumps({"seq": seq, "hash": digest, "state": state}, separators=(",", ":")).encode()
    )
    for old in sorted(directory.glob(PATTERN))[:-KEEP]:
        old.unlink()
    return path


def load_latest(directory: Path) -> tuple[int, Engine]:
    """The newest snapshot that loads and hashes right, as (seq, engine); (0, a new engine) if none does."""
    for path in sorted(directory.glob(PATTERN), reverse=True):
        try:
            document = json.loads(path.read_bytes())
            engine = restore(document["state"])
        except (ValueError, KeyError, TypeError):
            continue
        if hash_state(engine_state(engine)) == document["hash"]:
            return int(document["seq"]), engine
    return 0, Engine()
