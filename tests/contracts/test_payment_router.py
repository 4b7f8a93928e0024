"""PaymentRouter.vy: paying an intent (approve then `pay`, or `payWithPermit`), every refusal with its reason,
the owner's allowlist, recipient and pause, and tokens that misbehave (a fee on transfer, no return value,
false, re-entry). The two-step ownership hand-over itself is test_ownable_2step.py's.

Permits are signed in Python with the payer's dev key (`chain.dev_accounts`), the way a wallet signs them.
"""

from typing import Any

import ape
import pytest
from eth_account.signers.local import LocalAccount

from chain.dev_accounts import dev_accounts
from chain.subscriptions import sign_permit
from tests.contracts.conftest import deploy_tusd
from tests.helpers.misbehaving_tokens import LEDGER, deploy_source

pytestmark = pytest.mark.chain

AMOUNT = 25_000_000  # 25 tUSD
FUNDS = 1_000 * AMOUNT
INTENT = b"\x11" * 32
OTHER_INTENT = b"\x22" * 32
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ONE_HOUR = 3600

NO_RETURN_TOKEN = (
    LEDGER
    + """
@external
def transferFrom(sender: address, receiver: address, amount: uint256):
    self._take(sender, receiver, amount)
"""
)
"""USDT's shape: transferFrom returns nothing and reverts on failure."""

FALSE_RETURN_TOKEN = (
    LEDGER
    + """
@external
def transferFrom(sender: address, receiver: address, amount: uint256) -> bool:
    return False
"""
)
"""A token that reports failure with false and moves nothing."""

REENTERING_TOKEN = (
    LEDGER
    + """
interface Router:
    def pay(intent_id: bytes32, token: address, amount: uint256): nonpayable

@external
def transferFrom(sender: address, receiver: address, amount: uint256) -> bool:
    extcall Router(msg.sender).pay(keccak256("again"), self, amount)
    self._take(sender, receiver, amount)
    return True
"""
)
"""A token whose transferFrom pays another intent through the router that called it."""


@pytest.fixture(scope="module")
def router_owner(accounts: Any) -> Any:
    return accounts[1]


@pytest.fixture(scope="module")
def payer(accounts: Any) -> Any:
    return accounts[3]


@pytest.fixture(scope="module")
def payer_key() -> LocalAccount:
    """The payer's key, to sign permits as a wallet would."""
    return dev_accounts()[3]


@pytest.fixture(scope="module")
def treasury_address(accounts: Any) -> Any:
    """Where payments go (a plain account here: the router only needs an address)."""
    return accounts[9]


@pytest.fixture(scope="module")
def outsider(accounts: Any) -> Any:
    return accounts[7]


@pytest.fixture(scope="module")
def tusd(project: Any, deployer: Any, payer: Any) -> Any:
    token = deploy_tusd(project, deployer)
    token.mint(payer, FUNDS, sender=deployer)
    return token


@pytest.fixture(scope="module")
def router(project: Any, deployer: Any, router_owner: Any, treasury_address: Any, tusd: Any) -> Any:
    """A router owned by `router_owner`, paying into `treasury_address`, with tUSD allowed."""
    contract = project.PaymentRouter.deploy(router_owner, treasury_address, sender=deployer)
    contract.set_token_allowed(tusd, True, sender=router_owner)
    return contract


@pytest.fixture
def approved(tusd: Any, router: Any, payer: Any) -> Any:
    """The payer approved the router for all its tUSD."""
    tusd.approve(router, FUNDS, sender=payer)
    return tusd


def permit(
    tusd: Any, key: LocalAccount, router: Any, value: int, deadline: int, nonce: int | None = None
) -> Any:
    signature = sign_permit(
        key,
        tusd.name(),
        tusd.address,
        ape.chain.chain_id,
        router.address,
        value,
        tusd.nonces(key.address) if nonce is None else nonce,
        deadline,
    )
    return signature.v, signature.r, signature.s


