# pragma version ~=0.4.3
"""
@title TPWallet subscriptions: recurring ERC-20 pull payments from subscribers to merchants
@notice Merchants create plans: a token, an amount per period, a period, an optional free trial, a grace
        period and an optional number of periods. Subscribers subscribe with an allowance they gave this
        contract, with an EIP-2612 permit, or with a gasless EIP-712 `SubscribeAuthorization` that anyone
        may relay. Anyone (in practice the keeper, `relay/keeper.py`) may `charge` a due subscription; the
        merchant is paid straight from the subscriber's wallet, less the plan's protocol fee, which goes to
        the treasury. This contract never holds funds.

        Billing is anchored: periods run [start + k·period, start + (k+1)·period). A charge pays the period
        that contains the current time and moves `paid_through` to its end, so a period is never paid
        twice and periods nobody charged (keeper down, plan paused) are not billed afterwards.
        Before moving anything a charge asks the token whether the subscriber holds one period's amount
        and allows this contract to move it. If not, the charge is recorded as failed and the
        subscription is past due: it may be retried until `grace` seconds after that first failure; the
        first attempt after that lapses it. Any failure after that check (a token that reverts, returns
        false, hits INVALID or runs out of gas) reverts the charge and records nothing, so nobody can make
        a subscription lapse by starving the token call of gas, and a token that burns all its gas on an
        insolvent subscriber does not keep that subscription live for ever. (A subscriber whose token
        refuses transfers it could pay, a blocklist say, stays unpaid and live until the merchant or the
        subscriber cancels; `charge_many` skips it with the reason.)
        A plan's grace is shorter than its period, so a retry inside the grace falls in the period of the
        first failure or the next one: at most `grace` seconds go unbilled, never a whole period.
        Subscribing with a trial needs the allowance for the first charge in place already.
        A signed `SubscribeAuthorization` that was not used yet can be withdrawn by its subscriber with
        `invalidate_nonce`, which consumes the nonce it was signed for.
        A subscription ends when cancelled (by its subscriber or merchant), lapsed, or when it has paid
        its plan's number of periods.

        A plan's terms never change after creation; its merchant may only pause and resume it (no charges
        and no new subscribers while paused). The protocol fee, in basis points, is fixed into each plan
        when it is created, so the owner's later fee changes never reach existing subscribers.
        Tokens that take a fee on transfer are refused: a charge checks the merchant's balance grew by
        exactly what was sent, and reverts otherwise.

        `charge_many` charges each subscription of a batch in its own call frame, so one bad subscription
        (not due, ended, a token that reverts, burns gas or takes a fee) is skipped with a
        `ChargeSkipped` event and never reverts the batch.
@dev Storage is packed so that a charge reads three slots and writes one:
     subscription: subscriber (160) | plan id (32) | paid_through (40) | periods paid (16) | status (8)
     plan terms:   merchant (160) | period (32) | grace (24) | max periods (16) | fee bps (16) | paused (8)
     plan price:   token (160) | amount (96)
     The trial length (read only when subscribing) and the end of a past-due grace (read only when a
     charge finds the subscription past due) live in slots of their own.
     Three slots is the least a charge can read: it needs the subscriber, merchant and token addresses
     (480 bits) besides amount, period, paid-through time, counts, fee, status and pause flag. The
     fee-on-transfer check reads the merchant's balance before and after the transfer: one read could
     not tell what arrived.
"""

from ethereum.ercs import IERC20

from .modules import ecdsa
from .modules import eip712
from .modules import ownable_2step

initializes: eip712
initializes: ownable_2step

exports: (
    eip712.DOMAIN_SEPARATOR,
    eip712.eip712Domain,
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
)

# @dev EIP-712 struct of a gasless subscription; `chain/subscriptions.py` hashes the same fields.
SUBSCRIBE_AUTHORIZATION_TYPEHASH: constant(bytes32) = keccak256(
    "SubscribeAuthorization(address subscriber,uint256 planId,address token,uint256 amount,uint256 period,"
    "uint256 nonce,uint256 deadline)"
)

DOMAIN_NAME: constant(String[8]) = "TPWallet"
DOMAIN_VERSION: constant(String[1]) = "1"

# @dev Basis points in a whole; the protocol fee may not exceed MAX_FEE_BPS of a charge.
BPS: constant(uint256) = 10_000
MAX_FEE_BPS: constant(uint256) = 1_000

