# pragma version ~=0.4.3
"""
@title FROST(secp256k1, SHA-256) Schnorr signature verification
@notice Verifies the custody group's RFC 9591 signatures (R, z) over a 32-byte digest: z·G − c·PK = R with
        c = H2(enc(R) || enc(PK) || digest), H2 = hash_to_field with expand_message_xmd(SHA-256)
        (RFC 9380 §5.3.1), DST "FROST-secp256k1-SHA256-v1chal", 48 bytes reduced mod n.
        Signatures arrive as (rx, ry, z): R uncompressed, so checking R is on the curve replaces the
        modular square root that decompressing it would cost.
        The group key is held as (pk_x, pk_y_parity): that is all the challenge (enc(PK) is a parity byte
        and x) and `ecrecover` (v = 27 + parity) need. `_check_group_key` vets a full (x, y) point once,
        when a contract stores its key.
        Outcomes: a well-formed signature that does not verify returns False; malformed input (z not in
        [1, n), R off the curve, a key x not in [1, n), a parity not 0 or 1) reverts with its reason.
        The module is stateless: import it and call it, no `uses`/`initializes` needed.
        Gas: `_verify` runs on every custody-authorised transaction, so it computes the curve check and the
        challenge inline (an internal call copies its arguments through memory: ~170 gas for the two);
        `_is_on_curve` remains for vetting keys, where gas does not matter. The challenge has no other
        copy: the tests hold it to `custody.frost` through real signatures, which verify only if it agrees.
@dev The Python twin is `custody.frost` (`challenge`, `verify_signature`); tests hold the challenges equal.
"""

# @dev The base field prime p of secp256k1 (2**256 - 2**32 - 977): coordinates live in [0, p).
SECP256K1_FIELD_PRIME: constant(uint256) = (
    115792089237316195423570985008687907853269984665640564039457584007908834671663
)
# @dev The group order n of secp256k1 (0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141).
SECP256K1_ORDER: constant(uint256) = (
    115792089237316195423570985008687907852837564279074904382605163141518161494337
)
# @dev b in the curve equation y^2 = x^3 + b.
SECP256K1_B: constant(uint256) = 7

# @dev The challenge hashes one 195-byte message and two 63-byte blocks (RFC 9380 §5.3.1, len_in_bytes = 48):
#        b0 = H(Z_pad || msg || I2OSP(48, 2) || I2OSP(0, 1) || DST_prime)
#        b1 = H(b0 || I2OSP(1, 1) || DST_prime)
#        b2 = H((b0 xor b1) || I2OSP(2, 1) || DST_prime)
#      with msg = enc(R) || enc(PK) || digest (33 + 33 + 32 bytes), Z_pad 64 zero bytes and
#      DST_prime = "FROST-secp256k1-SHA256-v1chal" || I2OSP(29, 1) (30 bytes). Laid out in 32-byte words
#      (byte offsets in brackets), msg_prime is:
#        word 0, 1 [0, 64)     Z_pad
#        word 2    [64, 96)    prefix(R) || R.x[0:31]              prefix = 0x02 | y parity
#        word 3    [96, 128)   R.x[31] || prefix(PK) || PK.x[0:30]
#        word 4    [128, 160)  PK.x[30:32] || digest[0:30]
#        word 5    [160, 192)  digest[30:32] || 0x0030 || 0x00 || DST_prime[0:27]   = digest << 240 | B0_WORD_5
#        word 6    [192, 195)  DST_prime[27:30]                                      = B0_WORD_6, cut to 3 bytes
#      The words are packed with shifts and hashed as slice(abi_encode(words), 0, 195): on py-evm its
#      fixed-offset stores and one copy measured cheaper than a `concat` of the bytes1/bytes32 pieces, whose
#      running offset Vyper keeps on the stack.
B0_MESSAGE_LENGTH: constant(uint256) = 195
B0_WORD_5: constant(bytes32) = 0x000000300046524f53542d736563703235366b312d5348413235362d76316368
B0_WORD_6: constant(bytes32) = 0x616c1d0000000000000000000000000000000000000000000000000000000000
# @dev I2OSP(1, 1) || DST_prime and I2OSP(2, 1) || DST_prime: the 31 bytes after b0 and after b0 xor b1.
B1_SUFFIX: constant(bytes31) = 0x0146524f53542d736563703235366b312d5348413235362d76316368616c1d
B2_SUFFIX: constant(bytes31) = 0x0246524f53542d736563703235366b312d5348413235362d76316368616c1d
# @dev SEC1 compressed-point prefix of an even y; an odd y sets the low bit (0x03).
COMPRESSED_PREFIX: constant(uint256) = 2
# @dev The 48 uniform bytes are b1 || b2[0:16]: b1 is shifted up by 16 bytes before b2's high half is added.
B1_SHIFT: constant(uint256) = 2**128

# @dev ecrecover's v for an R' of even y; odd y is one more (Ethereum's 27/28 recovery ids).
ECRECOVER_V_EVEN: constant(uint256) = 27
# @dev An Ethereum address is the low 20 bytes of keccak256(x || y).
ADDRESS_MASK: constant(uint256) = 2**160 - 1


@internal
@pure
def _is_on_curve(x: uint256, y: uint256) -> bool:
    """
    @dev True when (x, y) is an affine point of secp256k1: both coordinates in [0, p) and y^2 = x^3 + 7.
         The point at infinity has no affine coordinates, so it is never on the curve here.
    @param x The x-coordinate.
    @param y The y-coordinate.
    @return Whether (x, y) is on the curve.
    """
    return (
        x < SECP256K1_FIELD_PRIME
        and y < SECP256K1_FIELD_PRIME
        and uint256_mulmod(y, y, SECP256K1_FIELD_PRIME)
        == uint256_addmod(
            uint256_mulmod(uint256_mulmod(x, x, SECP256K1_FIELD_PRIME), x, SECP256K1_FIELD_PRIME),
            SECP256K1_B,
            SECP256K1_FIELD_PRIME,
        )
    )


