# pragma version ~=0.4.3
"""
@title Token whose failed transfer returns false instead of reverting
@notice Test-only: `transfer` returns False and moves nothing when the sender's balance is too low, as some
        early ERC-20 tokens do, so tests can show the treasury refuses a transfer the token reports as failed.
        Anyone may mint. Never deployed to a real network.
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
def transfer(receiver: address, amount: uint256) -> bool:
    """
    @notice Moves `amount` base units from the caller to `receiver`, or nothing if the balance is too low.
    @param receiver The recipient.
    @param amount The number of base units to move.
    @return True if the tokens moved, False if the balance was too low.
    """
    if self.balanceOf[msg.sender] < amount:
        return False
    self.balanceOf[msg.sender] -= amount
    self.balanceOf[receiver] += amount
    log Transfer(sender=msg.sender, receiver=receiver, value=amount)
    return True
