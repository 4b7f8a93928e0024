"""BridgedToken.vy: a plain ERC-20 that only its bridge mints and burns (the minting side is covered through
BridgeL2 in `test_bridge.py`; here the bridge is an account, so the token can be driven directly)."""

from typing import Any

import ape
import pytest

pytestmark = pytest.mark.chain

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
MAX_UINT256 = 2**256 - 1


@pytest.fixture
def token(project: Any, deployer: Any, accounts: Any) -> Any:
    """A BridgedToken whose 'bridge' is accounts[3], with 1,000 units minted to accounts[1]."""
    contract = project.BridgedToken.deploy(
        "TPWallet USD (bridged)", "tUSD.b", 6, accounts[3], sender=deployer
    )
    contract.mint(accounts[1], 1_000, sender=accounts[3])
    return contract


def test_deployment(project: Any, deployer: Any, accounts: Any, token: Any) -> None:
    assert (token.name(), token.symbol(), token.decimals(), token.bridge()) == (
        "TPWallet USD (bridged)",
        "tUSD.b",
        6,
        accounts[3],
    )
    with ape.reverts("bridged token: bridge is the zero address"):
        project.BridgedToken.deploy("x", "x", 6, ZERO_ADDRESS, sender=deployer)
    with ape.reverts("bridged token: empty symbol"):
        project.BridgedToken.deploy("x", "", 6, accounts[3], sender=deployer)


def test_transfer_and_allowances(token: Any, accounts: Any) -> None:
    holder, spender, receiver = accounts[1], accounts[2], accounts[4]
    token.transfer(receiver, 100, sender=holder)
    assert (token.balanceOf(holder), token.balanceOf(receiver), token.totalSupply()) == (900, 100, 1_000)
    with ape.reverts("bridged token: transfer amount exceeds balance"):
        token.transfer(receiver, 901, sender=holder)
    with ape.reverts("bridged token: transfer to the zero address"):
        token.transfer(ZERO_ADDRESS, 1, sender=holder)

    token.approve(spender, 50, sender=holder)
    token.transferFrom(holder, receiver, 30, sender=spender)
    assert token.allowance(holder, spender) == 20
    with ape.reverts("bridged token: insufficient allowance"):
        token.transferFrom(holder, receiver, 21, sender=spender)
    with ape.reverts("bridged token: approve to the zero address"):
        token.approve(ZERO_ADDRESS, 1, sender=holder)

    token.approve(spender, MAX_UINT256, sender=holder)
    token.transferFrom(holder, receiver, 70, sender=spender)
    assert token.allowance(holder, spender) == MAX_UINT256
    assert token.balanceOf(receiver) == 200


def test_only_the_bridge_mints_and_burns(token: Any, accounts: Any) -> None:
    holder, bridge = accounts[1], accounts[3]
    for outsider in (holder, accounts[0]):
        with ape.reverts("bridged token: only the bridge mints"):
            token.mint(outsider, 1, sender=outsider)
        with ape.reverts("bridged token: only the bridge burns"):
            token.burn(holder, 1, sender=outsider)
    with ape.reverts("bridged token: mint to the zero address"):
        token.mint(ZERO_ADDRESS, 1, sender=bridge)
    with ape.reverts("bridged token: burn amount exceeds balance"):
        token.burn(holder, 1_001, sender=bridge)
    token.burn(holder, 400, sender=bridge)
    assert (token.balanceOf(holder), token.totalSupply()) == (600, 600)