# @dev Subscription statuses. NONE is an id never issued.
STATUS_NONE: constant(uint256) = 0
STATUS_ACTIVE: constant(uint256) = 1
STATUS_PAST_DUE: constant(uint256) = 2
STATUS_CANCELLED: constant(uint256) = 3
STATUS_LAPSED: constant(uint256) = 4
STATUS_COMPLETED: constant(uint256) = 5

# @dev How a subscription was authorised (the `method` of `Subscribed`).
METHOD_ALLOWANCE: constant(uint8) = 1
METHOD_PERMIT: constant(uint8) = 2
METHOD_AUTHORIZATION: constant(uint8) = 3

# @dev Field widths of the packed words (see the contract's @dev note).
ADDRESS_MASK: constant(uint256) = 2**160 - 1
PLAN_ID_MASK: constant(uint256) = 2**32 - 1
TIME_MASK: constant(uint256) = 2**40 - 1
COUNT_MASK: constant(uint256) = 2**16 - 1
PERIOD_MASK: constant(uint256) = 2**32 - 1
GRACE_MASK: constant(uint256) = 2**24 - 1
AMOUNT_MASK: constant(uint256) = 2**96 - 1

SUB_PLAN_SHIFT: constant(uint256) = 160
SUB_PAID_THROUGH_SHIFT: constant(uint256) = 192
SUB_PERIODS_PAID_SHIFT: constant(uint256) = 232
SUB_STATUS_SHIFT: constant(uint256) = 248
SUB_STATUS_CLEAR: constant(uint256) = 2**248 - 1

TERMS_PERIOD_SHIFT: constant(uint256) = 160
TERMS_GRACE_SHIFT: constant(uint256) = 192
TERMS_MAX_PERIODS_SHIFT: constant(uint256) = 216
TERMS_FEE_SHIFT: constant(uint256) = 232
TERMS_PAUSED_SHIFT: constant(uint256) = 248
TERMS_PAUSED_CLEAR: constant(uint256) = 2**248 - 1

PRICE_AMOUNT_SHIFT: constant(uint256) = 160

# @dev Largest values the packed fields hold; `create_plan` refuses anything larger.
MAX_AMOUNT: constant(uint256) = AMOUNT_MASK
MAX_PERIOD: constant(uint256) = PERIOD_MASK
MAX_TRIAL: constant(uint256) = PERIOD_MASK
MAX_GRACE: constant(uint256) = GRACE_MASK
MAX_PERIODS: constant(uint256) = COUNT_MASK
MAX_PLANS: constant(uint256) = PLAN_ID_MASK

# @dev Most subscriptions `charge_many` takes at once, and the gas each one may use: a token that burns
#      gas loses its own charge, never the batch's. Before each charge the batch must still hold
#      CHARGE_GAS_RESERVE, so a caller who sends too little gas gets a revert, not a batch of skips (and
#      `eth_estimateGas` cannot settle on such a limit).
MAX_BATCH_SIZE: constant(uint256) = 256
CHARGE_GAS_LIMIT: constant(uint256) = 250_000
CHARGE_GAS_RESERVE: constant(uint256) = CHARGE_GAS_LIMIT * 64 // 63 + 10_000

# @dev Revert data kept in `ChargeSkipped`: an Error(string) with a reason of up to 64 bytes.
MAX_REASON_LENGTH: constant(uint256) = 132


struct Plan:
    merchant: address
    token: address
    amount: uint256
    period: uint256
    trial: uint256
    grace: uint256
    max_periods: uint256
    fee_bps: uint256
    paused: bool


struct Subscription:
    subscriber: address
    plan_id: uint256
    status: uint256
    paid_through: uint256
    periods_paid: uint256
    grace_ends: uint256


event PlanCreated:
    plan_id: indexed(uint256)
    merchant: indexed(address)
    token: indexed(address)
    amount: uint256
    period: uint256
    trial: uint256
    grace: uint256
    max_periods: uint256
    fee_bps: uint256


event PlanPauseSet:
    plan_id: indexed(uint256)
    paused: bool


event Subscribed:
    subscription_id: indexed(uint256)
    plan_id: indexed(uint256)
    subscriber: indexed(address)
    paid_through: uint256
    method: uint8


# @dev The amount and fee of a charge are the plan's (fixed at creation: see `PlanCreated`); the token's
#      `Transfer` events in the same transaction record the money that moved.
event Charged:
    subscription_id: indexed(uint256)
    paid_through: uint256


