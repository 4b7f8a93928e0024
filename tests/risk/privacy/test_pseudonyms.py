"""Keyed pseudonyms: stable under one key, unlinkable across keys, the key never shown."""

from pathlib import Path

import pytest

from risk.privacy.pseudonyms import Pseudonymizer, PseudonymKeyError


def test_a_pseudonym_is_stable_per_key_and_differs_across_keys():
    one, two = Pseudonymizer(b"\x01" * 32), Pseudonymizer(b"\x02" * 32)
    assert one.pseudonym("idn_a") == one.pseudonym("idn_a") != one.pseudonym("idn_b")
    assert one.pseudonym("idn_a") != two.pseudonym("idn_a")
    assert one.key_id != two.key_id
    assert len(one.key_id) == 16
    assert "idn_a" not in one.pseudonym("idn_a")


def test_the_key_is_read_from_its_file_and_never_shown(tmp_path: Path):
    path = tmp_path / "analytics.key"
    path.write_text("ab" * 32 + "\n")
    loaded = Pseudonymizer.from_file(path)
    assert loaded.key_id == Pseudonymizer.from_file(path).key_id
    assert (
        loaded.key_id != Pseudonymizer(bytes.fromhex("ab" * 32)).key_id
    )  # HKDF: the file's key is not used raw
    assert "ab" * 4 not in repr(loaded)


@pytest.mark.parametrize("content", [None, "", "zz" * 32, "ab" * 31])
def test_a_missing_or_malformed_key_file_is_refused_without_its_content(tmp_path: Path, content: str | None):
    path = tmp_path / "analytics.key"
    if content is not None:
        path.write_text(content)
    with pytest.raises(PseudonymKeyError) as refused:
        Pseudonymizer.from_file(path)
    assert str(path) in str(refused.value)
    assert not content or content not in str(refused.value)
