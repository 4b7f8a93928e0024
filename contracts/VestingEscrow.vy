# pragma version ~=0.4.3
"""
@title TPWallet vesting escrow
@license Apache-2.0
@notice Holds the vesting token for many grants at once and releases each grant to its beneficiary on
        its schedule.
        A schedule is (start, cliff, duration, period): nothing vests before start + cliff; after
        that, `amount * floor(elapsed / period) / (duration / period)` has vested (rounded down),
        and the whole amount once `duration` seconds have passed. A period of one second is
        linear vesting; a longer one releases `duration / period` equal tranches, one every
        `period` seconds (monthly tranches: a period of 30 days, say).
        The admin creates grants, paying for each with `transferFrom` in the same call, so the
        escrow holds every token it owes from the moment it owes it; tokens leave only by a
        claim (at most what the grant has vested and not yet paid) or a revocation (exactly what
        had not vested). Hence the escrow's balance is always at least the sum over grants of
        `amount - claimed`; tokens sent to it by plain transfer are owed to no one.
        The token must be a plain ERC-20 (TPW is one): a grant whose `transferFrom` delivers
        another amount than asked is refused, and a rebasing token would break the promise.
        A revocable grant can be revoked by the admin: what has vested stays claimable, the rest
        goes back to the admin. An irrevocable grant cannot be revoked by anyone.
        The beneficiary claims to any receiver and can hand the grant to another address.
        The admin role moves in two steps (propose, then accept).
@dev    Why grant ids look the way they do: a claim must read as little storage as possible
        (each cold slot costs 2,100 gas). A grant's schedule never changes, so it is written into
        its id, which the caller passes anyway, rather than into storage:
            id = number << 161 | revocable << 160 | start << 96 | cliff << 64 | duration << 32 | period
        (`number` counts grants from 0 in creation order, so ids are unique and grow with it).
        What does change, (amount, claimed, revoked), is one word stored under
        (beneficiary, id); a forged id finds no word. So a claim reads one slot, writes it back,
        and touches no global counter: about 44,000 gas in all, below OpenZeppelin's single-grant
        VestingWallet. `beneficiary_of` names each grant's holder for everyone else (revocation,
        hand-over, readers). Amounts are bounded by 2**127 - 1 base units, the word's half.
        The Python twin of ids and schedules is `chain/vesting.py`; a test holds the two equal.
"""

from ethereum.ercs import IERC20

# @dev Field offsets and widths of a grant id (see @dev above).
SPAN_BITS: constant(uint256) = 32
SPAN_MASK: constant(uint256) = (1 << SPAN_BITS) - 1
DURATION_SHIFT: constant(uint256) = SPAN_BITS
CLIFF_SHIFT: constant(uint256) = DURATION_SHIFT + SPAN_BITS
START_SHIFT: constant(uint256) = CLIFF_SHIFT + SPAN_BITS
START_MASK: constant(uint256) = (1 << 64) - 1
REVOCABLE_SHIFT: constant(uint256) = START_SHIFT + 64
NUMBER_SHIFT: constant(uint256) = REVOCABLE_SHIFT + 1

# @dev A ledger word: amount (bits 0-126) | claimed (127-253) | revoked (254).
AMOUNT_BITS: constant(uint256) = 127
AMOUNT_MASK: constant(uint256) = (1 << AMOUNT_BITS) - 1
CLAIMED_SHIFT: constant(uint256) = AMOUNT_BITS
REVOKED_FLAG: constant(uint256) = 1 << (2 * AMOUNT_BITS)

# @dev The largest amount a grant can hold, and the last second a schedule can reach.
MAX_AMOUNT: constant(uint256) = AMOUNT_MASK
MAX_TIMESTAMP: constant(uint256) = START_MASK


struct Grant:
    number: uint256
    beneficiary: address
    amount: uint256
    claimed: uint256
    start: uint64
    cliff: uint32
    duration: uint32
    period: uint32
    revocable: bool
    revoked: bool


event GrantCreated:
    grant_id: indexed(uint256)
    beneficiary: indexed(address)
    reference: indexed(bytes32)
    amount: uint256


event Claimed:
    grant_id: indexed(uint256)
    receiver: indexed(address)
    amount: uint256


event GrantRevoked:
    grant_id: indexed(uint256)
    beneficiary: indexed(address)
    vested: uint256
    returned: uint256


event GrantTransferred:
    grant_id: indexed(uint256)
    previous_beneficiary: indexed(address)
    new_beneficiary: indexed(address)