event ChargeFailed:
    subscription_id: indexed(uint256)
    grace_ends: uint256


event ChargeSkipped:
    subscription_id: indexed(uint256)
    reason: Bytes[MAX_REASON_LENGTH]


event Lapsed:
    subscription_id: indexed(uint256)


event Completed:
    subscription_id: indexed(uint256)


event Cancelled:
    subscription_id: indexed(uint256)
    cancelled_by: indexed(address)


# @dev `nonce` can no longer authorise a subscription: its subscriber withdrew what was signed with it.
event NonceInvalidated:
    subscriber: indexed(address)
    nonce: uint256


event FeeUpdated:
    fee_bps: uint256


event TreasuryUpdated:
    treasury: indexed(address)


# @notice The protocol fee in basis points that plans created from now on carry.
fee_bps: public(uint256)
# @notice Where protocol fees go; may be changed by the owner at any time.
treasury: public(address)

# @notice Ids issued so far: plans are 1..plan_count, subscriptions 1..subscription_count.
plan_count: public(uint256)
subscription_count: public(uint256)

# @notice The next `SubscribeAuthorization` nonce of each subscriber; an authorization consumes it.
nonces: public(HashMap[address, uint256])

_plan_terms: HashMap[uint256, uint256]
_plan_prices: HashMap[uint256, uint256]
_plan_trials: HashMap[uint256, uint256]
_subscriptions: HashMap[uint256, uint256]
_grace_ends: HashMap[uint256, uint256]


@deploy
def __init__(treasury_: address, fee_bps_: uint256):
    """
    @notice Creates the manager; the deployer becomes its owner.
    @param treasury_ Where protocol fees go; may be the zero address only while the fee is zero.
    @param fee_bps_ The protocol fee of new plans, in basis points (at most MAX_FEE_BPS).
    """
    eip712.__init__(DOMAIN_NAME, DOMAIN_VERSION)
    self._check_fee(fee_bps_, treasury_)
    ownable_2step.__init__(msg.sender, "subscriptions")
    self.treasury = treasury_
    self.fee_bps = fee_bps_
    log TreasuryUpdated(treasury=treasury_)
    log FeeUpdated(fee_bps=fee_bps_)


# ---------------------------------------------------------------------------------------------- plans


@external
def create_plan(
    token: address,
    amount: uint256,
    period: uint256,
    trial: uint256,
    grace: uint256,
    max_periods: uint256,
) -> uint256:
    """
    @notice Creates a plan whose merchant, paid at every charge, is the caller. Its terms never change.
    @param token The ERC-20 token subscribers pay in; a contract that takes no fee on transfer.
    @param amount Base units charged per period, 1 to 2**96 - 1; the plan's fee is taken out of it.
    @param period Seconds per period, 1 to 2**32 - 1.
    @param trial Seconds from subscribing to the first charge; 0 charges the first period at once.
    @param grace Seconds a subscription stays past due after its first failed charge before it lapses;
           shorter than `period` (so a late payment never skips a whole period) and at most 2**24 - 1.
    @param max_periods How many periods a subscription pays before it completes; 0 means no limit.
    @return The new plan's id.
    """
    assert token.is_contract, "subscriptions: token is not a contract"
    assert amount > 0, "subscriptions: amount is zero"
    assert amount <= MAX_AMOUNT, "subscriptions: amount is too large"
    assert period > 0, "subscriptions: period is zero"
    assert period <= MAX_PERIOD, "subscriptions: period is too long"
    assert trial <= MAX_TRIAL, "subscriptions: trial is too long"
    assert grace <= MAX_GRACE, "subscriptions: grace is too long"
    assert grace < period, "subscriptions: grace is not shorter than the period"
    assert max_periods <= MAX_PERIODS, "subscriptions: too many periods"
    plan_id: uint256 = self.plan_count + 1
    assert plan_id <= MAX_PLANS, "subscriptions: no plan ids left"
    self.plan_count = plan_id
    fee: uint256 = self.fee_bps
    self._plan_terms[plan_id] = (
        convert(msg.sender, uint256)
        | (period << TERMS_PERIOD_SHIFT)
        | (grace << TERMS_GRACE_SHIFT)
        | (max_periods << TERMS_MAX_PERIODS_SHIFT)
        | (fee << TERMS_FEE_SHIFT)
    )
    self._plan_prices[plan_id] = convert(token, uint256) | (amount << PRICE_AMOUNT_SHIFT)
    self._plan_trials[plan_id] = trial
    log PlanCreated(
        plan_id=plan_id,
        merchant=msg.sender,
        token=token,
        amount=amount,
        period=period,
        trial=trial,
        grace=grace,
        max_periods=max_periods,
        fee_bps=fee,
    )
    return plan_id