# Paying


def test_deployment_state(router: Any, router_owner: Any, treasury_address: Any, tusd: Any) -> None:
    assert router.owner() == router_owner
    assert router.recipient() == treasury_address
    assert not router.paused()
    assert router.is_token_allowed(tusd)
    assert not router.is_paid(INTENT)


def test_pay_moves_the_amount_to_the_treasury_and_logs_paid(
    router: Any, approved: Any, payer: Any, treasury_address: Any
) -> None:
    receipt = router.pay(INTENT, approved, AMOUNT, sender=payer)
    assert approved.balanceOf(treasury_address) == AMOUNT
    assert approved.balanceOf(payer) == FUNDS - AMOUNT
    assert approved.balanceOf(router) == 0
    assert router.is_paid(INTENT)
    paid = [event for event in receipt.events if event.event_name == "Paid"]
    assert paid == [
        router.Paid(intent_id=INTENT, payer=payer, token=approved, amount=AMOUNT, recipient=treasury_address)
    ]


def test_an_intent_is_paid_once(router: Any, approved: Any, payer: Any, outsider: Any) -> None:
    router.pay(INTENT, approved, AMOUNT, sender=payer)
    with ape.reverts("router: intent already paid"):
        router.pay(INTENT, approved, AMOUNT, sender=payer)
    with ape.reverts("router: intent already paid"):  # by anyone, for any amount
        router.pay(INTENT, approved, 1, sender=outsider)
    router.pay(OTHER_INTENT, approved, AMOUNT, sender=payer)


@pytest.mark.parametrize(
    ("intent_id", "amount", "error"),
    [
        (INTENT, 0, "router: zero amount"),
        (b"\x00" * 32, AMOUNT, "router: empty intent id"),
    ],
)
def test_bad_arguments_are_refused(
    router: Any, approved: Any, payer: Any, intent_id: bytes, amount: int, error: str
) -> None:
    with ape.reverts(error):
        router.pay(intent_id, approved, amount, sender=payer)


def test_an_unlisted_token_is_refused(project: Any, router: Any, router_owner: Any, payer: Any) -> None:
    other = project.FeeOnTransferToken.deploy(0, sender=payer)
    other.mint(payer, FUNDS, sender=payer)
    other.approve(router, FUNDS, sender=payer)
    with ape.reverts("router: token not allowed"):
        router.pay(INTENT, other, AMOUNT, sender=payer)


def test_a_delisted_token_is_refused(router: Any, approved: Any, router_owner: Any, payer: Any) -> None:
    receipt = router.set_token_allowed(approved, False, sender=router_owner)
    assert receipt.events == [router.TokenAllowed(token=approved, allowed=False)]
    with ape.reverts("router: token not allowed"):
        router.pay(INTENT, approved, AMOUNT, sender=payer)


def test_without_allowance_or_funds_the_token_refuses(
    router: Any, tusd: Any, payer: Any, outsider: Any
) -> None:
    with ape.reverts("token: insufficient allowance"):
        router.pay(INTENT, tusd, AMOUNT, sender=payer)
    tusd.approve(router, FUNDS, sender=outsider)
    with ape.reverts("token: transfer amount exceeds balance"):
        router.pay(INTENT, tusd, AMOUNT, sender=outsider)
    assert not router.is_paid(INTENT)


# Pausing, the recipient, the owner


def test_paused_refuses_every_payment_until_resumed(
    router: Any, approved: Any, router_owner: Any, payer: Any
) -> None:
    assert router.set_paused(True, sender=router_owner).events == [router.PauseSet(paused=True)]
    with ape.reverts("router: paused"):
        router.pay(INTENT, approved, AMOUNT, sender=payer)
    router.set_paused(False, sender=router_owner)
    router.pay(INTENT, approved, AMOUNT, sender=payer)


