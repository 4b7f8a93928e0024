# pragma version ~=0.4.3
"""
@title Two-step ownership
@license Apache-2.0
@notice One owner address, handed over in two steps (the owner proposes, the proposed owner accepts) so
        ownership cannot go to a mistyped address. A contract `initializes:` this module, calls
        `__init__` with its first owner and its revert-reason prefix, `exports:` `owner`, `pending_owner`,
        `transfer_ownership` and `accept_ownership`, and guards its owner-only functions with `_check_owner`.
@dev The revert reasons carry the using contract's prefix ("token: caller is not the owner"). A module is
     parameterised only through its `__init__`, so both reasons are built once at deployment and kept as
     immutables; they are read only when a check fails, so the success paths cost what inline checks did.
"""

# @dev The longest revert-reason prefix, e.g. "subscriptions".
MAX_PREFIX_LENGTH: constant(uint256) = 16
NOT_OWNER: constant(String[25]) = ": caller is not the owner"
NOT_PENDING_OWNER: constant(String[33]) = ": caller is not the pending owner"


event OwnershipTransferStarted:
    previous_owner: indexed(address)
    new_owner: indexed(address)


event OwnershipTransferred:
    previous_owner: indexed(address)
    new_owner: indexed(address)


owner: public(address)
pending_owner: public(address)

# @dev The revert reasons, the using contract's short name first.
_NOT_OWNER_REASON: immutable(String[MAX_PREFIX_LENGTH + 25])
_NOT_PENDING_OWNER_REASON: immutable(String[MAX_PREFIX_LENGTH + 33])


@deploy
def __init__(owner_: address, reason_prefix: String[MAX_PREFIX_LENGTH]):
    """
    @notice Makes `owner_` the owner and logs the transfer from the zero address.
    @param owner_ The first owner.
    @param reason_prefix What this contract's revert reasons start with, e.g. "token".
    """
    _NOT_OWNER_REASON = concat(reason_prefix, NOT_OWNER)
    _NOT_PENDING_OWNER_REASON = concat(reason_prefix, NOT_PENDING_OWNER)
    self.owner = owner_
    log OwnershipTransferred(previous_owner=empty(address), new_owner=owner_)


@external
def transfer_ownership(new_owner: address):
    """
    @notice Proposes `new_owner` as the next owner, who must call `accept_ownership`; owner only.
            Proposing the zero address cancels a pending proposal.
    @param new_owner The proposed owner.
    """
    self._check_owner()
    self.pending_owner = new_owner
    log OwnershipTransferStarted(previous_owner=self.owner, new_owner=new_owner)


@external
def accept_ownership():
    """
    @notice Completes an ownership transfer; only the proposed owner may call it.
    """
    assert msg.sender == self.pending_owner, _NOT_PENDING_OWNER_REASON
    previous_owner: address = self.owner
    self.owner = msg.sender
    self.pending_owner = empty(address)
    log OwnershipTransferred(previous_owner=previous_owner, new_owner=msg.sender)


@internal
@view
def _check_owner():
    """
    @dev Reverts unless the caller is the owner.
    """
    assert msg.sender == self.owner, _NOT_OWNER_REASON