@external
def set_plan_paused(plan_id: uint256, paused: bool):
    """
    @notice Pauses (no charges, no new subscribers) or resumes a plan; its merchant only.
            Periods that pass while a plan is paused are not billed afterwards.
    @param plan_id The plan.
    @param paused True to pause, False to resume.
    """
    terms: uint256 = self._plan_terms[plan_id]
    assert terms != 0, "subscriptions: unknown plan"
    assert msg.sender == self._merchant(terms), "subscriptions: caller is not the plan's merchant"
    self._plan_terms[plan_id] = (terms & TERMS_PAUSED_CLEAR) | (convert(paused, uint256) << TERMS_PAUSED_SHIFT)
    log PlanPauseSet(plan_id=plan_id, paused=paused)


@external
@view
def plan(plan_id: uint256) -> Plan:
    """
    @notice A plan's terms and state; a plan id never issued has a zero merchant.
    @param plan_id The plan.
    @return The plan.
    """
    terms: uint256 = self._plan_terms[plan_id]
    price: uint256 = self._plan_prices[plan_id]
    return Plan(
        merchant=self._merchant(terms),
        token=self._token(price),
        amount=price >> PRICE_AMOUNT_SHIFT,
        period=(terms >> TERMS_PERIOD_SHIFT) & PERIOD_MASK,
        trial=self._plan_trials[plan_id],
        grace=(terms >> TERMS_GRACE_SHIFT) & GRACE_MASK,
        max_periods=(terms >> TERMS_MAX_PERIODS_SHIFT) & COUNT_MASK,
        fee_bps=(terms >> TERMS_FEE_SHIFT) & COUNT_MASK,
        paused=(terms >> TERMS_PAUSED_SHIFT) != 0,
    )


# -------------------------------------------------------------------------------------- subscribing


@external
def subscribe(plan_id: uint256) -> uint256:
    """
    @notice Subscribes the caller to a plan, paying from the allowance the caller gave this contract.
            Without a trial the first period is charged now, and a failed payment reverts.
    @param plan_id The plan; it must not be paused.
    @return The new subscription's id.
    """
    return self._subscribe(msg.sender, plan_id, METHOD_ALLOWANCE)


@external
def subscribe_with_permit(
    plan_id: uint256, allowance: uint256, permit_deadline: uint256, v: uint8, r: bytes32, s: bytes32
) -> uint256:
    """
    @notice Subscribes the caller, first granting this contract `allowance` of the plan's token with the
            caller's EIP-2612 permit. If the permit was already used (someone submitted it first), the
            subscription still goes ahead as long as the allowance covers one period (`_subscribe`
            checks it).
    @param plan_id The plan; it must not be paused.
    @param allowance The permit's value: the allowance this contract gets (cover several periods).
    @param permit_deadline The permit's deadline.
    @param v The permit signature's recovery id.
    @param r The permit signature's r.
    @param s The permit signature's s.
    @return The new subscription's id.
    """
    token: address = self._token(self._plan_prices[plan_id])
    assert token != empty(address), "subscriptions: unknown plan"
    # Whether the permit went through does not matter, only the allowance it was meant to give.
    permitted: bool = raw_call(
        token,
        abi_encode(
            msg.sender,
            self,
            allowance,
            permit_deadline,
            v,
            r,
            s,
            method_id=method_id("permit(address,address,uint256,uint256,uint8,bytes32,bytes32)"),
        ),
        revert_on_failure=False,
    )
    return self._subscribe(msg.sender, plan_id, METHOD_PERMIT)


