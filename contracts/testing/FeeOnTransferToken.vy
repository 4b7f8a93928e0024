# pragma version ~=0.4.3
"""
@title Test token that takes a fee on every transfer
@notice Test-only: an ERC-20 whose transfers deliver `amount - amount * fee_bps / 10000` and burn the
        rest, like the deflationary and fee-switch tokens a payment contract must refuse. The fee can be
        switched on after a plan was created with the token, as a real fee switch would be. Anyone may
        mint. Never deployed to a real network.
"""

from ethereum.ercs import IERC20

implements: IERC20

BPS: constant(uint256) = 10_000


event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256


event Approval:
    owner: indexed(address)
    spender: indexed(address)
    value: uint256


event FeeSet:
    fee_bps: uint256


totalSupply: public(uint256)
balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])
fee_bps: public(uint256)
owner: public(address)


@deploy
def __init__(fee_bps_: uint256):
    """
    @notice Creates the token with the given transfer fee; the deployer may change the fee.
    @param fee_bps_ The share of each transfer burnt, in basis points.
    """
    assert fee_bps_ <= BPS, "fee token: fee above 100%"
    self.owner = msg.sender
    self.fee_bps = fee_bps_
    log FeeSet(fee_bps=fee_bps_)


@external
def set_fee(fee_bps_: uint256):
    """
    @notice Changes the transfer fee; the deployer only.
    @param fee_bps_ The share of each transfer burnt, in basis points.
    """
    assert msg.sender == self.owner, "fee token: caller is not the owner"
    assert fee_bps_ <= BPS, "fee token: fee above 100%"
    self.fee_bps = fee_bps_
    log FeeSet(fee_bps=fee_bps_)


@external
def mint(receiver: address, amount: uint256):
    """
    @notice Creates `amount` base units for `receiver`; anyone may call (test token).
    @param receiver The recipient.
    @param amount The number of base units to create.
    """
    self.totalSupply += amount
    self.balanceOf[receiver] += amount
    log Transfer(sender=empty(address), receiver=receiver, value=amount)


@external
def transfer(receiver: address, amount: uint256) -> bool:
    """
    @notice Moves `amount` from the caller; `receiver` gets it less the fee.
    @param receiver The recipient.
    @param amount The number of base units debited.
    @return True.
    """
    self._transfer(msg.sender, receiver, amount)
    return True


@external
def transferFrom(sender: address, receiver: address, amount: uint256) -> bool:
    """
    @notice Moves `amount` from `sender` on the caller's allowance; `receiver` gets it less the fee.
    @param sender The holder debited.
    @param receiver The recipient.
    @param amount The number of base units debited.
    @return True.
    """
    self.allowance[sender][msg.sender] -= amount
    self._transfer(sender, receiver, amount)
    return True


@external
def approve(spender: address, amount: uint256) -> bool:
    """
    @notice Sets the caller's allowance for `spender`.
    @param spender The account allowed to spend.
    @param amount The allowance.
    @return True.
    """
    self.allowance[msg.sender][spender] = amount
    log Approval(owner=msg.sender, spender=spender, value=amount)
    return True


@internal
def _transfer(sender: address, receiver: address, amount: uint256):
    fee: uint256 = amount * self.fee_bps // BPS
    self.balanceOf[sender] -= amount
    self.balanceOf[receiver] += amount - fee
    self.totalSupply -= fee
    log Transfer(sender=sender, receiver=receiver, value=amount - fee)