def test_a_new_recipient_receives_later_payments(
    router: Any, approved: Any, router_owner: Any, payer: Any, treasury_address: Any, accounts: Any
) -> None:
    new_treasury = accounts[8]
    receipt = router.set_recipient(new_treasury, sender=router_owner)
    assert receipt.events == [
        router.RecipientChanged(previous_recipient=treasury_address, recipient=new_treasury)
    ]
    router.pay(INTENT, approved, AMOUNT, sender=payer)
    assert approved.balanceOf(new_treasury) == AMOUNT
    with ape.reverts("router: recipient is the zero address"):
        router.set_recipient(ZERO_ADDRESS, sender=router_owner)


@pytest.mark.parametrize(
    ("function", "args"),
    [
        ("set_token_allowed", (ZERO_ADDRESS, True)),
        ("set_recipient", (ZERO_ADDRESS,)),
        ("set_paused", (True,)),
    ],
)
def test_only_the_owner_administers(router: Any, outsider: Any, function: str, args: tuple[Any, ...]) -> None:
    with ape.reverts("router: caller is not the owner"):
        getattr(router, function)(*args, sender=outsider)


def test_the_zero_token_cannot_be_listed(router: Any, router_owner: Any) -> None:
    with ape.reverts("router: token is the zero address"):
        router.set_token_allowed(ZERO_ADDRESS, True, sender=router_owner)


@pytest.mark.parametrize(
    ("owner_index", "recipient_index", "error"), [(None, 9, "owner"), (1, None, "recipient")]
)
def test_construction_refuses_zero_addresses(
    project: Any,
    deployer: Any,
    accounts: Any,
    owner_index: int | None,
    recipient_index: int | None,
    error: str,
) -> None:
    owner = ZERO_ADDRESS if owner_index is None else accounts[owner_index]
    recipient = ZERO_ADDRESS if recipient_index is None else accounts[recipient_index]
    with ape.reverts(f"router: {error} is the zero address"):
        project.PaymentRouter.deploy(owner, recipient, sender=deployer)


def test_there_is_no_initializer_to_call_again(router: Any) -> None:
    """The constructor is the only initialisation: nothing external sets the owner or the recipient but the
    owner's own functions."""
    writers = {
        entry.name
        for entry in router.contract_type.abi
        if entry.type == "function" and entry.stateMutability not in ("view", "pure")
    }
    assert writers == {
        "pay",
        "payWithPermit",
        "set_token_allowed",
        "set_recipient",
        "set_paused",
        "transfer_ownership",
        "accept_ownership",
    }


# Paying with a permit


def test_pay_with_permit_in_one_transaction(
    router: Any, tusd: Any, payer: Any, payer_key: LocalAccount, treasury_address: Any
) -> None:
    deadline = ape.chain.pending_timestamp + ONE_HOUR
    v, r, s = permit(tusd, payer_key, router, AMOUNT, deadline)
    receipt = router.payWithPermit(INTENT, tusd, AMOUNT, deadline, v, r, s, sender=payer)
    assert tusd.balanceOf(treasury_address) == AMOUNT
    assert tusd.allowance(payer, router) == 0
    assert [event for event in receipt.events if event.event_name == "Paid"] == [
        router.Paid(intent_id=INTENT, payer=payer, token=tusd, amount=AMOUNT, recipient=treasury_address)
    ]


def test_a_permit_submitted_first_by_someone_else_does_not_block(
    router: Any, tusd: Any, payer: Any, payer_key: LocalAccount, outsider: Any, treasury_address: Any
) -> None:
    deadline = ape.chain.pending_timestamp + ONE_HOUR
    v, r, s = permit(tusd, payer_key, router, AMOUNT, deadline)
    tusd.permit(payer, router, AMOUNT, deadline, v, r, s, sender=outsider)  # front-run
    router.payWithPermit(INTENT, tusd, AMOUNT, deadline, v, r, s, sender=payer)
    assert tusd.balanceOf(treasury_address) == AMOUNT


