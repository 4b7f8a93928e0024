"""The bridge relay on the devnet (issue 14 point 5): deposit-to-claim latency and messages relayed per
second, the rows `benchmarks/bridge.py` reports as `bridge_deposit_to_claim_p50_s` and
`bridge_messages_per_s`.

Everything is real and runs as it does in `make devnet`: two anvils (L1 31337, L2 31338) mining a block every
second, both bridges deployed and linked as the relay tests deploy them (`tests.helpers.bridge_pair`), a
2-of-3 custody group of node processes each witnessing every batch on both chains before it signs, the API
process as its coordinator (its database a SQLite file the relay shares), and `python -m relay.bridge`
reading at 2 confirmations (the nodes' depth), cutting a batch as soon as it has messages (at most
`MAX_MESSAGES`), polling every 50 ms, and asking the nodes again every 0.5 s for a batch they left pending
(a message their own endpoint does not yet show 2 blocks deep).

1. Latency: `deposits` deposits one after another, each to a fresh L2 recipient; a deposit's latency runs from
   its L1 receipt (polled every 20 ms) to the recipient's bridged balance showing it on L2 (polled every
   20 ms). The floor is the confirmation depth (2 L1 blocks), the wait for L2's next block to take the
   attestation (0-1 s, by the phase between the two anvils' block clocks) and one L2 block for the claims:
   3-4 s at 1-second blocks. The row also gives the latency from the deposit's send, which adds the wait
   for L1 to include it (up to a block).
2. Throughput: a burst of `burst` deposits from two users, signed beforehand and sent back to back; the rate
   is the burst's messages over the relay's time on them: from the first of them recorded `seen` (read at the
   depth) to the last recorded `claimed` (its receipt in), both from the relay's own rows. The end-to-end rate
   (first deposit sent to last claim) is given beside it.
"""

import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from sqlalchemy import create_engine, func, select
from web3 import Web3
from web3.exceptions import TransactionNotFound

from chain.dev_accounts import dev_accounts
from chain.pipeline import FunctionEncoder, rpc_batch
from payments.bridge.schema import bridge_messages
from scripts._support.anvil import AnvilConfig, AnvilNode
from scripts._support.processes import ManagedProcess, free_port
from tests.helpers.api_process import ApiProcess
from tests.helpers.bridge_pair import (
    USERS,
    WITNESS_CONFIRMATIONS,
    Bridges,
    account_guardians,
    bridge_group,
    deploy_test_bridges,
    relay_environment,
)

BLOCK_SECONDS = 1
CONFIRMATIONS = WITNESS_CONFIRMATIONS  # the relay's depth: at least the nodes', or a batch waits pending
POLL_SECONDS = 0.02
AMOUNT = 1_000  # 0.001 tUSD a deposit
MAX_MESSAGES = 500
"""A batch's size at most: each batch is one custody signature (the API and two signer nodes, each reading
the batch's messages on both chains), so a burst of 1,000 in batches of 500 waits for two signatures, in
batches of 100 for ten (the relay's default; `docs/benchmarks.md` gives both figures). The price is in
the claims: a proof grows by a level per doubling of the batch, so a 500-message batch's proofs are two
levels (64 bytes of calldata, two hashes: some 1,100 gas) longer per message than a 100-message batch's."""
RELAY_SETTINGS = {
    "confirmations": str(CONFIRMATIONS),
    "max_messages": str(MAX_MESSAGES),
    "max_age_seconds": "0",
    "poll_interval_seconds": "0.05",
    "sign_retry_seconds": "0.5",
    "log_level": "WARNING",
}


@dataclass(frozen=True)
class RelayFigures:
    """What the two runs measured."""

    deposits: int
    p50_s: float
    p90_s: float
    p50_from_send_s: float
    burst: int
    messages_per_s: float
    end_to_end_per_s: float
    relay_seconds: float
    load_before: float

    @property
    def latency_target_s(self) -> float:
        return CONFIRMATIONS * BLOCK_SECONDS + 2.0


def _signed_deposits(bridges: Bridges, user: LocalAccount, recipients: list[str]) -> list[HexBytes]:
    """`user`'s deposits of `AMOUNT` to each recipient, signed with consecutive nonces from its next one.

    Each carries the first one's estimate plus a fifth as its gas limit, as a wallet would set it: anvil
    packs a block by the limits, so a generous fixed limit would cap the deposits a block takes (150,000
    let 200 into a 30M block, and the burst then reached the relay at 200 messages a second)."""
    w3 = bridges.l1.w3
    nonce = w3.eth.get_transaction_count(user.address, "pending")
    deposit = FunctionEncoder(bridges.l1.contract, "deposit")
    estimated = w3.eth.estimate_gas(
        {
            "from": user.address,
            "to": bridges.l1.address,
            "data": deposit(bridges.tusd.address, AMOUNT, recipients[0]),
        }
    )
    fees = {
        "maxFeePerGas": 10 * int(w3.eth.gas_price),
        "maxPriorityFeePerGas": 0,
        "chainId": int(w3.eth.chain_id),
    }
    signed = []
    for offset, recipient in enumerate(recipients):
        tx: dict[str, Any] = {
            "to": bridges.l1.address,
            "data": deposit(bridges.tusd.address, AMOUNT, recipient),
            "gas": estimated + estimated // 5,
            "nonce": nonce + offset,
            "value": 0,
            **fees,
        }
        signed.append(HexBytes(user.sign_transaction(tx).raw_transaction))
    return signed