@external
def subscribe_with_authorization(
    subscriber: address, plan_id: uint256, nonce: uint256, deadline: uint256, v: uint8, r: bytes32, s: bytes32
) -> uint256:
    """
    @notice Subscribes `subscriber` on their EIP-712 `SubscribeAuthorization`, sent by anyone (a relayer
            pays the gas). The signed terms (token, amount, period) must be the plan's; payment comes from
            the allowance the subscriber gave this contract (approve or permit).
    @param subscriber The signer, who becomes the subscriber.
    @param plan_id The plan; it must not be paused.
    @param nonce The subscriber's next authorization nonce (`nonces(subscriber)`).
    @param deadline The last block timestamp at which the authorization is valid.
    @param v The signature's recovery id (27 or 28).
    @param r The signature's r.
    @param s The signature's s (lower half of the curve order).
    @return The new subscription's id.
    """
    assert block.timestamp <= deadline, "subscriptions: authorization expired"
    assert nonce == self.nonces[subscriber], "subscriptions: authorization nonce is not the next one"
    price: uint256 = self._plan_prices[plan_id]
    assert price != 0, "subscriptions: unknown plan"
    struct_hash: bytes32 = keccak256(
        abi_encode(
            SUBSCRIBE_AUTHORIZATION_TYPEHASH,
            subscriber,
            plan_id,
            self._token(price),
            self._amount(price),
            (self._plan_terms[plan_id] >> TERMS_PERIOD_SHIFT) & PERIOD_MASK,
            nonce,
            deadline,
        )
    )
    signer: address = ecdsa._recover(eip712._hash_typed_data(struct_hash), v, r, s)
    assert signer == subscriber, "subscriptions: authorization signer is not the subscriber"
    self.nonces[subscriber] = nonce + 1
    return self._subscribe(subscriber, plan_id, METHOD_AUTHORIZATION)


@external
def invalidate_nonce() -> uint256:
    """
    @notice Consumes the caller's next authorization nonce, so a `SubscribeAuthorization` the caller
            signed and has not seen used can no longer subscribe them (a relayer holding it, a change of
            mind). Authorizations are accepted only for the next nonce, so this withdraws every one
            signed and not yet used.
    @return The nonce invalidated; the next authorization must carry this plus one.
    """
    nonce: uint256 = self.nonces[msg.sender]
    self.nonces[msg.sender] = nonce + 1
    log NonceInvalidated(subscriber=msg.sender, nonce=nonce)
    return nonce


@external
def cancel(subscription_id: uint256):
    """
    @notice Ends a subscription now; its subscriber or its plan's merchant only. What was paid stays paid.
    @param subscription_id The subscription; it must be active or past due.
    """
    word: uint256 = self._subscriptions[subscription_id]
    status: uint256 = word >> SUB_STATUS_SHIFT
    assert status != STATUS_NONE, "subscriptions: unknown subscription"
    assert status == STATUS_ACTIVE or status == STATUS_PAST_DUE, "subscriptions: subscription is not live"
    merchant: address = self._merchant(self._plan_terms[(word >> SUB_PLAN_SHIFT) & PLAN_ID_MASK])
    assert msg.sender == self._subscriber(word) or msg.sender == merchant, (
        "subscriptions: caller is neither subscriber nor merchant"
    )
    self._subscriptions[subscription_id] = self._with_status(word, STATUS_CANCELLED)
    if status == STATUS_PAST_DUE:
        self._grace_ends[subscription_id] = 0
    log Cancelled(subscription_id=subscription_id, cancelled_by=msg.sender)


@external
@view
def subscription(subscription_id: uint256) -> Subscription:
    """
    @notice A subscription's state; an id never issued has status 0 (none) and a zero subscriber.
            Statuses: 1 active, 2 past due, 3 cancelled, 4 lapsed, 5 completed.
    @param subscription_id The subscription.
    @return The subscription; `grace_ends` is set only while it is past due.
    """
    word: uint256 = self._subscriptions[subscription_id]
    return Subscription(
        subscriber=self._subscriber(word),
        plan_id=(word >> SUB_PLAN_SHIFT) & PLAN_ID_MASK,
        status=word >> SUB_STATUS_SHIFT,
        paid_through=(word >> SUB_PAID_THROUGH_SHIFT) & TIME_MASK,
        periods_paid=(word >> SUB_PERIODS_PAID_SHIFT) & COUNT_MASK,
        grace_ends=self._grace_ends[subscription_id],
    )


@external
@view
def is_due(subscription_id: uint256) -> bool:
    """
    @notice Whether `charge(subscription_id)` would try to collect (or lapse the subscription) now.
    @param subscription_id The subscription.
    @return True if it is live, its plan is not paused and its paid-through time has come.
    """
    word: uint256 = self._subscriptions[subscription_id]
    status: uint256 = word >> SUB_STATUS_SHIFT
    if status != STATUS_ACTIVE and status != STATUS_PAST_DUE:
        return False
    if (self._plan_terms[(word >> SUB_PLAN_SHIFT) & PLAN_ID_MASK] >> TERMS_PAUSED_SHIFT) != 0:
        return False
    return block.timestamp >= (word >> SUB_PAID_THROUGH_SHIFT) & TIME_MASK


