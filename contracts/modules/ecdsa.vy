# pragma version ~=0.4.3
"""
@title ECDSA signer recovery (secp256k1)
@notice Recovers the address that signed a 32-byte digest, refusing every malleable or degenerate
        signature instead of returning a value a caller could mistake for a signer:
        - s in the upper half of the curve order (the twin (r, n - s) of a valid signature),
        - v other than 27 or 28,
        - a signature from which `ecrecover` recovers nothing (the zero address).
        Each refusal reverts with its reason, so callers never compare against the zero address.
        The module is stateless: import it and call it, no `uses`/`initializes` needed.
"""

# @dev The order n of secp256k1 (0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141).
SECP256K1_ORDER: constant(uint256) = (
    115792089237316195423570985008687907852837564279074904382605163141518161494337
)
# @dev Canonical signatures have s <= n / 2 (EIP-2); the twin (r, n - s) is refused.
SECP256K1_HALF_ORDER: constant(uint256) = SECP256K1_ORDER // 2

# @dev The only recovery ids Ethereum signatures carry (27 + y parity of R).
V_EVEN: constant(uint8) = 27
V_ODD: constant(uint8) = 28

# @dev Length of a packed signature r (32 bytes) || s (32 bytes) || v (1 byte).
SIGNATURE_LENGTH: constant(uint256) = 65


@internal
@pure
def _recover(digest: bytes32, v: uint8, r: bytes32, s: bytes32) -> address:
    """
    @dev Recovers the signer of `digest` from a split signature; reverts if it is not canonical.
    @param digest The 32-byte message digest that was signed.
    @param v The recovery id, 27 or 28.
    @param r The signature's r.
    @param s The signature's s, at most n / 2.
    @return The signer's address, never the zero address.
    """
    assert convert(s, uint256) <= SECP256K1_HALF_ORDER, "ecdsa: s is in the upper half of the order"
    assert v == V_EVEN or v == V_ODD, "ecdsa: v is not 27 or 28"
    signer: address = ecrecover(digest, v, r, s)
    assert signer != empty(address), "ecdsa: signature recovers no signer"
    return signer


@internal
@pure
def _recover_packed(digest: bytes32, signature: Bytes[SIGNATURE_LENGTH]) -> address:
    """
    @dev Recovers the signer of `digest` from a 65-byte signature r || s || v.
    @param digest The 32-byte message digest that was signed.
    @param signature The packed signature, exactly 65 bytes.
    @return The signer's address, never the zero address.
    """
    assert len(signature) == SIGNATURE_LENGTH, "ecdsa: signature is not 65 bytes"
    r: bytes32 = extract32(signature, 0)
    s: bytes32 = extract32(signature, 32)
    v: uint8 = convert(slice(signature, 64, 1), uint8)
    return self._recover(digest, v, r, s)
