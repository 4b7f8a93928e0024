# pragma version ~=0.4.3
"""
@title Owner set with a signature threshold
@license Apache-2.0
@notice A set of at most MAX_OWNERS owner addresses and a threshold: how many of them must sign a digest
        for `_check_owner_signatures` to accept it. Signatures are 65 bytes each (r || s || v, low s),
        concatenated with their signers in ascending address order, so no owner counts twice.
        The treasury's owner set (its revert reasons say "treasury:"): the treasury `initializes:` it,
        `exports:` the views, and changes the set only through its own owners' transactions.
"""

from . import ecdsa

MAX_OWNERS: constant(uint256) = 20
SIGNATURE_LENGTH: constant(uint256) = ecdsa.SIGNATURE_LENGTH
MAX_SIGNATURES_LENGTH: constant(uint256) = SIGNATURE_LENGTH * MAX_OWNERS
# @dev The offset within a signature of the 32-byte word whose last byte is v (r || s || v).
V_WORD_OFFSET: constant(uint256) = SIGNATURE_LENGTH - 32


event OwnerAdded:
    owner: indexed(address)


event OwnerRemoved:
    owner: indexed(address)


event ThresholdChanged:
    threshold: uint256


owners: public(DynArray[address, MAX_OWNERS])
is_owner: public(HashMap[address, bool])
threshold: public(uint256)


@external
@view
def get_owners() -> DynArray[address, MAX_OWNERS]:
    """
    @notice Every owner.
    @return The owners, in no particular order.
    """
    return self.owners


@internal
@view
def _check_owner_signatures(digest: bytes32, signatures: Bytes[MAX_SIGNATURES_LENGTH]):
    """
    @dev Reverts unless `signatures` are at least `threshold` owners' signatures of `digest`, each 65 bytes
         r || s || v with a low s, their signers strictly ascending (hence distinct).
    """
    count: uint256 = len(signatures) // SIGNATURE_LENGTH
    assert count * SIGNATURE_LENGTH == len(signatures), "treasury: signatures are not 65 bytes each"
    assert count >= self.threshold, "treasury: fewer signatures than the threshold"
    previous: address = empty(address)
    for index: uint256 in range(count, bound=MAX_OWNERS):
        offset: uint256 = index * SIGNATURE_LENGTH
        v: uint256 = extract32(signatures, offset + V_WORD_OFFSET, output_type=uint256) & 255
        signer: address = ecdsa._recover(
            digest, convert(v, uint8), extract32(signatures, offset), extract32(signatures, offset + 32)
        )
        assert convert(signer, uint160) > convert(previous, uint160), (
            "treasury: signers are not in ascending order (or one signed twice)"
        )
        assert self.is_owner[signer], "treasury: a signer is not an owner"
        previous = signer


@internal
def _add_owner(owner: address):
    """
    @dev Adds `owner`: not the zero address, this contract or an owner already; at most MAX_OWNERS.
    """
    assert owner != empty(address), "treasury: an owner cannot be the zero address"
    assert owner != self, "treasury: the treasury cannot own itself"
    assert not self.is_owner[owner], "treasury: already an owner"
    assert len(self.owners) < MAX_OWNERS, "treasury: too many owners"
    self.owners.append(owner)
    self.is_owner[owner] = True
    log OwnerAdded(owner=owner)


@internal
def _remove_owner(owner: address):
    """
    @dev Removes `owner` (moving the last owner into its place); the last owner cannot be removed. The
         caller sets the threshold afterwards.
    """
    assert self.is_owner[owner], "treasury: not an owner"
    count: uint256 = len(self.owners)
    assert count > 1, "treasury: the last owner cannot be removed"
    for index: uint256 in range(count, bound=MAX_OWNERS):
        if self.owners[index] == owner:
            self.owners[index] = self.owners[count - 1]
            self.owners.pop()
            break
    self.is_owner[owner] = False
    log OwnerRemoved(owner=owner)


@internal
def _set_threshold(threshold_: uint256):
    """
    @dev Sets the threshold, in [1, number of owners].
    """
    assert threshold_ >= 1, "treasury: the threshold must be at least 1"
    assert threshold_ <= len(self.owners), "treasury: the threshold exceeds the number of owners"
    self.threshold = threshold_
    log ThresholdChanged(threshold=threshold_)