@internal
@pure
def _verify(
    pk_x: uint256, pk_y_parity: uint256, digest: bytes32, rx: uint256, ry: uint256, z: uint256
) -> bool:
    """
    @dev Checks the FROST signature (R, z) on `digest` under the group key (pk_x, parity) with one
         `ecrecover` (the curve check and RFC 9591's compute_challenge written out, see the module notes):
         ecrecover(h, v, r, s) returns address(r⁻¹·(s·K − h·G)) for K the point of x = r and y parity
         v − 27. With r = PK.x, K = PK, s = −c·PK.x and h = −z·PK.x (mod n) that is
         address(z·G − c·PK), which equals address(R) exactly when the signature is valid.
         `ecrecover` yields the zero address when it cannot recover (pk_x not an x-coordinate of the
         curve, or c = 0); no point on the curve has that address short of a 160-bit keccak preimage, so
         such input returns False. Signatures are not malleable: z in [1, n) and R's coordinates in
         [0, p) leave one encoding per signature.
    @param pk_x The group key's x-coordinate, in [1, n) (ecrecover's r).
    @param pk_y_parity The group key's y-coordinate mod 2.
    @param digest The signed 32-byte digest.
    @param rx The x-coordinate of the signature's R.
    @param ry The y-coordinate of the signature's R.
    @param z The signature's response scalar, in [1, n).
    @return True if the signature is valid; False if it is well-formed but does not verify.
    """
    # z - 1 wraps to 2**256 - 1 for z = 0: one comparison checks 1 <= z < n
    assert unsafe_sub(z, 1) < SECP256K1_ORDER - 1, "schnorr: z is not in [1, n)"
    # _is_on_curve(rx, ry)
    assert (
        rx < SECP256K1_FIELD_PRIME
        and ry < SECP256K1_FIELD_PRIME
        and uint256_mulmod(ry, ry, SECP256K1_FIELD_PRIME)
        == uint256_addmod(
            uint256_mulmod(uint256_mulmod(rx, rx, SECP256K1_FIELD_PRIME), rx, SECP256K1_FIELD_PRIME),
            SECP256K1_B,
            SECP256K1_FIELD_PRIME,
        )
    ), "schnorr: R is not on the curve"
    assert unsafe_sub(pk_x, 1) < SECP256K1_ORDER - 1, "schnorr: group key x is not in [1, n)"
    assert pk_y_parity < 2, "schnorr: group key parity is not 0 or 1"
    # RFC 9591 compute_challenge for a 32-byte message: c = H2(enc(R) || enc(PK) || digest), enc being the
    # 33-byte SEC1 compressed encoding, H2 expand_message_xmd(SHA-256) with DST "FROST-secp256k1-SHA256-v1chal"
    b0: bytes32 = sha256(
        slice(
            abi_encode(
                empty(uint256),
                empty(uint256),
                ((COMPRESSED_PREFIX | (ry & 1)) << 248) | (rx >> 8),
                (rx << 248) | ((COMPRESSED_PREFIX | pk_y_parity) << 240) | (pk_x >> 16),
                (pk_x << 240) | (convert(digest, uint256) >> 16),
                (convert(digest, uint256) << 240) | convert(B0_WORD_5, uint256),
                B0_WORD_6,
            ),
            0,
            B0_MESSAGE_LENGTH,
        )
    )
    b1: bytes32 = sha256(concat(b0, B1_SUFFIX))
    b2: bytes32 = sha256(concat(convert(convert(b0, uint256) ^ convert(b1, uint256), bytes32), B2_SUFFIX))
    # OS2IP(b1 || b2[0:16]) mod n, without forming the 384-bit integer
    c: uint256 = uint256_addmod(
        uint256_mulmod(convert(b1, uint256), B1_SHIFT, SECP256K1_ORDER),
        convert(b2, uint256) >> 128,
        SECP256K1_ORDER,
    )
    # z, c and pk_x are in [0, n): the products mod n are below n, so n − product never underflows
    recovered: address = ecrecover(
        convert(unsafe_sub(SECP256K1_ORDER, uint256_mulmod(z, pk_x, SECP256K1_ORDER)), bytes32),
        unsafe_add(ECRECOVER_V_EVEN, pk_y_parity),
        pk_x,
        unsafe_sub(SECP256K1_ORDER, uint256_mulmod(c, pk_x, SECP256K1_ORDER)),
    )
    return convert(recovered, uint256) == convert(keccak256(abi_encode(rx, ry)), uint256) & ADDRESS_MASK


@internal
@pure
def _check_group_key(pk_x: uint256, pk_y: uint256) -> uint256:
    """
    @dev Vets a group key before a contract stores it: (pk_x, pk_y) must be a point of the curve with
         pk_x < n (ecrecover takes x as r, so keys with x >= n can never verify; custody key generation
         refuses them too). Reverts with the reason otherwise.
    @param pk_x The group key's x-coordinate.
    @param pk_y The group key's y-coordinate.
    @return The parity of pk_y, which `_verify` takes along with pk_x.
    """
    assert unsafe_sub(pk_x, 1) < SECP256K1_ORDER - 1, "schnorr: group key x is not in [1, n)"
    assert self._is_on_curve(pk_x, pk_y), "schnorr: group key is not on the curve"
    return pk_y & 1
