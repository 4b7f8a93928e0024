# pragma version ~=0.4.3
"""
@title Emitter
@notice Test-only contract for the API's event decoding: emits one event per call, nothing else.
"""

event Noted:
    sender: indexed(address)
    amount: uint256
    memo: Bytes[32]


@external
def note(amount: uint256, memo: Bytes[32]):
    """
    @notice Emit `Noted` with the caller, `amount` and `memo`.
    @param amount Any number, echoed in the event.
    @param memo Any bytes, echoed in the event.
    """
    log Noted(sender=msg.sender, amount=amount, memo=memo)
