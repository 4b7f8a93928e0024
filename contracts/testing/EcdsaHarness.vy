# pragma version ~=0.4.3
"""
@title Test harness exposing the ecdsa module
@notice Test-only: lets tests call the module's recovery functions directly. Never deployed to a real network.
"""

from ..modules import ecdsa


@external
@pure
def recover(digest: bytes32, v: uint8, r: bytes32, s: bytes32) -> address:
    """
    @notice Recovers the signer of `digest` from (v, r, s), reverting on a non-canonical signature.
    @param digest The signed 32-byte digest.
    @param v The recovery id (27 or 28).
    @param r The signature's r.
    @param s The signature's s.
    @return The signer's address.
    """
    return ecdsa._recover(digest, v, r, s)


@external
@pure
def recover_packed(digest: bytes32, signature: Bytes[65]) -> address:
    """
    @notice Recovers the signer of `digest` from a packed r || s || v signature.
    @param digest The signed 32-byte digest.
    @param signature The 65-byte signature.
    @return The signer's address.
    """
    return ecdsa._recover_packed(digest, signature)