event AdminTransferStarted:
    previous_admin: indexed(address)
    new_admin: indexed(address)


event AdminTransferred:
    previous_admin: indexed(address)
    new_admin: indexed(address)


token: public(immutable(IERC20))
admin: public(address)
pending_admin: public(address)

# @dev How many grants have been created; the next grant's number.
grant_count: public(uint256)

# @dev Who holds each grant; the zero address for an id no grant has.
beneficiary_of: public(HashMap[uint256, address])

# @dev (beneficiary, grant id) -> amount | claimed | revoked; never zero for a grant that exists.
_ledgers: HashMap[address, HashMap[uint256, uint256]]

# @dev grant id -> the amount a revoked grant was created with (zero for a grant never revoked): its
#      schedule, which `vested_amount` still follows up to what had vested at the revocation. Written only
#      by `revoke`, read only by `vested_amount`, so claims do not pay for it.
_revoked_grant_amounts: HashMap[uint256, uint256]


@deploy
def __init__(token_: IERC20):
    """
    @notice Creates an escrow for `token_` with no grants; the deployer becomes the admin.
    @param token_ The vested token (TPW), a plain ERC-20.
    """
    assert token_.address != empty(address), "vesting: token is the zero address"
    token = token_
    self.admin = msg.sender
    log AdminTransferred(previous_admin=empty(address), new_admin=msg.sender)


@external
def create_grant(
    beneficiary: address,
    amount: uint256,
    start: uint64,
    cliff: uint32,
    duration: uint32,
    period: uint32,
    revocable: bool,
    reference: bytes32,
) -> uint256:
    """
    @notice Creates a grant of `amount` for `beneficiary`, taking the amount from the admin with
            `transferFrom` (approve the escrow first); admin only.
    @param beneficiary Who may claim the grant; not the zero address nor the escrow.
    @param amount Base units granted; at least 1 and at most 2**127 - 1.
    @param start When vesting starts (unix seconds); may be in the past or the future.
    @param cliff Seconds after `start` before which nothing vests; at most `duration`.
    @param duration Seconds from `start` until everything has vested; not zero, and a whole
           number of periods.
    @param period Seconds between releases: 1 for linear vesting, longer for equal tranches.
    @param revocable Whether the admin may revoke the unvested part later.
    @param reference The caller's own name for the grant, logged (indexed) in `GrantCreated` so the
           allocation script can find the grants of its plan; the escrow does not read it.
    @return The new grant's id, which encodes its number and schedule (see the contract's @dev).
    """
    assert msg.sender == self.admin, "vesting: caller is not the admin"
    assert beneficiary != empty(address), "vesting: beneficiary is the zero address"
    assert beneficiary != self, "vesting: beneficiary is the escrow"
    assert amount != 0, "vesting: zero amount"
    assert amount <= MAX_AMOUNT, "vesting: amount exceeds 2**127 - 1"
    assert duration != 0, "vesting: zero duration"
    assert period != 0, "vesting: zero period"
    assert duration % period == 0, "vesting: duration is not a whole number of periods"
    assert cliff <= duration, "vesting: cliff is after the end"
    assert convert(start, uint256) + convert(duration, uint256) <= MAX_TIMESTAMP, "vesting: end is after 2**64 - 1"

    number: uint256 = self.grant_count
    self.grant_count = number + 1
    grant_id: uint256 = (
        (number << NUMBER_SHIFT)
        | (convert(revocable, uint256) << REVOCABLE_SHIFT)
        | (convert(start, uint256) << START_SHIFT)
        | (convert(cliff, uint256) << CLIFF_SHIFT)
        | (convert(duration, uint256) << DURATION_SHIFT)
        | convert(period, uint256)
    )
    self.beneficiary_of[grant_id] = beneficiary
    self._ledgers[beneficiary][grant_id] = amount
    # Count what arrived rather than trust `amount`: a token that kept a fee would leave the escrow
    # owing more than it holds.
    balance_before: uint256 = staticcall token.balanceOf(self)
    assert extcall token.transferFrom(msg.sender, self, amount, default_return_value=True), "vesting: transferFrom failed"
    assert staticcall token.balanceOf(self) == balance_before + amount, "vesting: token delivered another amount"
    log GrantCreated(grant_id=grant_id, beneficiary=beneficiary, reference=reference, amount=amount)
    return grant_id


