"""Golden files: the checked-in bytes of what TPWallet writes to disk or hands out, compared byte for byte.

A test builds an object deterministically, encodes it, and calls `assert_golden` with the golden file's
path: an accidental change of an encoding then fails the test instead of leaving stored keys, logs or
cursors of an older release unreadable. ``TPW_UPDATE_GOLDEN=1 pytest tests/...`` rewrites the files instead of
comparing; that is a format change and needs a migration (see tests/custody/golden/README.md).
"""

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final

UPDATE_ENV: Final = "TPW_UPDATE_GOLDEN"


def updating() -> bool:
    """Whether this run rewrites golden files (``TPW_UPDATE_GOLDEN=1``) instead of checking them."""
    return os.environ.get(UPDATE_ENV) == "1"


def assert_golden(path: Path, actual: bytes) -> bytes:
    """The golden bytes at `path`, after checking that `actual` is exactly them (or writing `actual` there
    when updating). Returning the file's bytes lets the test decode what is on disk, not what it just made."""
    if updating():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual)
    if not path.exists():
        raise AssertionError(f"golden file {path} is missing: create it with {UPDATE_ENV}=1")
    expected = path.read_bytes()
    assert actual == expected, (
        f"the encoding no longer matches golden file {path}: an accidental format change? A deliberate one "
        f"needs a migration of what is stored, then {UPDATE_ENV}=1 to rewrite the file"
    )
    return expected


def golden_sample(path: Path, make: Callable[[], bytes]) -> bytes:
    """The golden bytes at `path` of an encoding made with fresh randomness (a sealed value, whose nonce no
    seam fixes): `make()` is written there only when updating. The test pins the format by decoding these
    bytes and encoding them again with their own nonce."""
    if updating():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(make())
    return path.read_bytes()


def golden_text(values: Mapping[str, str]) -> bytes:
    """Several short encodings (fingerprints, cursors) as one reviewable golden file: sorted JSON lines."""
    return (json.dumps(dict(values), indent=2, sort_keys=True) + "\n").encode()
