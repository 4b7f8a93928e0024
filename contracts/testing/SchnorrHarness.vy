# pragma version ~=0.4.3
"""
@title Test harness exposing the schnorr module
@notice Test-only: lets tests and the gas benchmark call the module's functions directly. Never deployed to a
        real network.
"""

from ..modules import schnorr


@external
@pure
def verify(pk_x: uint256, pk_y_parity: uint256, digest: bytes32, rx: uint256, ry: uint256, z: uint256) -> bool:
    """
    @notice Verifies the FROST signature (R, z) on `digest` under the group key (pk_x, parity).
    @param pk_x The group key's x-coordinate.
    @param pk_y_parity The group key's y-coordinate mod 2.
    @param digest The signed 32-byte digest.
    @param rx The x-coordinate of the signature's R.
    @param ry The y-coordinate of the signature's R.
    @param z The signature's response scalar.
    @return True if valid, False if well-formed but invalid; reverts on malformed input.
    """
    return schnorr._verify(pk_x, pk_y_parity, digest, rx, ry, z)


@external
@pure
def check_group_key(pk_x: uint256, pk_y: uint256) -> uint256:
    """
    @notice Vets a group key as a contract does before storing it.
    @param pk_x The group key's x-coordinate.
    @param pk_y The group key's y-coordinate.
    @return The parity of pk_y; reverts if the key is off the curve or its x is not in [1, n).
    """
    return schnorr._check_group_key(pk_x, pk_y)
