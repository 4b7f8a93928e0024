"""Signer nodes in memory for tests of the coordinator's decisions: the `NodeCaller` rounds one and two with
real FROST over a dealer key, no HTTP, no key store. Subclasses add what a test needs nodes to do wrong.
"""

import hashlib

from custody.coordinator.client import NodeRefused
from custody.envelope import NodeIdentity
from custody.frost import N, SignatureShare, SigningNonces, SigningPackage, round1_commit, round2_sign
from custody.protocol.errors import KeyVersionMismatch
from custody.protocol.ids import key_version
from custody.protocol.signing import Round1Request, Round1Response, Round2Request, Round2Response
from custody.roster import Roster, RosterNode
from tests.helpers.custody_nodes import TEST_KEY_ID
from tests.helpers.frost_signing import Key


def make_roster(size: int) -> Roster:
    """A roster of `size` nodes with fresh identities (nothing listens at their URLs)."""
    return Roster(
        RosterNode(
            node_id,
            f"https://127.0.0.1:{7100 + node_id}",
            NodeIdentity.generate().public_keys(),
            hashlib.sha256(f"certificate {node_id}".encode()).hexdigest(),
        )
        for node_id in range(1, size + 1)
    )


def wrong_share(answer: Round2Response) -> Round2Response:
    """`answer` with a signature share that is off by one: what a cheating node sends."""
    share = SignatureShare.from_bytes(bytes.fromhex(answer.share))
    return Round2Response(
        identifier=answer.identifier, share=SignatureShare((share.share + 1) % N).to_bytes().hex()
    )


class MemorySigners:
    """The nodes of a group holding `key`, in memory, each an honest FROST signer."""

    def __init__(self, key: Key) -> None:
        self.key_packages, self.public_key = key
        self._nonces: dict[tuple[int, str], SigningNonces] = {}

    async def round1(self, node: RosterNode, request: Round1Request) -> Round1Response:
        nonces, commitments = round1_commit(self.key_packages[node.node_id].signing_share)
        self._nonces[(node.node_id, request.session_id)] = nonces
        return Round1Response(
            identifier=node.node_id,
            hiding=commitments.hiding.to_bytes().hex(),
            binding=commitments.binding.to_bytes().hex(),
        )

    async def round2(self, node: RosterNode, request: Round2Request) -> Round2Response:
        package = SigningPackage(
            {identifier: wire.decode() for identifier, wire in request.commitments.items()},
            request.intent.decode()[1],
        )
        nonces = self._nonces.pop((node.node_id, request.session_id))
        share = round2_sign(package, nonces, self.key_packages[node.node_id])
        return Round2Response(identifier=node.node_id, share=share.to_bytes().hex())


class VersionedSigners(MemorySigners):
    """Nodes holding `key`: they refuse a request naming another key version (unless `check_version` is off,
    as a node of an older release would) and otherwise sign honestly, or all cheat if told to."""

    def __init__(self, key: Key, *, check_version: bool = True, cheat: bool = False) -> None:
        super().__init__(key)
        self.check_version = check_version
        self.cheat = cheat
        self.versions_named: list[str] = []

    def _check(self, node: RosterNode, named: str) -> None:
        self.versions_named.append(named)
        held = key_version(self.public_key)
        if self.check_version and named != held:
            refusal = KeyVersionMismatch(TEST_KEY_ID, named, [held])
            problem = {"type": refusal.problem_type(), "detail": refusal.detail, **refusal.extensions}
            raise NodeRefused(node.node_id, refusal.status, problem)

    async def round1(self, node: RosterNode, request: Round1Request) -> Round1Response:
        self._check(node, request.key_version)
        return await super().round1(node, request)

    async def round2(self, node: RosterNode, request: Round2Request) -> Round2Response:
        self._check(node, request.key_version)
        answer = await super().round2(node, request)
        return wrong_share(answer) if self.cheat else answer
