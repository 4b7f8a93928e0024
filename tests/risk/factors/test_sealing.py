"""The TOTP secrets' sealing: bound to its row, keyed by a file, silent about both."""

from pathlib import Path

import pytest

from risk.factors.sealing import SealingError, SecretBox


def test_a_sealed_secret_opens_only_under_its_key_and_row(box: SecretBox, tmp_path: Path):
    sealed = box.seal(b"secret", "row-a")
    assert box.open(sealed, "row-a") == b"secret"
    assert box.seal(b"secret", "row-a") != sealed  # a fresh nonce each time
    with pytest.raises(SealingError):
        box.open(sealed, "row-b")
    with pytest.raises(SealingError):
        box.open(sealed[:-1] + bytes([sealed[-1] ^ 1]), "row-a")
    other = tmp_path / "other.key"
    other.write_text("11" * 32)
    with pytest.raises(SealingError):
        SecretBox.from_file(other).open(sealed, "row-a")


def test_a_bad_key_file_is_named_never_shown(tmp_path: Path):
    with pytest.raises(SealingError, match="cannot read"):
        SecretBox.from_file(tmp_path / "missing.key")
    short = tmp_path / "short.key"
    short.write_text("abcd1234")
    with pytest.raises(SealingError) as refused:
        SecretBox.from_file(short)
    assert str(short) in str(refused.value)
    assert "abcd1234" not in str(refused.value)
