# pragma version ~=0.4.3
"""
@title Payment router: stablecoin pay-ins of payment intents, straight to the treasury
@license Apache-2.0
@notice A payer settles one payment intent by calling `pay(intent_id, token, amount)` (after approving this
        router) or `payWithPermit` (an EIP-2612 permit and the payment in one transaction). The router pulls
        `amount` of `token` from the payer with `transferFrom` directly to the recipient (the treasury) and
        logs `Paid`, which the payments watcher reads at a confirmation depth to move the intent. It never
        holds funds itself, so there is nothing in it to steal or to sweep.
        Checks (as the Coinbase Commerce onchain payment protocol's `Transfers` makes them, minus its
        operator signatures and swaps): the router is not paused, the token is on the owner's allowlist,
        the amount is not zero, and the intent id was never paid through this router (a second `pay` of
        the same id reverts, so a payer's double click or a replayed transaction cannot pay twice). The
        recipient's balance must grow by exactly `amount`: a fee-on-transfer or rebasing token that
        delivers less is refused, so a `Paid` event always means the treasury received `amount`.
        Whether `amount` and `token` are what the intent asks is for the watcher to judge: the router only
        records what was paid for which id.
        Owner: one address (in production the MultisigTreasury) that lists and delists tokens, changes the
        recipient and pauses; ownership moves in two steps (propose, accept). The constructor is the only
        initialisation: there is no `initialize` to call again and no proxy in front.
@dev The Python face is `chain/payment_router.py`. Intent ids are bytes32: the payments side maps its
     string ids onto them (`payments.rails.stablecoin.instructions`).
"""

from ethereum.ercs import IERC20

from .modules import ownable_2step

initializes: ownable_2step

exports: (
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
)


interface IERC2612:
    def permit(
        owner: address, spender: address, amount: uint256, deadline: uint256, v: uint8, r: bytes32, s: bytes32
    ): nonpayable


event Paid:
    intent_id: indexed(bytes32)
    payer: indexed(address)
    token: address
    amount: uint256
    recipient: address


event TokenAllowed:
    token: indexed(address)
    allowed: bool


event RecipientChanged:
    previous_recipient: indexed(address)
    recipient: indexed(address)


event PauseSet:
    paused: bool


# @dev Where every payment goes (the treasury).
recipient: public(address)
paused: public(bool)
is_token_allowed: public(HashMap[address, bool])
# @dev Intent ids already paid: each is paid at most once.
is_paid: public(HashMap[bytes32, bool])


@deploy
def __init__(owner_: address, recipient_: address):
    """
    @notice Sets up the router, unpaused, with no token allowed yet.
    @param owner_ The owner (the MultisigTreasury in production); not the zero address.
    @param recipient_ Where payments go (the treasury); not the zero address.
    """
    assert owner_ != empty(address), "router: owner is the zero address"
    assert recipient_ != empty(address), "router: recipient is the zero address"
    ownable_2step.__init__(owner_, "router")
    self.recipient = recipient_
    log RecipientChanged(previous_recipient=empty(address), recipient=recipient_)


@external
@nonreentrant
def pay(intent_id: bytes32, token: address, amount: uint256):
    """
    @notice Pays `amount` of `token` from the caller to the recipient for payment intent `intent_id`.
            The caller must have approved this router for at least `amount`.
    @param intent_id The payment intent's id as bytes32 (see the payment instructions); never paid before.
    @param token An allowed token.
    @param amount The amount in the token's base units; not zero.
    """
    self._check(intent_id, token, amount)
    self._collect(intent_id, token, amount, msg.sender)


@external
@nonreentrant
def payWithPermit(
    intent_id: bytes32, token: address, amount: uint256, deadline: uint256, v: uint8, r: bytes32, s: bytes32
):
    """
    @notice Like `pay`, with the caller's EIP-2612 permit for this router first, so a payer who never
            approved the router pays in one transaction. If the permit was already used (someone
            submitted it first, a known griefing move), the payment still goes ahead as long as the
            allowance it gave is there: the permit's outcome does not matter, only the allowance.
    @param intent_id The payment intent's id as bytes32; never paid before.
    @param token An allowed token that implements EIP-2612.
    @param amount The amount in base units; not zero. The permit's value must cover it.
    @param deadline The permit's deadline.
    @param v The permit signature's recovery id.
    @param r The permit signature's r.
    @param s The permit signature's s.
    """
    self._check(intent_id, token, amount)
    permitted: bool = raw_call(
        token,
        abi_encode(
            msg.sender,
            self,
            amount,
            deadline,
            v,
            r,
            s,
            method_id=method_id("permit(address,address,uint256,uint256,uint8,bytes32,bytes32)"),
        ),
        revert_on_failure=False,
    )
    self._collect(intent_id, token, amount, msg.sender)


@external
def set_token_allowed(token: address, allowed: bool):
    """
    @notice Allows (`allowed` true) or stops (false) payments in `token`; owner only.
    @param token The token; not the zero address.
    @param allowed Whether payments in `token` are accepted afterwards.
    """
    ownable_2step._check_owner()
    assert token != empty(address), "router: token is the zero address"
    self.is_token_allowed[token] = allowed
    log TokenAllowed(token=token, allowed=allowed)


@external
def set_recipient(recipient_: address):
    """
    @notice Sends later payments to `recipient_` (a new treasury); owner only.
    @param recipient_ The new recipient; not the zero address.
    """
    ownable_2step._check_owner()
    assert recipient_ != empty(address), "router: recipient is the zero address"
    log RecipientChanged(previous_recipient=self.recipient, recipient=recipient_)
    self.recipient = recipient_


@external
def set_paused(paused_: bool):
    """
    @notice Stops (`paused_` true) or resumes (false) every payment; owner only.
    @param paused_ Whether payments are refused afterwards.
    """
    ownable_2step._check_owner()
    self.paused = paused_
    log PauseSet(paused=paused_)


@internal
@view
def _check(intent_id: bytes32, token: address, amount: uint256):
    """
    @dev Everything a payment must satisfy before the token is called at all (a permit is only sent to an
         allowed token).
    """
    assert not self.paused, "router: paused"
    assert amount != 0, "router: zero amount"
    assert intent_id != empty(bytes32), "router: empty intent id"
    assert self.is_token_allowed[token], "router: token not allowed"
    assert not self.is_paid[intent_id], "router: intent already paid"


@internal
def _collect(intent_id: bytes32, token: address, amount: uint256, payer: address):
    """
    @dev Marks the intent paid before calling the token (a re-entering token finds it paid), moves the
         funds and checks the recipient received all of them.
    """
    self.is_paid[intent_id] = True
    recipient_: address = self.recipient
    before: uint256 = staticcall IERC20(token).balanceOf(recipient_)
    assert extcall IERC20(token).transferFrom(payer, recipient_, amount, default_return_value=True), (
        "router: token transfer failed"
    )
    assert staticcall IERC20(token).balanceOf(recipient_) == before + amount, (
        "router: token delivered less than the amount"
    )
    log Paid(intent_id=intent_id, payer=payer, token=token, amount=amount, recipient=recipient_)
