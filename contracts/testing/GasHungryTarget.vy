# pragma version ~=0.4.3
"""
@title Call target that needs much gas, or burns all of it
@notice Test-only: lets the treasury tests tell a call that failed for its own reasons from one its sender
        starved of gas. `work` writes fresh storage slots (about 22,100 gas each); `work_through_self` does
        the same one call deeper and reverts with a reason when that inner call fails, as a contract that
        catches a starved call does; `burn` fails with INVALID, using up every unit of gas it was given.
        Never deployed to a real network.
"""

event Worked:
    slots: uint256


MAX_SLOTS: constant(uint256) = 256

counter: public(uint256)
cells: public(HashMap[uint256, uint256])


@external
def work(slots: uint256):
    """
    @notice Writes `slots` storage slots not written before.
    @param slots How many, at most MAX_SLOTS.
    """
    start: uint256 = self.counter
    for index: uint256 in range(slots, bound=MAX_SLOTS):
        self.cells[start + index] = 1
    self.counter = start + slots
    log Worked(slots=slots)


@external
def work_through_self(slots: uint256):
    """
    @notice Calls `work(slots)` on itself with all the gas it may pass on; reverts with a reason if that fails.
    @param slots How many slots the inner call writes.
    """
    success: bool = raw_call(
        self, abi_encode(slots, method_id=method_id("work(uint256)")), revert_on_failure=False
    )
    assert success, "gas hungry target: the inner call failed"


@external
def burn():
    """
    @notice Fails with INVALID, which uses up all the gas of the call.
    """
    assert self.counter == max_value(uint256), UNREACHABLE
