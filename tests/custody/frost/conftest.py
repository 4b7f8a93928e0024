"""Fixtures for the FROST tests: the published test vectors, read from tests/vectors/ (never from outside)."""

import json
from pathlib import Path
from typing import Any

import pytest

VECTORS = Path(__file__).resolve().parents[2] / "vectors"
SIGNING_VECTORS = ["rfc9591-frost-secp256k1-sha256.json", "zf-frost-secp256k1-signing.json"]


def load_vector(name: str) -> dict[str, Any]:
    """One vector file, parsed."""
    return json.loads((VECTORS / name).read_text())


@pytest.fixture(params=SIGNING_VECTORS)
def signing_vector(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Each 2-of-3 signing vector in turn (RFC 9591's, then the ZF crate's with other nonce randomness)."""
    return load_vector(request.param)


@pytest.fixture
def dkg_vector() -> dict[str, Any]:
    """The ZF crate's 2-of-3 DKG vector."""
    return load_vector("zf-frost-secp256k1-dkg.json")


@pytest.fixture
def repair_vector() -> dict[str, Any]:
    """The ZF crate's repairable-share sums."""
    return load_vector("zf-frost-secp256k1-repair-share.json")
