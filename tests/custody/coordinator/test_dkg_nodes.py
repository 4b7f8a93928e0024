"""Key ceremonies across real signer-node processes over mutual TLS, then signatures through the signing
coordinator with the keys they made: DKG (2-of-3, 3-of-5), refresh, repair of a node whose key record was
deleted, and a coordinator that tampers with what it relays or tries to read the shares.

One group of five node processes serves the whole module (starting processes is the slow part); each test
makes its own keys.
"""

import asyncio
import contextlib
import copy
from collections.abc import AsyncIterator

import pytest

from custody.audit import AuditLog
from custody.coordinator.client import NodeClient
from custody.coordinator.errors import KeyCeremonyFailed
from custody.coordinator.keys import KeyCoordinator
from custody.coordinator.signing import SigningCoordinator
from custody.frost import InvalidSignatureShare, Signature, verify_signature
from custody.node.records.shares import StoredKey, find_key, share_record
from custody.roster import Roster
from tests.helpers.custody_nodes import CustodyGroup, anchor_intent, request_id
from tests.helpers.key_group import WatchingCaller, sign_with_shares


@pytest.fixture(scope="module")
def group(tmp_path_factory):
    with CustodyGroup(tmp_path_factory.mktemp("dkg-nodes"), {}, size=5) as group:
        group.start()
        yield group


class Ceremonies:
    """A key coordinator and a signing coordinator over one watched mutual-TLS client."""

    def __init__(self, group: CustodyGroup, client: NodeClient) -> None:
        self.group = group
        self.client = client
        self.audit = AuditLog.open_file(group.root / "coordinator" / "audit.jsonl")
        self.relay = WatchingCaller(client)
        self.keys = KeyCoordinator(group.roster, self.relay, audit=self.audit)

    async def sign(self, key_id: str, among: list[int] | None = None) -> tuple[bytes, Signature]:
        """A signature under `key_id` by the signing coordinator, choosing its signers `among` these nodes."""
        nodes = self.group.roster if among is None else Roster(self.group.roster.node(n) for n in among)
        signing = SigningCoordinator(nodes, self.client, self.keys.public_keys, audit=self.audit)
        intent = anchor_intent()
        _, digest = intent.decode()
        return digest, await signing.sign(key_id, request_id(), intent)


@contextlib.asynccontextmanager
async def ceremonies(group: CustodyGroup) -> AsyncIterator[Ceremonies]:
    async with NodeClient(group.client_context(), timeout=10.0) as client:
        yield Ceremonies(group, client)


def stored_shares(group: CustodyGroup, key_id: str) -> dict[int, StoredKey]:
    found = {}
    for node in group.nodes:
        with group.open_keystore(node) as store:
            share = find_key(store, key_id)
        if share is not None:
            found[node] = share
    return found


@pytest.mark.parametrize(("threshold", "participants"), [(2, [1, 2, 3]), (3, [1, 2, 3, 4, 5])])
def test_a_dkg_across_nodes_makes_a_key_the_signing_coordinator_signs_with(group, threshold, participants):
    key_id = f"dkg-{threshold}-of-{len(participants)}"

    async def run() -> None:
        async with ceremonies(group) as run:
            info = await run.keys.create_key(threshold, participants, key_id=key_id)
            digest, signature = await run.sign(key_id)
            assert verify_signature(info.group_public_key, digest, signature)
            assert info.holders == participants
            shares = stored_shares(group, key_id)
            assert sorted(shares) == participants
            relayed = run.relay.relayed()
            for share in shares.values():
                secret = share.key_package.signing_share.to_bytes(32, "big")
                assert secret not in relayed
                assert secret.hex().encode() not in relayed

    asyncio.run(run())


def test_a_refresh_across_nodes_keeps_the_key_and_retires_the_old_shares(group):
    async def run() -> None:
        async with ceremonies(group) as run:
            info = await run.keys.create_key(3, key_id="refreshed")
            old = stored_shares(group, "refreshed")
            refreshed = await run.keys.refresh("refreshed")
            new = stored_shares(group, "refreshed")
            assert refreshed.group_public_key == info.group_public_key
            digest, signature = await run.sign("refreshed")
            assert verify_signature(info.group_public_key, digest, signature)
            with pytest.raises(InvalidSignatureShare):
                sign_with_shares({1: new[1], 2: new[2], 3: old[3]}, digest)
            assert all(new[node].key_package != old[node].key_package for node in new)

    asyncio.run(run())


def test_a_node_restarted_with_an_empty_key_record_is_repaired_and_signs_again(group):
    async def make_key() -> StoredKey:
        async with ceremonies(group) as run:
            await run.keys.create_key(3, key_id="repaired")
        return stored_shares(group, "repaired")[2]

    original = asyncio.run(make_key())
    group.stop(2)
    with group.open_keystore(2) as store:
        store.delete(share_record("repaired"))
    group.restart(2)

    async def repair_and_sign() -> None:
        async with ceremonies(group) as run:
            info = await run.keys.repair("repaired", 2)
            rebuilt = stored_shares(group, "repaired")[2]
            assert rebuilt.key_package == original.key_package
            digest, signature = await run.sign("repaired", among=[1, 2, 3])
            assert verify_signature(info.group_public_key, digest, signature)

    asyncio.run(repair_and_sign())


def test_a_share_tampered_with_in_relay_is_refused_and_its_sender_named(group):
    def flip(node: int, path: str, body: dict) -> dict:
        if node == 4 and path.endswith("/dkg/round3"):
            body = copy.deepcopy(body)
            sealed = body["round2"]["5"]
            data = bytearray(bytes.fromhex(sealed["ciphertext"]))
            data[-1] ^= 0x01
            sealed["ciphertext"] = data.hex()
        return body

    async def run() -> None:
        async with ceremonies(group) as run:
            run.relay.tamper_request = flip
            with pytest.raises(KeyCeremonyFailed) as failed:
                await run.keys.create_key(3, key_id="tampered")
            assert failed.value.culprits == [5]
            assert stored_shares(group, "tampered") == {}

    asyncio.run(run())
