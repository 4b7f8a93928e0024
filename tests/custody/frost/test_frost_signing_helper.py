"""The helper other test suites sign with: real signatures, deterministic fixed keys."""

import pytest

from custody.frost import verify_signature
from tests.helpers.frost_signing import fixed_key, sign_digest, sign_with_key


def test_sign_digest_signs_with_a_fresh_key():
    digest = bytes(range(32))
    group_key, signature = sign_digest(digest, signers=3, of=5)
    assert verify_signature(group_key, digest, signature)
    other_key, _ = sign_digest(digest)
    assert other_key != group_key
    with pytest.raises(ValueError, match="32 bytes"):
        sign_digest(b"short")


def test_fixed_key_is_deterministic_and_signs():
    key = fixed_key(42)
    assert fixed_key(42)[1] == key[1]
    assert fixed_key(43)[1].group_public_key != key[1].group_public_key
    assert key[0][1].min_signers == 2
    assert sorted(key[0]) == [1, 2, 3]
    signature = sign_with_key(key, b"\x00" * 32, signers=[1, 3])
    assert verify_signature(key[1].group_public_key, b"\x00" * 32, signature)