def _fresh_address() -> str:
    return str(Account.from_key(secrets.token_bytes(32)).address)


def _receipt_time(w3: Web3, tx_hash: HexBytes) -> float:
    """Poll until `tx_hash` is mined; the monotonic time it was first seen mined."""
    while True:
        try:
            receipt = w3.eth.get_transaction_receipt(tx_hash)
        except TransactionNotFound:
            time.sleep(POLL_SECONDS)
            continue
        if receipt["status"] != 1:
            raise RuntimeError(f"deposit {tx_hash.to_0x_hex()} reverted")
        return time.monotonic()


def _until(condition: Callable[[], bool], timeout: float, what: str) -> float:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(POLL_SECONDS)
    return time.monotonic()


def _holds(bridges: Bridges, recipient: str) -> bool:
    return bridges.bridged_balance(recipient) == AMOUNT


def measure_latency(bridges: Bridges, deposits: int) -> tuple[list[float], list[float]]:
    """Deposit-to-claim latencies (from inclusion, from send) of `deposits` deposits one after another."""
    user = dev_accounts()[USERS[0]]
    w1 = bridges.l1.w3
    from_inclusion, from_send = [], []
    for _ in range(deposits):
        recipient = _fresh_address()
        (raw,) = _signed_deposits(bridges, user, [recipient])
        sent = time.monotonic()
        tx_hash = w1.eth.send_raw_transaction(raw)
        included = _receipt_time(w1, tx_hash)
        claimed = _until(partial(_holds, bridges, recipient), 60, "a claim")
        from_inclusion.append(claimed - included)
        from_send.append(claimed - sent)
    return from_inclusion, from_send


def measure_burst(bridges: Bridges, database_url: str, burst: int) -> tuple[float, float, float]:
    """A burst of `burst` deposits: (relay rate, end-to-end rate, relay seconds)."""
    accounts = dev_accounts()
    halves = [burst // 2, burst - burst // 2]
    signed = [
        raw
        for index, count in zip(USERS, halves, strict=True)
        for raw in _signed_deposits(bridges, accounts[index], [_fresh_address() for _ in range(count)])
    ]
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            first_nonce = int(connection.scalar(select(func.count()).select_from(bridge_messages)) or 0) + 1
        in_burst = bridge_messages.c.nonce >= first_nonce

        def claimed() -> int:
            with engine.connect() as connection:
                where = in_burst & (bridge_messages.c.status == "claimed")
                return int(connection.scalar(select(func.count()).where(where)) or 0)

        started = time.monotonic()
        for response in rpc_batch(
            bridges.l1.w3, [("eth_sendRawTransaction", [raw.to_0x_hex()]) for raw in signed]
        ):
            if "error" in response:
                raise RuntimeError(f"L1 refused a deposit: {response['error']}")
        finished = _until(lambda: claimed() == burst, 600, "the burst's claims")
        with engine.connect() as connection:
            first_seen, last_claimed = connection.execute(
                select(func.min(bridge_messages.c.seen_us), func.max(bridge_messages.c.updated_us)).where(
                    in_burst
                )
            ).one()
    finally:
        engine.dispose()
    relay_seconds = (int(last_claimed) - int(first_seen)) / 1e6
    return burst / relay_seconds, burst / (finished - started), relay_seconds


def measure(deposits: int, burst: int) -> RelayFigures:
    """Start the devnet, the custody group, the API and the relay; run both measurements; stop everything."""
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bridge-relay-bench-") as directory:
        root = Path(directory)
        nodes = [
            AnvilNode(AnvilConfig(name, free_port(), chain_id, BLOCK_SECONDS), log_dir=root)
            for name, chain_id in (("l1", 31337), ("l2", 31338))
        ]
        with nodes[0], nodes[1]:
            bridges = deploy_test_bridges(nodes[0], nodes[1], account_guardians)
            database_url = f"sqlite:///{root / 'api.db'}"
            with bridge_group(root / "group", bridges, max_signatures=1_000_000) as group:
                group.start()
                (root / "api").mkdir()
                with ApiProcess(root / "api", group, database_url) as api:
                    inherited = {k: v for k, v in os.environ.items() if not k.startswith("TPW_")}
                    env = inherited | relay_environment(
                        bridges, database_url, api.url, root, api.token, **RELAY_SETTINGS
                    )
                    relay = ManagedProcess(
                        "bridge-relay",
                        [sys.executable, "-m", "relay.bridge"],
                        log_path=root / "relay.log",
                        env=env,
                    )
                    with relay:
                        try:
                            from_inclusion, from_send = measure_latency(bridges, deposits)
                            rate, end_to_end, relay_seconds = measure_burst(bridges, database_url, burst)
                        except RuntimeError as error:
                            raise RuntimeError(
                                f"{error}; the relay's log ends:\n{relay.log_tail()}"
                            ) from error
    return RelayFigures(
        deposits=deposits,
        p50_s=statistics.median(from_inclusion),
        p90_s=statistics.quantiles(from_inclusion, n=10)[-1],
        p50_from_send_s=statistics.median(from_send),
        burst=burst,
        messages_per_s=rate,
        end_to_end_per_s=end_to_end,
        relay_seconds=relay_seconds,
        load_before=load_before,
    )