# ------------------------------------------------------------------------------------------ charging


@external
def charge(subscription_id: uint256) -> bool:
    """
    @notice Collects the current period of a due subscription for its merchant; anyone may call.
    @dev Reverts, changing nothing, when the subscription is not live, not due or its plan is paused,
         and when a transfer fails or the token takes a fee on transfer. A subscriber who does not hold
         or allow one period's amount is recorded instead: the first such charge starts the grace
         period (`ChargeFailed`), and an attempt after the grace ends lapses the subscription (`Lapsed`).
    @param subscription_id The subscription.
    @return True if the period was paid, False if the payment failed or the subscription lapsed.
    """
    word: uint256 = self._subscriptions[subscription_id]
    status: uint256 = word >> SUB_STATUS_SHIFT
    assert status != STATUS_NONE, "subscriptions: unknown subscription"
    assert status == STATUS_ACTIVE or status == STATUS_PAST_DUE, "subscriptions: subscription is not live"
    paid_through: uint256 = (word >> SUB_PAID_THROUGH_SHIFT) & TIME_MASK
    assert block.timestamp >= paid_through, "subscriptions: subscription is not due"
    plan_id: uint256 = (word >> SUB_PLAN_SHIFT) & PLAN_ID_MASK
    terms: uint256 = self._plan_terms[plan_id]
    assert (terms >> TERMS_PAUSED_SHIFT) == 0, "subscriptions: plan is paused"

    if status == STATUS_PAST_DUE and block.timestamp >= self._grace_ends[subscription_id]:
        self._subscriptions[subscription_id] = self._with_status(word, STATUS_LAPSED)
        self._grace_ends[subscription_id] = 0
        log Lapsed(subscription_id=subscription_id)
        return False

    price: uint256 = self._plan_prices[plan_id]
    amount: uint256 = price >> PRICE_AMOUNT_SHIFT
    # `_token(price)` and `_subscriber(word)` written out: internal calls cost each charge gas
    token: address = convert(convert(price & ADDRESS_MASK, uint160), address)
    subscriber: address = convert(convert(word & ADDRESS_MASK, uint160), address)
    if not self._can_pay(token, subscriber, amount):
        grace_ends: uint256 = 0
        if status == STATUS_ACTIVE:
            # a timestamp plus a grace below 2**24 cannot overflow
            grace_ends = unsafe_add(block.timestamp, (terms >> TERMS_GRACE_SHIFT) & GRACE_MASK)
            self._grace_ends[subscription_id] = grace_ends
            self._subscriptions[subscription_id] = self._with_status(word, STATUS_PAST_DUE)
        else:
            grace_ends = self._grace_ends[subscription_id]
        log ChargeFailed(subscription_id=subscription_id, grace_ends=grace_ends)
        return False

    # Effects before the token calls: a token re-entering sees this period paid.
    # Unchecked arithmetic, as none of it can overflow: times are below 2**40 and 0 < period < 2**32
    # (create_plan), and paid_through <= block.timestamp (asserted above).
    period: uint256 = (terms >> TERMS_PERIOD_SHIFT) & PERIOD_MASK
    new_paid_through: uint256 = unsafe_add(
        paid_through,
        unsafe_mul(unsafe_add(unsafe_div(unsafe_sub(block.timestamp, paid_through), period), 1), period),
    )
    # The count saturates at its field's limit; only plans without a limit can get that far.
    periods_paid: uint256 = min(unsafe_add((word >> SUB_PERIODS_PAID_SHIFT) & COUNT_MASK, 1), COUNT_MASK)
    max_periods: uint256 = (terms >> TERMS_MAX_PERIODS_SHIFT) & COUNT_MASK
    new_status: uint256 = STATUS_ACTIVE
    if periods_paid == max_periods:
        new_status = STATUS_COMPLETED
    self._subscriptions[subscription_id] = (
        (word & (ADDRESS_MASK | (PLAN_ID_MASK << SUB_PLAN_SHIFT)))
        | (new_paid_through << SUB_PAID_THROUGH_SHIFT)
        | (periods_paid << SUB_PERIODS_PAID_SHIFT)
        | (new_status << SUB_STATUS_SHIFT)
    )

    # amount < 2**96 and the fee field < 2**16: the product cannot overflow
    fee: uint256 = unsafe_div(unsafe_mul(amount, (terms >> TERMS_FEE_SHIFT) & COUNT_MASK), BPS)
    # `_merchant(terms)` written out, as above
    self._pay(token, subscriber, convert(convert(terms & ADDRESS_MASK, uint160), address), amount, fee)

    if status == STATUS_PAST_DUE:
        self._grace_ends[subscription_id] = 0
    log Charged(subscription_id=subscription_id, paid_through=new_paid_through)
    if new_status == STATUS_COMPLETED:
        log Completed(subscription_id=subscription_id)
    return True


