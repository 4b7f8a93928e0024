"""Many transactions from one locally held key, sent back to back and awaited together.

`chain.transactions.send_call` sends one call and waits for its receipt: a relayer that delivers a batch's
claims that way gets one claim into each block. Here the calls of a round go out as JSON-RPC batches (one
HTTP request for their gas estimates, one for the transactions, one per poll for the receipts) with
consecutive nonces, so a block takes as many as its gas allows and the Python side does no per-call round
trip. The requests are raw (`provider.make_batch_request`): web3's per-call formatting middleware is most of
a call's CPU on a busy machine.

Estimating every call first keeps `send_call`'s guarantee that a call which would revert is never
broadcast: estimation stops at the first refusal, and only the calls before it are sent. Each call is
estimated on its own against the latest block, not after the ones before it, so a later call's gas limit
carries the same fifth on top as `send_call` gives.
"""

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, cast

from eth_abi import encode
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.abi import function_abi_to_4byte_selector, get_abi_input_types
from web3 import HTTPProvider, Web3
from web3.contract import Contract
from web3.exceptions import TimeExhausted
from web3.types import RPCEndpoint

from chain.transactions import NONCES, TransactionFailed

RECEIPT_POLL_SECONDS = 0.05


class FunctionEncoder:
    """Calldata of one contract function, encoded with eth_abi directly (web3's `encode_abi` normalizes every
    argument through its formatters: some thirty times slower)."""

    def __init__(self, contract: Contract, name: str) -> None:
        abi = contract.get_function_by_name(name).abi
        self.selector = function_abi_to_4byte_selector(abi)
        self.types = get_abi_input_types(abi)

    def __call__(self, *args: Any) -> bytes:
        return self.selector + encode(self.types, args)


@dataclass(frozen=True)
class Call:
    """A contract call as raw calldata; `description` names it in errors."""

    to: ChecksumAddress
    data: bytes
    description: str


