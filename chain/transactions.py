"""Send contract calls from a locally held key: build, sign, send, wait, and explain a revert.

Relayers and the demo hold their own keys and sign locally; nothing relies on a node's unlocked
accounts, which production nodes do not have.
"""

import threading
import weakref

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError, TimeExhausted
from web3.types import Nonce, TxParams, TxReceipt

from chain.errors import ChainError
from chain.reverts import logic_error_reason


class TransactionFailed(ChainError, RuntimeError):
    """The transaction reverted (or would revert); `reason` is the contract's revert string if any."""

    def __init__(self, description: str, reason: str | None, tx_hash: str | None = None) -> None:
        self.reason = reason
        self.tx_hash = tx_hash
        where = f" (tx {tx_hash})" if tx_hash else ""
        super().__init__(f"{description} reverted{where}: {reason or 'no reason given'}")


class NonceTracker:
    """Hands out consecutive nonces per (chain, sender) so concurrent sends from one key do not collide.

    The same relayer key is used on several chains, each with its own nonce sequence. A chain is its id AND
    its genesis block: a devnet restarted (or a second anvil) under the same chain id starts its nonces
    afresh, and a nonce remembered from the old one would leave a gap no block ever fills.
    """

    def __init__(self) -> None:
        self._next: dict[tuple[int, bytes, str], int] = {}
        self._genesis: weakref.WeakKeyDictionary[Web3, bytes] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def _chain(self, w3: Web3, chain_id: int) -> tuple[int, bytes]:
        genesis = self._genesis.get(w3)
        if genesis is None:
            genesis = bytes(w3.eth.get_block(0)["hash"])
            self._genesis[w3] = genesis
        return chain_id, genesis

    def take(self, w3: Web3, chain_id: int, sender: str, count: int = 1) -> int:
        """The first of `count` consecutive nonces, all now `sender`'s to use."""
        with self._lock:
            key = (*self._chain(w3, chain_id), sender)
            chain_next = w3.eth.get_transaction_count(Web3.to_checksum_address(sender), "pending")
            nonce = max(chain_next, self._next.get(key, 0))
            self._next[key] = nonce + count
            return nonce

    def forget(self, w3: Web3, chain_id: int, sender: str) -> None:
        """After a failed send, re-read the nonce from the chain next time."""
        with self._lock:
            self._next.pop((*self._chain(w3, chain_id), sender), None)


NONCES = NonceTracker()


def send_call(
    w3: Web3,
    sender: LocalAccount,
    call: ContractFunction,
    *,
    value: int = 0,
    gas: int | None = None,
    timeout: float = 60.0,
) -> TxReceipt:
    """Sign `call` with `sender`'s key, send it, wait for the receipt; raise TransactionFailed on revert.

    Gas is estimated first, which also surfaces the revert reason before anything is broadcast.
    """
    description = f"{call.fn_name}()"
    params: TxParams = {"from": sender.address, "value": Web3.to_wei(value, "wei")}
    try:
        estimated = call.estimate_gas(params)
    except ContractLogicError as exc:
        raise TransactionFailed(description, logic_error_reason(exc)) from exc
    params["gas"] = gas if gas is not None else estimated + estimated // 5
    chain_id = w3.eth.chain_id
    params["chainId"] = chain_id
    params["nonce"] = Nonce(NONCES.take(w3, chain_id, sender.address))
    try:
        tx = call.build_transaction(params)
        signed = sender.sign_transaction(tx)  # type: ignore[arg-type]
        tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    except Exception:
        NONCES.forget(w3, chain_id, sender.address)
        raise
    try:
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout)
    except TimeExhausted:
        # Dropped or stuck: the next send re-reads the chain's pending nonce rather than leaving a gap
        # behind a transaction that may never be mined.
        NONCES.forget(w3, chain_id, sender.address)
        raise
    if receipt["status"] != 1:
        raise TransactionFailed(description, None, tx_hash.to_0x_hex())
    return receipt