@external
def charge_many(subscription_ids: DynArray[uint256, MAX_BATCH_SIZE]) -> uint256:
    """
    @notice Charges each subscription as `charge` would, each in its own call frame with at most
            CHARGE_GAS_LIMIT gas; one that reverts is skipped (`ChargeSkipped`, with its revert data)
            and the batch goes on. Reverts if less than CHARGE_GAS_RESERVE is left before a charge.
    @param subscription_ids The subscriptions, at most MAX_BATCH_SIZE; repeats are skipped as not due.
    @return How many periods were paid.
    """
    paid: uint256 = 0
    for subscription_id: uint256 in subscription_ids:
        assert msg.gas >= CHARGE_GAS_RESERVE, "subscriptions: not enough gas for the next charge"
        success: bool = False
        response: Bytes[MAX_REASON_LENGTH] = b""
        success, response = raw_call(
            self,
            abi_encode(subscription_id, method_id=method_id("charge(uint256)")),
            max_outsize=MAX_REASON_LENGTH,
            gas=CHARGE_GAS_LIMIT,
            revert_on_failure=False,
        )
        if not success:
            log ChargeSkipped(subscription_id=subscription_id, reason=response)
        elif abi_decode(response, bool):
            paid += 1
    return paid


# --------------------------------------------------------------------------------------------- admin


@external
def set_fee(fee_bps_: uint256):
    """
    @notice Sets the protocol fee that plans created from now on carry; owner only. Existing plans keep
            the fee they were created with.
    @param fee_bps_ The fee in basis points, at most MAX_FEE_BPS; non-zero needs a treasury.
    """
    ownable_2step._check_owner()
    self._check_fee(fee_bps_, self.treasury)
    self.fee_bps = fee_bps_
    log FeeUpdated(fee_bps=fee_bps_)


@external
def set_treasury(treasury_: address):
    """
    @notice Sets where protocol fees go, for existing plans too; owner only.
    @param treasury_ The new treasury; not the zero address.
    """
    ownable_2step._check_owner()
    assert treasury_ != empty(address), "subscriptions: treasury is the zero address"
    self.treasury = treasury_
    log TreasuryUpdated(treasury=treasury_)


# ------------------------------------------------------------------------------------------ internal