@dataclass(frozen=True)
class Mined:
    """A transaction's receipt, as far as a caller needs it."""

    tx_hash: str
    succeeded: bool
    topics: frozenset[str]
    """topic0 of every log it emitted, 0x-prefixed lower-case hex."""
    logs: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Every log it emitted as (emitter's address, its topics), 0x-prefixed lower-case hex, in order."""


def rpc_batch(w3: Web3, requests: Sequence[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
    """One JSON-RPC batch: each request's response object (`result` or `error`), in request order."""
    if not requests:
        return []
    batch = [(RPCEndpoint(method), params) for method, params in requests]
    responses = w3.provider.make_batch_request(batch)  # type: ignore[attr-defined]
    if not isinstance(responses, list):
        raise ConnectionError(f"the node refused the batch: {responses.get('error')}")
    return [cast(dict[str, Any], response) for response in responses]


def estimate(
    w3: Web3, sender: LocalAccount, calls: Sequence[Call], *, block: str = "latest", workers: int = 1
) -> tuple[list[int], TransactionFailed | None]:
    """The gas limits of the longest prefix of `calls` that would not revert (estimate plus a fifth) at
    `block` ("pending": on the node's pending state, the sender's transactions not yet mined included), and
    the refusal that ended it, if one did.

    `workers` > 1 splits the calls into that many JSON-RPC batches asked at once, over HTTP: a node works
    through one batch's estimates one after another, and a `claim_many` of 100 messages takes anvil some
    85 ms to estimate, so ten of them in one batch would miss the block a relay wants them in."""
    requests = [
        ("eth_estimateGas", [{"from": sender.address, "to": call.to, "data": "0x" + call.data.hex()}, block])
        for call in calls
    ]
    # only over HTTP, where web3 keeps a session per thread: a WebSocket provider shares one connection,
    # and threads reading it take each other's answers
    parallel = isinstance(w3.provider, HTTPProvider)
    parts = max(1, min(workers if parallel else 1, len(requests)))
    if parts == 1:
        responses = rpc_batch(w3, requests)
    else:
        size = -(-len(requests) // parts)
        with ThreadPoolExecutor(max_workers=parts) as pool:
            answered = pool.map(
                lambda start: rpc_batch(w3, requests[start : start + size]), range(0, len(requests), size)
            )
            responses = [response for part in answered for response in part]
    limits: list[int] = []
    for call, response in zip(calls, responses, strict=True):
        if "error" in response:
            reason = str(response["error"].get("message", response["error"]))
            return limits, TransactionFailed(call.description, reason)
        estimated = int(response["result"], 16)
        limits.append(estimated + estimated // 5)
    return limits, None


def send(w3: Web3, sender: LocalAccount, calls: Sequence[Call], gas_limits: Sequence[int]) -> list[str]:
    """Sign `calls` with consecutive nonces and broadcast them in one batch; their tx hashes. If the node
    refuses one, the ones before it stand and the nonce counter is re-read from the chain next time."""
    chain_id = int(w3.eth.chain_id)
    first_nonce = NONCES.take(w3, chain_id, sender.address, count=len(calls))
    priority = int(w3.eth.max_priority_fee)
    max_fee = 2 * int(w3.eth.get_block("latest")["baseFeePerGas"]) + priority
    raw = []
    for offset, (call, gas) in enumerate(zip(calls, gas_limits, strict=True)):
        tx: dict[str, Any] = {
            "to": call.to,
            "data": call.data,
            "gas": gas,
            "nonce": first_nonce + offset,
            "chainId": chain_id,
            "maxFeePerGas": max_fee,
            "maxPriorityFeePerGas": priority,
            "value": 0,
        }
        raw.append("0x" + bytes(sender.sign_transaction(tx).raw_transaction).hex())
    responses = rpc_batch(w3, [("eth_sendRawTransaction", [transaction]) for transaction in raw])
    hashes: list[str] = []
    for call, response in zip(calls, responses, strict=True):
        if "error" in response:
            NONCES.forget(w3, chain_id, sender.address)
            if hashes:
                return hashes
            raise TransactionFailed(call.description, str(response["error"].get("message")))
        hashes.append(str(response["result"]))
    return hashes


def wait_for_all(
    w3: Web3, sender: LocalAccount, tx_hashes: Sequence[str], *, timeout: float = 60.0
) -> list[Mined]:
    """Wait until every one of `tx_hashes` is mined (polling them in one batch); their receipts in order."""
    mined: dict[str, Mined] = {}
    deadline = time.monotonic() + timeout
    while True:
        waiting = [tx_hash for tx_hash in tx_hashes if tx_hash not in mined]
        for tx_hash, response in zip(
            waiting,
            rpc_batch(w3, [("eth_getTransactionReceipt", [tx_hash]) for tx_hash in waiting]),
            strict=True,
        ):
            receipt = response.get("result")
            if receipt is not None:
                logs = tuple(
                    (str(log["address"]).lower(), tuple(str(topic).lower() for topic in log["topics"]))
                    for log in receipt["logs"]
                )
                topics = frozenset(log_topics[0] for _, log_topics in logs if log_topics)
                mined[tx_hash] = Mined(tx_hash, int(receipt["status"], 16) == 1, topics, logs)
        if len(mined) == len(tx_hashes):
            return [mined[tx_hash] for tx_hash in tx_hashes]
        if time.monotonic() > deadline:
            NONCES.forget(w3, int(w3.eth.chain_id), sender.address)  # as `send_call`: no gap behind them
            raise TimeExhausted(f"{len(tx_hashes) - len(mined)} transactions not mined in {timeout} s")
        time.sleep(RECEIPT_POLL_SECONDS)


def send_in_waves(
    w3: Web3, sender: LocalAccount, calls: Sequence[Call], gas_limits: Sequence[int], *, timeout: float = 60.0
) -> list[Mined]:
    """Send `calls` (`send`) in waves that each fit one block, their gas limits summed within the latest
    block's gas limit, each wave awaited (`wait_for_all`) before the next; the receipts in order (fewer than
    `calls` when the node refused one: the ones before it stand).

    More than a block's worth from one sender at once is what anvil lost a transaction of on the bridge
    benchmark (ten claim transactions of 4.5M gas each against a 30M block: seven mined, then two, and the
    tenth never, its nonce taken later by another transaction; cf. foundry-rs/foundry#10122), which left
    the whole round waiting for it until its timeout. A wave that would spill into the next block anyway
    costs no block by waiting."""
    capacity = int(w3.eth.get_block("latest")["gasLimit"])
    mined: list[Mined] = []
    start = 0
    while start < len(calls):
        end, total = start, 0
        while end < len(calls) and (end == start or total + gas_limits[end] <= capacity):
            total += gas_limits[end]
            end += 1
        sent = send(w3, sender, calls[start:end], gas_limits[start:end])
        mined += wait_for_all(w3, sender, sent, timeout=timeout)
        if len(sent) < end - start:
            break
        start = end
    return mined
