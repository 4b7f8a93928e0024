"""Locally signed sends on real anvil chains: one key on two chains, revert reasons found before sending."""

import pytest
from web3.exceptions import TimeExhausted

from chain.artifacts import contract, deploy
from chain.client import make_web3
from chain.dev_accounts import dev_accounts
from chain.transactions import TransactionFailed, send_call
from scripts._support.anvil import AnvilNode, rpc_call
from tests.devnet.conftest import anvil

pytestmark = pytest.mark.devnet


def test_one_key_alternating_between_chains_keeps_each_nonce_sequence(
    l1_anvil: AnvilNode, l2_anvil: AnvilNode
) -> None:
    sender, receiver = dev_accounts()[8], dev_accounts()[9]
    chains = [make_web3(node.url) for node in (l1_anvil, l2_anvil)]
    tokens = [
        contract(w3, "Token", deploy(w3, "Token", "Nonce Test", "NT", 6, sender=sender.address)[0])
        for w3 in chains
    ]
    for w3, token in zip(chains, tokens, strict=True):
        send_call(w3, sender, token.functions.set_minter(sender.address, True))
    for _ in range(3):
        for w3, token in zip(chains, tokens, strict=True):
            send_call(w3, sender, token.functions.mint(receiver.address, 1))
    assert [token.functions.balanceOf(receiver.address).call() for token in tokens] == [3, 3]


def test_a_revert_reason_is_reported_and_nothing_is_broadcast(l1_anvil: AnvilNode) -> None:
    w3 = make_web3(l1_anvil.url)
    owner, outsider = dev_accounts()[8], dev_accounts()[6]
    token = contract(w3, "Token", deploy(w3, "Token", "Revert Test", "RT", 6, sender=owner.address)[0])
    nonce_before = w3.eth.get_transaction_count(outsider.address)
    with pytest.raises(TransactionFailed, match="token: caller is not a minter") as failure:
        send_call(w3, outsider, token.functions.mint(outsider.address, 1))
    assert failure.value.reason == "token: caller is not a minter"
    assert w3.eth.get_transaction_count(outsider.address) == nonce_before


def test_a_send_that_is_never_mined_leaves_no_nonce_gap(l1_anvil: AnvilNode) -> None:
    w3 = make_web3(l1_anvil.url)
    owner = dev_accounts()[7]
    token = contract(w3, "Token", deploy(w3, "Token", "Drop Test", "DT", 6, sender=owner.address)[0])
    send_call(w3, owner, token.functions.set_minter(owner.address, True))
    rpc_call(l1_anvil.url, "evm_setAutomine", [False])
    try:
        with pytest.raises(TimeExhausted):
            send_call(w3, owner, token.functions.mint(owner.address, 1), timeout=0.5)
        rpc_call(l1_anvil.url, "anvil_dropAllTransactions")  # the mempool lost it
    finally:
        rpc_call(l1_anvil.url, "evm_setAutomine", [True])
    send_call(w3, owner, token.functions.mint(owner.address, 2), timeout=10)  # not stuck behind a gap
    assert token.functions.balanceOf(owner.address).call() == 2


def test_a_second_chain_under_the_same_id_starts_its_own_nonces(
    l1_anvil: AnvilNode, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A devnet restarted under the same chain id (here: a second anvil as 31337) is a new chain: nonces
    remembered from the first would leave a gap its blocks never fill."""
    sender = dev_accounts()[6]
    first = make_web3(l1_anvil.url)
    token = contract(first, "Token", deploy(first, "Token", "Gap Test", "GT", 6, sender=sender.address)[0])
    for _ in range(3):
        send_call(first, sender, token.functions.set_minter(sender.address, True))
    with anvil(tmp_path_factory, "l1-again", 31337) as again:
        second = make_web3(again.url)
        fresh = contract(
            second, "Token", deploy(second, "Token", "Gap Test", "GT", 6, sender=sender.address)[0]
        )
        send_call(second, sender, fresh.functions.set_minter(sender.address, True), timeout=10)
        assert second.eth.get_transaction_count(sender.address) == 2  # the deploy, then this send
