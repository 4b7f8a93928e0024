"""Schnorr challenge and signature verification under the group key (RFC 9591 §4.6, §6.5 prime-order verify).

A FROST signature is an ordinary Schnorr signature: anyone with the group key checks z·G = R + c·PK with
c = H2(R || PK || msg). The contracts compute the same c, so this module is also the reference for them.
"""

from custody.frost.ciphersuite import h2
from custody.frost.group import Point
from custody.frost.signature import Signature


def challenge(R: Point, group_key: Point, message: bytes) -> int:
    """compute_challenge: c = H2(SerializeElement(R) || SerializeElement(PK) || msg)."""
    return h2(R.to_bytes() + group_key.to_bytes() + message)


def verify_signature(group_key: Point, message: bytes, signature: Signature) -> bool:
    """True when `signature` is a valid Schnorr signature on `message` under `group_key`."""
    if group_key.is_identity:
        return False
    c = challenge(signature.R, group_key, message)
    return Point.base_mul(signature.z) == signature.R + group_key * c