def test_a_bad_permit_without_allowance_is_refused(
    router: Any, tusd: Any, payer: Any, payer_key: LocalAccount, outsider: Any
) -> None:
    deadline = ape.chain.pending_timestamp + ONE_HOUR
    v, r, s = permit(tusd, payer_key, router, AMOUNT, deadline, nonce=7)
    with ape.reverts("token: insufficient allowance"):
        router.payWithPermit(INTENT, tusd, AMOUNT, deadline, v, r, s, sender=payer)
    v, r, s = permit(tusd, payer_key, router, AMOUNT, deadline)
    with ape.reverts("token: insufficient allowance"):  # the payer's permit, sent by someone else
        router.payWithPermit(INTENT, tusd, AMOUNT, deadline, v, r, s, sender=outsider)


def test_pay_with_permit_makes_the_same_checks(
    router: Any, tusd: Any, payer: Any, payer_key: LocalAccount, router_owner: Any
) -> None:
    deadline = ape.chain.pending_timestamp + ONE_HOUR
    v, r, s = permit(tusd, payer_key, router, AMOUNT, deadline)
    with ape.reverts("router: zero amount"):
        router.payWithPermit(INTENT, tusd, 0, deadline, v, r, s, sender=payer)
    router.payWithPermit(INTENT, tusd, AMOUNT, deadline, v, r, s, sender=payer)
    v, r, s = permit(tusd, payer_key, router, AMOUNT, deadline)
    with ape.reverts("router: intent already paid"):
        router.payWithPermit(INTENT, tusd, AMOUNT, deadline, v, r, s, sender=payer)
    router.set_paused(True, sender=router_owner)
    with ape.reverts("router: paused"):
        router.payWithPermit(OTHER_INTENT, tusd, AMOUNT, deadline, v, r, s, sender=payer)


# Tokens that misbehave


def allowed_token(source: str, router: Any, router_owner: Any, payer: Any) -> Any:
    token = deploy_source(source, payer)
    token.mint(payer, FUNDS, sender=payer)
    token.approve(router, FUNDS, sender=payer)
    router.set_token_allowed(token, True, sender=router_owner)
    return token


def test_a_fee_on_transfer_token_is_refused(project: Any, router: Any, router_owner: Any, payer: Any) -> None:
    token = project.FeeOnTransferToken.deploy(100, sender=payer)  # 1 %
    token.mint(payer, FUNDS, sender=payer)
    token.approve(router, FUNDS, sender=payer)
    router.set_token_allowed(token, True, sender=router_owner)
    with ape.reverts("router: token delivered less than the amount"):
        router.pay(INTENT, token, AMOUNT, sender=payer)
    assert not router.is_paid(INTENT)
    token.set_fee(0, sender=payer)
    router.pay(INTENT, token, AMOUNT, sender=payer)


def test_a_token_returning_nothing_is_paid_with(
    router: Any, router_owner: Any, payer: Any, treasury_address: Any
) -> None:
    token = allowed_token(NO_RETURN_TOKEN, router, router_owner, payer)
    router.pay(INTENT, token, AMOUNT, sender=payer)
    assert token.balanceOf(treasury_address) == AMOUNT


def test_a_token_returning_false_is_refused(router: Any, router_owner: Any, payer: Any) -> None:
    token = allowed_token(FALSE_RETURN_TOKEN, router, router_owner, payer)
    with ape.reverts("router: token transfer failed"):
        router.pay(INTENT, token, AMOUNT, sender=payer)


def test_a_token_cannot_reenter(router: Any, router_owner: Any, payer: Any) -> None:
    token = allowed_token(REENTERING_TOKEN, router, router_owner, payer)
    with ape.reverts():
        router.pay(INTENT, token, AMOUNT, sender=payer)
    assert not router.is_paid(INTENT)