@internal
def _subscribe(subscriber: address, plan_id: uint256, method: uint8) -> uint256:
    """
    @dev Issues a subscription to `plan_id` for `subscriber`, who must allow this contract one period's
         amount; without a trial, collects the first period, which the subscriber must hold.
    """
    terms: uint256 = self._plan_terms[plan_id]
    assert terms != 0, "subscriptions: unknown plan"
    assert (terms >> TERMS_PAUSED_SHIFT) == 0, "subscriptions: plan is paused"
    merchant: address = self._merchant(terms)
    assert subscriber != merchant, "subscriptions: merchant cannot subscribe to own plan"
    subscription_id: uint256 = self.subscription_count + 1
    self.subscription_count = subscription_id
    trial: uint256 = self._plan_trials[plan_id]
    price: uint256 = self._plan_prices[plan_id]
    token: address = self._token(price)
    amount: uint256 = price >> PRICE_AMOUNT_SHIFT
    # A trial too: its first charge must find the allowance it needs, or the subscription was free.
    assert staticcall IERC20(token).allowance(subscriber, self) >= amount, (
        "subscriptions: allowance below one period"
    )
    base: uint256 = convert(subscriber, uint256) | (plan_id << SUB_PLAN_SHIFT)
    if trial != 0:
        paid_through: uint256 = block.timestamp + trial
        self._subscriptions[subscription_id] = (
            base | (paid_through << SUB_PAID_THROUGH_SHIFT) | (STATUS_ACTIVE << SUB_STATUS_SHIFT)
        )
        log Subscribed(
            subscription_id=subscription_id,
            plan_id=plan_id,
            subscriber=subscriber,
            paid_through=paid_through,
            method=method,
        )
        return subscription_id

    assert staticcall IERC20(token).balanceOf(subscriber) >= amount, "subscriptions: balance below one period"
    period: uint256 = (terms >> TERMS_PERIOD_SHIFT) & PERIOD_MASK
    paid_through: uint256 = block.timestamp + period
    status: uint256 = STATUS_ACTIVE
    if (terms >> TERMS_MAX_PERIODS_SHIFT) & COUNT_MASK == 1:
        status = STATUS_COMPLETED
    self._subscriptions[subscription_id] = (
        base
        | (paid_through << SUB_PAID_THROUGH_SHIFT)
        | (1 << SUB_PERIODS_PAID_SHIFT)
        | (status << SUB_STATUS_SHIFT)
    )
    log Subscribed(
        subscription_id=subscription_id,
        plan_id=plan_id,
        subscriber=subscriber,
        paid_through=block.timestamp,
        method=method,
    )
    self._pay(token, subscriber, merchant, amount, amount * ((terms >> TERMS_FEE_SHIFT) & COUNT_MASK) // BPS)
    log Charged(subscription_id=subscription_id, paid_through=paid_through)
    if status == STATUS_COMPLETED:
        log Completed(subscription_id=subscription_id)
    return subscription_id


@internal
@view
def _can_pay(token: address, subscriber: address, amount: uint256) -> bool:
    """
    @dev Whether `subscriber` holds `amount` of `token` and allows this contract to move it: what a charge
         asks the token before moving anything. A no is the only failure a charge records (past due);
         a transfer that fails after a yes reverts the charge.
    """
    if staticcall IERC20(token).balanceOf(subscriber) < amount:
        return False
    return staticcall IERC20(token).allowance(subscriber, self) >= amount


@internal
def _pay(token: address, subscriber: address, merchant: address, amount: uint256, fee: uint256):
    """
    @dev Moves `amount - fee` from `subscriber` to `merchant` and `fee` to the treasury, or reverts: when
         a transfer fails (the caller checked balance and allowance first, so the token itself failed or
         was starved of gas) and when the merchant's balance did not grow by exactly what was sent (a
         fee-on-transfer token).
    """
    # fee <= amount: plans' fees are at most MAX_FEE_BPS < BPS
    net: uint256 = unsafe_sub(amount, fee)
    merchant_before: uint256 = staticcall IERC20(token).balanceOf(merchant)
    assert self._transfer_from(token, subscriber, merchant, net), "subscriptions: token transfer failed"
    assert staticcall IERC20(token).balanceOf(merchant) == merchant_before + net, (
        "subscriptions: token takes a fee on transfer"
    )
    if fee != 0:
        assert self._transfer_from(token, subscriber, self.treasury, fee), "subscriptions: fee transfer failed"


@internal
def _transfer_from(token: address, sender: address, receiver: address, amount: uint256) -> bool:
    """
    @dev `token.transferFrom` that reports failure (a revert of any kind, or false) instead of reverting
         with the token's data, so the caller reverts with a reason of its own; a token that returns
         nothing counts as successful (the caller checks balances).
    """
    success: bool = False
    response: Bytes[32] = b""
    success, response = raw_call(
        token,
        abi_encode(sender, receiver, amount, method_id=method_id("transferFrom(address,address,uint256)")),
        max_outsize=32,
        revert_on_failure=False,
    )
    return success and (len(response) == 0 or convert(response, uint256) == 1)


@internal
@pure
def _check_fee(fee_bps_: uint256, treasury_: address):
    assert fee_bps_ <= MAX_FEE_BPS, "subscriptions: fee is above the maximum"
    assert fee_bps_ == 0 or treasury_ != empty(address), "subscriptions: a fee needs a treasury"


@internal
@pure
def _merchant(terms: uint256) -> address:
    return convert(convert(terms & ADDRESS_MASK, uint160), address)


@internal
@pure
def _subscriber(word: uint256) -> address:
    return convert(convert(word & ADDRESS_MASK, uint160), address)


@internal
@pure
def _token(price: uint256) -> address:
    return convert(convert(price & ADDRESS_MASK, uint160), address)


@internal
@pure
def _amount(price: uint256) -> uint256:
    return price >> PRICE_AMOUNT_SHIFT


@internal
@pure
def _with_status(word: uint256, status: uint256) -> uint256:
    return (word & SUB_STATUS_CLEAR) | (status << SUB_STATUS_SHIFT)
