# pragma version ~=0.4.3
"""
@title USDT-style token whose transfer returns nothing
@notice Test-only: `transfer` and `transferFrom` return no value and revert on failure, as USDT's do, so tests
        can show the treasury treats an empty return as success. Anyone may mint. Never deployed to a real
        network.
"""

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256


balanceOf: public(HashMap[address, uint256])
totalSupply: public(uint256)


@external
def mint(receiver: address, amount: uint256):
    """
    @notice Creates `amount` base units for `receiver`.
    @param receiver The recipient.
    @param amount The number of base units to create.
    """
    self.totalSupply += amount
    self.balanceOf[receiver] += amount
    log Transfer(sender=empty(address), receiver=receiver, value=amount)


@external
def transfer(receiver: address, amount: uint256):
    """
    @notice Moves `amount` base units from the caller to `receiver`; returns nothing, reverts on failure.
    @param receiver The recipient.
    @param amount The number of base units to move.
    """
    assert self.balanceOf[msg.sender] >= amount, "no-return token: balance too low"
    self.balanceOf[msg.sender] -= amount
    self.balanceOf[receiver] += amount
    log Transfer(sender=msg.sender, receiver=receiver, value=amount)