@external
def claim(grant_id: uint256, receiver: address = msg.sender) -> uint256:
    """
    @notice Pays out everything grant `grant_id` has vested and not yet paid; its beneficiary only.
    @param grant_id The grant.
    @param receiver Where the tokens go (the caller by default); not the zero address nor the escrow.
    @return The base units paid.
    """
    ledger: uint256 = self._ledgers[msg.sender][grant_id]
    if ledger == 0:
        self._refuse_caller(grant_id)
    assert receiver != empty(address), "vesting: receiver is the zero address"
    assert receiver != self, "vesting: receiver is the escrow"
    claimable: uint256 = self._vested(grant_id, ledger, block.timestamp) - ((ledger >> CLAIMED_SHIFT) & AMOUNT_MASK)
    assert claimable != 0, "vesting: nothing to claim"
    # claimed + claimable <= amount <= MAX_AMOUNT: the sum stays inside its field, so no carry.
    self._ledgers[msg.sender][grant_id] = unsafe_add(ledger, claimable << CLAIMED_SHIFT)
    assert extcall token.transfer(receiver, claimable, default_return_value=True), "vesting: transfer failed"
    log Claimed(grant_id=grant_id, receiver=receiver, amount=claimable)
    return claimable


@external
def revoke(grant_id: uint256) -> uint256:
    """
    @notice Ends a revocable grant: what has vested stays claimable by the beneficiary, what has not
            goes back to the admin; admin only.
    @param grant_id The grant; revocable, not revoked yet, and not fully vested.
    @return The base units returned to the admin.
    """
    assert msg.sender == self.admin, "vesting: caller is not the admin"
    beneficiary: address = self.beneficiary_of[grant_id]
    assert beneficiary != empty(address), "vesting: no such grant"
    assert (grant_id >> REVOCABLE_SHIFT) & 1 == 1, "vesting: grant is irrevocable"
    ledger: uint256 = self._ledgers[beneficiary][grant_id]
    assert ledger & REVOKED_FLAG == 0, "vesting: grant is already revoked"
    amount: uint256 = ledger & AMOUNT_MASK
    vested: uint256 = self._vested(grant_id, ledger, block.timestamp)
    assert vested < amount, "vesting: grant is fully vested"
    # The amount shrinks to what has vested, and a revoked grant has vested all of its amount.
    self._ledgers[beneficiary][grant_id] = (ledger & ~AMOUNT_MASK) | vested | REVOKED_FLAG
    self._revoked_grant_amounts[grant_id] = amount
    returned: uint256 = amount - vested
    assert extcall token.transfer(msg.sender, returned, default_return_value=True), "vesting: transfer failed"
    log GrantRevoked(grant_id=grant_id, beneficiary=beneficiary, vested=vested, returned=returned)
    return returned


@external
def transfer_grant(grant_id: uint256, new_beneficiary: address):
    """
    @notice Hands grant `grant_id`, with everything vested and unclaimed on it, to `new_beneficiary`;
            its beneficiary only.
    @param grant_id The grant.
    @param new_beneficiary The next beneficiary; not the zero address, the escrow or the current one.
    """
    ledger: uint256 = self._ledgers[msg.sender][grant_id]
    if ledger == 0:
        self._refuse_caller(grant_id)
    assert new_beneficiary != empty(address), "vesting: new beneficiary is the zero address"
    assert new_beneficiary != self, "vesting: new beneficiary is the escrow"
    assert new_beneficiary != msg.sender, "vesting: new beneficiary is the current one"
    self._ledgers[msg.sender][grant_id] = 0
    self._ledgers[new_beneficiary][grant_id] = ledger
    self.beneficiary_of[grant_id] = new_beneficiary
    log GrantTransferred(grant_id=grant_id, previous_beneficiary=msg.sender, new_beneficiary=new_beneficiary)


@external
def transfer_admin(new_admin: address):
    """
    @notice Proposes `new_admin` as the next admin, who must call `accept_admin`; admin only.
            Proposing the zero address cancels a pending proposal.
    @param new_admin The proposed admin.
    """
    assert msg.sender == self.admin, "vesting: caller is not the admin"
    self.pending_admin = new_admin
    log AdminTransferStarted(previous_admin=msg.sender, new_admin=new_admin)


@external
def accept_admin():
    """
    @notice Completes an admin transfer; only the proposed admin may call it.
    """
    assert msg.sender == self.pending_admin, "vesting: caller is not the pending admin"
    previous_admin: address = self.admin
    self.admin = msg.sender
    self.pending_admin = empty(address)
    log AdminTransferred(previous_admin=previous_admin, new_admin=msg.sender)


