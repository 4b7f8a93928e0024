"""Real signer-node processes for tests: `CustodyGroup`, a `scripts._support.signer_group.SignerGroup`
sealed with the test KEK under the test policy, with what fault tests need (revive what a block stopped,
read a node's key store and nonces alongside it, corrupt a share, a coordinator that stops after round one).
Shares come from a dealer (`tests.helpers.frost_signing.fixed_key`) or are given; no scrypt runs anywhere.

`anchor_intent` makes a distinct, policy-allowed intent per call; `TEST_POLICY` allows anchors of kinds
1 and 2 on the test contract and nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Final

from chain.intents import Anchor
from custody.coordinator.client import NodeClient
from custody.frost import KeyPackage, N, Point, PublicKeyPackage
from custody.keystore import KeyStore
from custody.node.records.shares import StoredKey, load_key, save_key
from custody.node.signing.sessions import NONCE_NAME_PREFIX as NONCE_PREFIX
from custody.node.signing.sessions import SessionBook
from custody.policy.history import SpendHistory
from custody.protocol.ids import key_version
from custody.protocol.signing import IntentEnvelope, Round1Request
from custody.provision import GroupLayout, Key
from custody.tls import client_context
from scripts._support.signer_group import SignerGroup
from tests.helpers.frost_signing import fixed_key

TEST_KEK_HEX: Final = "5e" * 32
TEST_CHAIN_ID: Final = 31337
TEST_CONTRACT: Final = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
TEST_KEY_ID: Final = "treasury"
TEST_DEALER_SEED: Final = 9591
TEST_KEY_VERSION: Final = key_version(fixed_key(TEST_DEALER_SEED)[1])
"""The key version of the tests' dealer key (`fixed_key(TEST_DEALER_SEED)`), which requests name."""


def domain_policy(intent_types: str, rules: str) -> str:
    """A node policy for the test chain and contract only: `intent_types` (``"Anchor, TreasuryTx"``) allowed
    there under `rules`, the YAML of each intent type's section, written from column 0."""
    header = f"""\
version: 1
default:
  chains:
    {TEST_CHAIN_ID}:
      contracts:
        "{TEST_CONTRACT}": [{intent_types}]
"""
    return header + textwrap.indent(rules, " " * 6)


TEST_POLICY: Final = domain_policy(
    "Anchor",
    """\
anchor:
  kinds: [1, 2]
  velocity: {max_signatures: 100000000, window_seconds: 3600}
""",
)

_sequence = itertools.count(1)


def anchor_intent(kind: int = 1, seq: int | None = None) -> IntentEnvelope:
    """A fresh Anchor intent (a new sequence number each call) in the test domain."""
    number = next(_sequence) if seq is None else seq
    root = number.to_bytes(32, "big")
    intent = Anchor(kind=kind, seq=number, root=root, count=1, total=0, prev_root=bytes(32))
    return IntentEnvelope.of(intent, TEST_CHAIN_ID, TEST_CONTRACT)


def request_id(number: int | None = None) -> str:
    """A fresh request id (0x and 64 hex digits)."""
    return "0x" + (next(_sequence) if number is None else number).to_bytes(32, "big").hex()


class CustodyGroup(SignerGroup):
    """A custody group of real node processes under `root`, sealed with the test KEK and (unless told
    otherwise) under `TEST_POLICY`; a context manager that stops them all."""

    def __init__(
        self,
        root: Path,
        keys: Mapping[str, Key],
        *,
        size: int | None = None,
        policy_yaml: str = TEST_POLICY,
        nonce_ttl_seconds: int = 60,
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            root,
            keys,
            kek_hex=TEST_KEK_HEX,
            policy_yaml=policy_yaml,
            size=size,
            nonce_ttl_seconds=nonce_ttl_seconds,
            extra_env=extra_env,
        )

    @contextlib.contextmanager
    def revived(self) -> Iterator[None]:
        """Run a block that may stop or kill nodes; start every node that is down afterwards."""
        try:
            yield
        finally:
            down = [node_id for node_id, node in self.nodes.items() if not node.running()]
            for node_id in down:
                self.nodes[node_id].process = None
            self.start(down)

    @contextlib.contextmanager
    def open_keystore(self, node_id: int) -> Iterator[KeyStore]:
        """Node `node_id`'s key store, opened alongside the node (the store allows several processes)."""
        with KeyStore.open(self.layout.node(node_id).keystore, self.kek) as store:
            yield store

    def stored_nonces(self, node_id: int) -> list[str]:
        """The session ids whose nonces node `node_id` holds now (read from its state database, alongside the
        node), plus any nonce record left in its key store."""
        with SpendHistory.open(self.layout.node(node_id).settings.state_path) as state:
            held = SessionBook(state).nonce_holders()
        with self.open_keystore(node_id) as store:
            legacy = [name.removeprefix(NONCE_PREFIX) for name in store.list(NONCE_PREFIX)]
        return sorted(held + legacy)

    def corrupt_share(self, node_id: int, key_id: str = TEST_KEY_ID) -> None:
        """Replace node `node_id`'s share of `key_id` by a wrong one that still loads (stop the node first).

        The node's key package and its own copy of the public package agree with each other, so the node
        starts and signs; its signature shares fail against the group's real verifying share.
        """
        with self.open_keystore(node_id) as store:
            stored = load_key(store, key_id)
            own = stored.key_package
            wrong = own.signing_share % (N - 1) + 1
            key_package = KeyPackage(
                own.identifier, wrong, Point.base_mul(wrong), own.group_public_key, own.min_signers
            )
            shares = dict(stored.public_key_package.verifying_shares)
            shares[own.identifier] = key_package.verifying_share
            public = PublicKeyPackage(shares, own.group_public_key, stored.public_key_package.min_signers)
            save_key(store, StoredKey(key_id, key_package, public, stored.ceremony), replace=True)


HELD_SESSION_MARK: Final = "ROUND1 DONE"


async def _hold_session(group_root: Path, body: Round1Request, node_ids: list[int]) -> None:
    layout = GroupLayout.load(group_root)
    roster = layout.roster()
    tls = client_context(layout.coordinator_tls)
    async with NodeClient(tls) as client:
        answers = await asyncio.gather(*(client.round1(roster.node(node_id), body) for node_id in node_ids))
        commitments = {
            answer.identifier: {"hiding": answer.hiding, "binding": answer.binding} for answer in answers
        }
        print(HELD_SESSION_MARK, json.dumps(commitments), flush=True)
        await asyncio.Event().wait()


def hold_session_after_round1(argv: list[str]) -> None:
    """A coordinator for crash tests, run as a child process: round one of the session given as JSON in
    ``argv[1]`` on the nodes in ``argv[2]`` (comma-separated) of the group under ``argv[0]``, then it prints
    `HELD_SESSION_MARK` and the commitments, and waits to be killed."""
    group_root, body, node_ids = Path(argv[0]), Round1Request.model_validate_json(argv[1]), argv[2]
    asyncio.run(_hold_session(group_root, body, [int(node_id) for node_id in node_ids.split(",")]))
