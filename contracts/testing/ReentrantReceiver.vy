# pragma version ~=0.4.3
"""
@title Ether receiver that calls back into the treasury paying it
@notice Test-only: when it receives ether while armed, it tries to make the treasury execute a queued transfer
        from inside the payment, and logs whether that call succeeded, so a test can show the treasury's
        reentrancy guard refuses it while the payment itself goes through. Never deployed to a real network.
"""

interface Treasury:
    def execute_queued(to: address, token: address, amount: uint256, nonce: uint256): nonpayable


event ReentryAttempted:
    succeeded: bool


treasury: public(address)
armed: public(bool)
to: public(address)
token: public(address)
amount: public(uint256)
nonce: public(uint256)


@external
def arm(treasury_: address, to_: address, token_: address, amount_: uint256, nonce_: uint256):
    """
    @notice On the next ether received, calls `treasury_.execute_queued(to_, token_, amount_, nonce_)`.
    @param treasury_ The treasury to call back.
    @param to_ The queued transfer's recipient.
    @param token_ Its token (zero address: ether).
    @param amount_ Its amount.
    @param nonce_ Its custody nonce.
    """
    self.treasury = treasury_
    self.to = to_
    self.token = token_
    self.amount = amount_
    self.nonce = nonce_
    self.armed = True


@external
@payable
def __default__():
    """
    @notice Receives ether; if armed, disarms and attempts the call back, logging its outcome.
    """
    if not self.armed:
        return
    self.armed = False
    call: Bytes[132] = abi_encode(
        self.to,
        self.token,
        self.amount,
        self.nonce,
        method_id=method_id("execute_queued(address,address,uint256,uint256)"),
    )
    succeeded: bool = raw_call(self.treasury, call, revert_on_failure=False)
    log ReentryAttempted(succeeded=succeeded)
