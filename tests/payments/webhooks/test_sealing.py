"""Secrets sealed at rest: AES-256-GCM under a key file, bound to their row, never in a repr or error."""

import stat
from pathlib import Path

import pytest

from payments.webhooks.sealing import SealingError, SecretBox, create_key_file

SECRET = "whsec_sealed_secret"


def test_a_sealed_secret_opens_under_its_key_and_row_only(box: SecretBox, tmp_path: Path):
    sealed = box.seal(SECRET, "whs_1")
    assert SECRET.encode() not in sealed
    assert box.open(sealed, "whs_1") == SECRET
    assert box.seal(SECRET, "whs_1") != sealed  # a fresh nonce each time
    with pytest.raises(SealingError):
        box.open(sealed, "whs_2")  # moved to another row
    with pytest.raises(SealingError):
        box.open(sealed[:-1] + bytes([sealed[-1] ^ 1]), "whs_1")
    other = tmp_path / "other.key"
    create_key_file(other)
    with pytest.raises(SealingError):
        SecretBox.from_file(other).open(sealed, "whs_1")


def test_the_key_file_is_private_and_never_overwritten(key_file: Path):
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    before = key_file.read_text()
    assert not create_key_file(key_file)
    assert key_file.read_text() == before
    assert before.strip() not in repr(SecretBox.from_file(key_file))


@pytest.mark.parametrize("content", ["", "zz" * 32, "ab" * 31, "ab" * 33])
def test_a_malformed_key_file_is_refused_without_echoing_it(tmp_path: Path, content: str):
    path = tmp_path / "bad.key"
    path.write_text(content)
    with pytest.raises(SealingError) as refused:
        SecretBox.from_file(path)
    assert str(path) in str(refused.value)
    assert not content or content not in str(refused.value)


def test_a_missing_key_file_is_refused(tmp_path: Path):
    with pytest.raises(SealingError, match="cannot read"):
        SecretBox.from_file(tmp_path / "absent.key")
