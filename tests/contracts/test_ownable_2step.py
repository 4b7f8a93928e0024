"""`modules/ownable_2step.vy` as each contract that uses it exports it (Token, SubscriptionManager,
SettlementAnchor): ownership moves in two steps, a proposal can be cancelled, and outsiders are refused at
each step with the contract's own revert reasons."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ape
import pytest

from chain.intents import ZERO_ADDRESS
from tests.helpers.anchor import Anchorer

pytestmark = pytest.mark.chain


@dataclass(frozen=True)
class Owned:
    """A contract using the module, its owner, its revert-reason prefix and one of its owner-only calls."""

    contract: Any
    owner: Any
    prefix: str
    owner_only: Callable[[Any], Any]
    """Calls an owner-only function of the contract from the given sender."""

    @property
    def not_owner(self) -> str:
        return f"{self.prefix}: caller is not the owner"

    @property
    def not_pending_owner(self) -> str:
        return f"{self.prefix}: caller is not the pending owner"


@pytest.fixture(params=["token", "subscriptions", "anchor"])
def owned(request: pytest.FixtureRequest, project: Any, deployer: Any) -> Owned:
    """A fresh deployment per test: a module-scoped one fetched here would fall outside Ape's isolation."""
    if request.param == "token":
        token = project.Token.deploy("Test USD", "tUSD", 6, sender=deployer)
        return Owned(token, deployer, "token", lambda sender: token.set_minter(sender, True, sender=sender))
    if request.param == "subscriptions":
        manager = project.SubscriptionManager.deploy(
            request.getfixturevalue("fee_treasury"), 0, sender=deployer
        )
        return Owned(manager, deployer, "subscriptions", lambda sender: manager.set_fee(1, sender=sender))
    anchorer: Anchorer = request.getfixturevalue("anchorer")
    anchor = anchorer.contract
    owner = request.getfixturevalue("anchor_owner")
    return Owned(anchor, owner, "anchor", lambda sender: anchor.set_challenge_window(0, sender=sender))


@pytest.fixture(scope="module")
def successor(accounts: Any) -> Any:
    """Who the owner hands the contract over to."""
    return accounts[8]


@pytest.fixture(scope="module")
def outsider(accounts: Any) -> Any:
    """Someone with no role in any of the contracts."""
    return accounts[7]


def test_ownership_moves_in_two_steps(owned: Owned, successor: Any, outsider: Any) -> None:
    contract, owner = owned.contract, owned.owner
    receipt = contract.transfer_ownership(successor, sender=owner)
    assert receipt.events == [contract.OwnershipTransferStarted(previous_owner=owner, new_owner=successor)]
    assert contract.owner() == owner
    assert contract.pending_owner() == successor
    with ape.reverts(owned.not_pending_owner):
        contract.accept_ownership(sender=outsider)
    receipt = contract.accept_ownership(sender=successor)
    assert receipt.events == [contract.OwnershipTransferred(previous_owner=owner, new_owner=successor)]
    assert (contract.owner(), contract.pending_owner()) == (successor, ZERO_ADDRESS)
    with ape.reverts(owned.not_owner):
        owned.owner_only(owner)
    owned.owner_only(successor)


def test_proposing_the_zero_address_cancels_a_transfer(owned: Owned, successor: Any) -> None:
    contract, owner = owned.contract, owned.owner
    contract.transfer_ownership(successor, sender=owner)
    receipt = contract.transfer_ownership(ZERO_ADDRESS, sender=owner)
    assert receipt.events == [contract.OwnershipTransferStarted(previous_owner=owner, new_owner=ZERO_ADDRESS)]
    with ape.reverts(owned.not_pending_owner):
        contract.accept_ownership(sender=successor)
    assert contract.owner() == owner


def test_outsiders_can_neither_propose_nor_accept(owned: Owned, outsider: Any) -> None:
    contract = owned.contract
    with ape.reverts(owned.not_owner):
        contract.transfer_ownership(outsider, sender=outsider)
    with ape.reverts(owned.not_pending_owner):
        contract.accept_ownership(sender=outsider)
    with ape.reverts(owned.not_owner):
        owned.owner_only(outsider)
    assert (contract.owner(), contract.pending_owner()) == (owned.owner, ZERO_ADDRESS)


def test_the_owner_cannot_accept_without_a_proposal(owned: Owned) -> None:
    with ape.reverts(owned.not_pending_owner):
        owned.contract.accept_ownership(sender=owned.owner)