@external
@view
def grants(grant_id: uint256) -> Grant:
    """
    @notice Grant `grant_id` as it stands; an id no grant has reads as all zeros.
    @dev A revoked grant's `amount` is what had vested when it was revoked.
    @param grant_id The grant.
    @return The grant's number, beneficiary, amounts, schedule and flags.
    """
    beneficiary: address = self.beneficiary_of[grant_id]
    if beneficiary == empty(address):
        return empty(Grant)
    ledger: uint256 = self._ledgers[beneficiary][grant_id]
    return Grant(
        number=grant_id >> NUMBER_SHIFT,
        beneficiary=beneficiary,
        amount=ledger & AMOUNT_MASK,
        claimed=(ledger >> CLAIMED_SHIFT) & AMOUNT_MASK,
        start=convert((grant_id >> START_SHIFT) & START_MASK, uint64),
        cliff=convert((grant_id >> CLIFF_SHIFT) & SPAN_MASK, uint32),
        duration=convert((grant_id >> DURATION_SHIFT) & SPAN_MASK, uint32),
        period=convert(grant_id & SPAN_MASK, uint32),
        revocable=(grant_id >> REVOCABLE_SHIFT) & 1 == 1,
        revoked=ledger & REVOKED_FLAG != 0,
    )


@external
@view
def vested_amount(grant_id: uint256, timestamp: uint256) -> uint256:
    """
    @notice How much of grant `grant_id` has vested at `timestamp`, claimed or not, as the grant stands
            now; 0 for an id no grant has. A revoked grant follows its schedule (of the amount it was
            created with) until it reaches what had vested at the revocation, and stays there: before
            the revocation the answer is what had vested then, after it all the grant still holds.
    @param grant_id The grant.
    @param timestamp The moment asked about (unix seconds); any value, past or future.
    @return Base units vested.
    """
    ledger: uint256 = self._ledgers[self.beneficiary_of[grant_id]][grant_id]
    if ledger & REVOKED_FLAG == 0:
        return self._vested(grant_id, ledger, timestamp)
    # the schedule only grows, and had reached the kept amount at the revocation
    return min(self._vested(grant_id, self._revoked_grant_amounts[grant_id], timestamp), ledger & AMOUNT_MASK)


@external
@view
def claimable_amount(grant_id: uint256) -> uint256:
    """
    @notice What a claim of grant `grant_id` would pay now; 0 for an id no grant has.
    @param grant_id The grant.
    @return Base units vested and not yet claimed.
    """
    ledger: uint256 = self._ledgers[self.beneficiary_of[grant_id]][grant_id]
    return self._vested(grant_id, ledger, block.timestamp) - ((ledger >> CLAIMED_SHIFT) & AMOUNT_MASK)


@internal
@view
def _refuse_caller(grant_id: uint256):
    """
    @dev Reverts with the reason the caller holds no grant `grant_id`.
    """
    assert self.beneficiary_of[grant_id] != empty(address), "vesting: no such grant"
    raise "vesting: caller is not the beneficiary"


@internal
@pure
def _vested(grant_id: uint256, ledger: uint256, timestamp: uint256) -> uint256:
    """
    @dev The schedule of the contract's @notice, with the terms read from the id.
    """
    amount: uint256 = ledger & AMOUNT_MASK
    # A revoked grant has vested all it holds; an id without a grant (amount 0) has vested nothing,
    # whatever period its bits would give.
    if ledger & REVOKED_FLAG != 0 or amount == 0:
        return amount
    start: uint256 = (grant_id >> START_SHIFT) & START_MASK
    # A zero cliff with `timestamp` before `start` also returns here, so `elapsed` cannot underflow.
    if timestamp < start + ((grant_id >> CLIFF_SHIFT) & SPAN_MASK):
        return 0
    elapsed: uint256 = unsafe_sub(timestamp, start)
    duration: uint256 = (grant_id >> DURATION_SHIFT) & SPAN_MASK
    if elapsed >= duration:
        return amount
    # A grant's period is at least 1 (`create_grant` checks it) and divides its duration; the product
    # is below 2**127 * 2**32. Unchecked arithmetic here is what keeps a claim under 45,000 gas.
    period: uint256 = grant_id & SPAN_MASK
    return unsafe_div(unsafe_mul(amount, unsafe_div(elapsed, period)), unsafe_div(duration, period))
