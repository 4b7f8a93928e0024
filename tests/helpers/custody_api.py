"""The custody API on a real 3-node group, for the custody API tests (`tests/api/custody/`).

Its fixtures (the group, the API on it, a caller, a key) are `tests/api/custody/conftest.py`'s.

The nodes' policy (`POLICY`): TreasuryTx on the test contract, any destination; `APPROVED_TOKEN` needs two
of alice, bob and carol above 1,000 base units, `LOCKED_TOKEN` waits `TIME_LOCK_SECONDS` above 100, and
neither may move more than 10,000 in one transaction. The treasury (`TREASURY`) lets the custody key sign
CustodyTransfers (its hot-tier transfers) of `APPROVED_TOKEN` to `PAYEE` only, under the same limits and a
rolling day of `CUSTODY_DAILY_LIMIT`. Mallory is an Ethereum account but no operator.
"""

import contextlib
import itertools
import os
import signal
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from fastapi.testclient import TestClient

from api.settings import ApiSettings
from chain.intents import CustodyTransfer, Intent, TreasuryTx, decode_intent
from custody.audit import AuditLog
from custody.frost import Point, Signature, verify_signature
from custody.policy.approvals import OperatorApproval, sign_approval
from tests.helpers.custody_nodes import TEST_CHAIN_ID, TEST_CONTRACT, CustodyGroup


def account(name: str) -> LocalAccount:
    return Account.from_key(keccak(text=f"tpwallet test operator {name}"))


ALICE, BOB, CAROL, MALLORY = (account(name) for name in ("alice", "bob", "carol", "mallory"))
APPROVED_TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
LOCKED_TOKEN = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
PAYEE = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
TIME_LOCK_SECONDS = 2
PER_TX_LIMIT = 10_000
TREASURY = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"
STRANGER = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"
ANCHOR = "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9"
CUSTODY_DAILY_LIMIT = 15_000

POLICY = f"""\
version: 1
operators:
  alice: "{ALICE.address}"
  bob: "{BOB.address}"
  carol: "{CAROL.address}"
default:
  chains:
    {TEST_CHAIN_ID}:
      contracts:
        "{TEST_CONTRACT}": [TreasuryTx]
        "{TREASURY}": [CustodyTransfer]
        "{ANCHOR}": [Anchor]
      anchor:
        kinds: [1]
        velocity: {{max_signatures: 100000000, window_seconds: 3600}}
      custody_transfer:
        destinations: ["{PAYEE}"]
        max_deadline_horizon_seconds: 86400
        velocity: {{max_signatures: 100000000, window_seconds: 3600}}
        assets:
          "{APPROVED_TOKEN}":
            per_tx_limit: {PER_TX_LIMIT}
            rolling_24h_limit: {CUSTODY_DAILY_LIMIT}
            approvals: {{above: 1000, required: 2, operators: [alice, bob, carol]}}
      treasury_tx:
        destinations: any
        max_deadline_horizon_seconds: 86400
        velocity: {{max_signatures: 100000000, window_seconds: 3600}}
        assets:
          "{APPROVED_TOKEN}":
            per_tx_limit: {PER_TX_LIMIT}
            rolling_24h_limit: 1_000_000_000
            approvals: {{above: 1000, required: 2, operators: [alice, bob, carol]}}
          "{LOCKED_TOKEN}":
            per_tx_limit: {PER_TX_LIMIT}
            rolling_24h_limit: 1_000_000_000
            time_lock: {{above: 100, delay_seconds: {TIME_LOCK_SECONDS}}}
"""

_nonces = itertools.count(1)

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
"""For tests of the nodes' behaviour or of files, which no database backend changes: keeps the module fast."""


@contextlib.contextmanager
def frozen(group: CustodyGroup, *node_ids: int) -> Iterator[None]:
    """Nodes stopped with SIGSTOP: they accept connections (the kernel does) but never answer."""
    processes = [group.nodes[node_id].process for node_id in node_ids]
    pids = [process.pid for process in processes if process is not None and process.pid is not None]
    assert len(pids) == len(node_ids)
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)


class Api:
    """The custody API as one caller with every scope; each POST carries a fresh Idempotency-Key."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def post(
        self, path: str, body: dict[str, Any] | None = None, *, key: str | None = None
    ) -> httpx.Response:
        headers = {**self.headers, "Idempotency-Key": key or str(uuid.uuid4())}
        return self.client.post("/v1/custody" + path, json=body or {}, headers=headers)

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.client.get("/v1/custody" + path, headers=self.headers, params=params)


def typed(intent: Intent, contract: str) -> dict[str, Any]:
    """A sign request's intent as clients send it: every uint256 (the chain id too) a decimal string."""
    return {
        "primary_type": intent.PRIMARY_TYPE,
        "message": intent.to_json(uint256_as_string=True),
        "chain_id": str(TEST_CHAIN_ID),
        "verifying_contract": contract,
    }


def treasury_tx(amount: int, token: str = APPROVED_TOKEN) -> dict[str, Any]:
    intent = TreasuryTx(
        to=PAYEE, token=token, amount=amount, data=b"", nonce=next(_nonces), deadline=int(time.time()) + 3600
    )
    return typed(intent, TEST_CONTRACT)


def custody_transfer(amount: int, *, to: str = PAYEE, token: str = APPROVED_TOKEN) -> dict[str, Any]:
    """A CustodyTransfer from the treasury (the custody key's hot-tier order), as a sign request's intent."""
    intent = CustodyTransfer(
        to=to, token=token, amount=amount, nonce=next(_nonces), deadline=int(time.time()) + 3600
    )
    return typed(intent, TREASURY)


def digest_of(intent: dict[str, Any]) -> bytes:
    decoded = decode_intent(intent["primary_type"], intent["message"])
    return decoded.digest(int(intent["chain_id"]), intent["verifying_contract"])


def approval_of(request: dict[str, Any], operator: LocalAccount) -> OperatorApproval:
    """`operator`'s signature over `SignApproval(digest, id)` of the sign request, in its intent's domain."""
    return sign_approval(
        operator,
        bytes.fromhex(request["digest"][2:]),
        bytes.fromhex(request["id"][2:]),
        int(request["intent"]["chain_id"]),
        request["intent"]["verifying_contract"],
    )


def approve(api: Api, request: dict[str, Any], operator: LocalAccount) -> httpx.Response:
    return api.post(f"/sign-requests/{request['id']}/approvals", approval_of(request, operator).to_json())


def assert_verifies(key: dict[str, Any], request: dict[str, Any]) -> None:
    """The request's signature is a valid group signature over its intent's digest, in every form given."""
    assert request["status"] == "signed"
    signature = Signature.from_bytes(bytes.fromhex(request["signature"]["serialized"][2:]))
    group_key = Point.from_bytes(bytes.fromhex(key["group_public_key"]["compressed"][2:]))
    assert verify_signature(group_key, digest_of(request["intent"]), signature)
    assert request["digest"] == "0x" + digest_of(request["intent"]).hex()
    rx, ry, z = signature.onchain()
    assert [int(request["signature"][name], 16) for name in ("rx", "ry", "z")] == [rx, ry, z]
    assert request["signature"]["R"] == "0x" + signature.R.to_bytes().hex()
    assert request["reasons"] == []


def audit_actions(settings: ApiSettings) -> list[tuple[str, str]]:
    return [(r.action, r.subject) for r in AuditLog.open_file(settings.custody_audit_path).records()]
