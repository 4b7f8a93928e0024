"""SettlementAnchor.vy's owner: key rotation and the window; outsiders get nothing (the two-step ownership
hand-over: test_ownable_2step.py)."""

from typing import Any

import ape
import pytest

from chain.anchor import key_hint
from tests.helpers.anchor import ANCHOR_WINDOW, Anchorer
from tests.helpers.frost_signing import fixed_key

pytestmark = pytest.mark.chain

SETTLEMENT = 1
NOT_OWNER = "anchor: caller is not the owner"
ONE_YEAR = 365 * 86400
SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


NEXT_KEY = fixed_key(9592)
"""The key a rotation moves custody to."""


def test_outsiders_can_call_nothing_privileged(
    anchorer: Anchorer, anchor_attacker: Any, anchor_relayer: Any, deployer: Any
) -> None:
    anchorer.anchor_next(SETTLEMENT)
    contract = anchorer.contract
    x, y = NEXT_KEY[1].group_public_key.coordinates()
    for outsider in (anchor_attacker, anchor_relayer, deployer):
        with ape.reverts(NOT_OWNER):
            contract.void(SETTLEMENT, 1, sender=outsider)
        with ape.reverts(NOT_OWNER):
            contract.set_custody_key(x, y, sender=outsider)
        with ape.reverts(NOT_OWNER):
            contract.set_challenge_window(0, sender=outsider)
        with ape.reverts(NOT_OWNER):
            contract.transfer_ownership(outsider, sender=outsider)
        with ape.reverts("anchor: caller is not the pending owner"):
            contract.accept_ownership(sender=outsider)
    assert not contract.is_voided(SETTLEMENT, 1)
    assert contract.challenge_window() == ANCHOR_WINDOW
    assert contract.custody_key()[0] != x


def test_rotating_the_custody_key(anchorer: Anchorer, anchor_owner: Any) -> None:
    contract = anchorer.contract
    old_x, _ = anchorer.key[1].group_public_key.coordinates()
    x, y = NEXT_KEY[1].group_public_key.coordinates()
    signed_by_old_key = anchorer.next_intent(SETTLEMENT)
    old_signature = anchorer.sign(signed_by_old_key)
    receipt = contract.set_custody_key(x, y, sender=anchor_owner)
    assert receipt.events == [contract.CustodyKeyChanged(previous_key_x=old_x, key_x=x, key_y_parity=y % 2)]
    assert contract.custody_key() == (x, y % 2)
    with ape.reverts("anchor: signature is not the custody key's"):
        anchorer.submit(signed_by_old_key, old_signature)
    with ape.reverts("anchor: signature is not the custody key's"):  # nor with the old key's hint
        anchorer.submit(signed_by_old_key, old_signature, hint=key_hint(old_x))
    anchorer.key = NEXT_KEY
    anchorer.submit(signed_by_old_key)
    assert contract.head(SETTLEMENT) == (1, 1)


@pytest.mark.parametrize("parity", [0, 1])
def test_keys_of_either_parity_sign_anchors(anchorer: Anchorer, anchor_owner: Any, parity: int) -> None:
    """The key's top bits and parity share a slot with the window: a rotation sets them, not the window."""
    key = next(key for key in map(fixed_key, range(100, 164)) if key[1].group_public_key.y % 2 == parity)
    x, y = key[1].group_public_key.coordinates()
    anchorer.contract.set_custody_key(x, y, sender=anchor_owner)
    assert anchorer.contract.custody_key() == (x, parity)
    assert anchorer.contract.challenge_window() == ANCHOR_WINDOW
    anchorer.key = key
    anchorer.anchor_next(SETTLEMENT)


def test_a_bad_key_is_refused(anchorer: Anchorer, anchor_owner: Any) -> None:
    x, y = anchorer.key[1].group_public_key.coordinates()
    with ape.reverts("schnorr: group key is not on the curve"):
        anchorer.contract.set_custody_key(x, y + 1, sender=anchor_owner)
    with ape.reverts("schnorr: group key x is not in [1, n)"):
        anchorer.contract.set_custody_key(0, y, sender=anchor_owner)
    with ape.reverts("schnorr: group key x is not in [1, n)"):
        anchorer.contract.set_custody_key(SECP256K1_ORDER, y, sender=anchor_owner)


def test_changing_the_window(anchorer: Anchorer, anchor_owner: Any) -> None:
    contract = anchorer.contract
    key = contract.custody_key()
    receipt = contract.set_challenge_window(ONE_YEAR, sender=anchor_owner)
    assert receipt.events == [contract.ChallengeWindowChanged(previous_window=ANCHOR_WINDOW, window=ONE_YEAR)]
    assert contract.challenge_window() == ONE_YEAR
    assert contract.custody_key() == key
    with ape.reverts("anchor: challenge window is longer than a year"):
        contract.set_challenge_window(ONE_YEAR + 1, sender=anchor_owner)
    receipt = anchorer.submit(anchorer.next_intent(SETTLEMENT))
    assert contract.record(SETTLEMENT, 1)[1] == receipt.timestamp + ONE_YEAR
