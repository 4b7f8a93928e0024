"""In-process custody groups for key-ceremony tests: each node's real key routes, ceremony service, key
store and audit log, reached through ASGI instead of mutual TLS, behind a relay whose traffic a test can
read and tamper with — the coordinator as an attacker.

`AsgiCaller` maps answers exactly as `custody.coordinator.client.NodeClient` does (4xx -> NodeRefused,
5xx -> NodeUnavailable, an answer that does not parse -> NodeMisbehaved), so `KeyCoordinator` runs here
unchanged; `WatchingCaller` wraps either of them. The processes-and-TLS path is covered by
`test_dkg_nodes.py` over `tests.helpers.custody_nodes`.
"""

import asyncio
import copy
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

import httpx
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import FastAPI
from pydantic import BaseModel, ValidationError

from custody.audit import AuditLog
from custody.coordinator.ceremony import NodeCaller
from custody.coordinator.errors import NodeMisbehaved, NodeRefused, NodeUnavailable
from custody.coordinator.keys import KeyCoordinator
from custody.envelope import NodeIdentity
from custody.frost import Signature
from custody.keystore import Kek, KeyStore
from custody.node.ceremonies.service import KeyCeremonies
from custody.node.http.deps import get_runtime
from custody.node.http.problems import NODE_PROBLEMS
from custody.node.http.routes import keys as key_routes
from custody.node.http.transport import tls_extension, with_tls_extension
from custody.node.records.shares import StoredKey, find_key
from custody.problems import install_handlers
from custody.roster import Roster, RosterNode
from custody.tls import CertificateAuthority, fingerprint
from tests.helpers.frost_signing import sign_with_key

AnswerT = TypeVar("AnswerT", bound=BaseModel)
Tamper = Callable[[int, str, dict[str, Any]], dict[str, Any]]
"""(node id, path, JSON body or answer) -> what to pass on instead."""

START_TIME = 1_800_000_000.0
COORDINATOR_DER = CertificateAuthority.create().issue_coordinator().certificate.public_bytes(Encoding.DER)
COORDINATOR_TLS = tls_extension(COORDINATOR_DER)


class AsgiCaller:
    """Calls in-process node apps, mapping answers to results and errors as NodeClient does."""

    def __init__(self, apps: dict[int, Any]) -> None:
        self._clients = {
            node_id: httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=f"http://node-{node_id}"
            )
            for node_id, app in apps.items()
        }

    async def call(
        self, node: RosterNode, method: str, path: str, body: BaseModel | None, answer: type[AnswerT]
    ) -> AnswerT:
        content = body.model_dump_json().encode() if body is not None else None
        response = await self._clients[node.node_id].request(
            method, path, content=content, headers={"content-type": "application/json"}
        )
        if response.status_code >= 500:
            raise NodeUnavailable(node.node_id, f"answered {response.status_code}")
        if response.status_code >= 400:
            raise NodeRefused(node.node_id, response.status_code, response.json())
        try:
            return answer.model_validate_json(response.content)
        except ValidationError as error:
            raise NodeMisbehaved(node.node_id, f"invalid {answer.__name__}: {error.title}") from None


class WatchingCaller:
    """Wraps the coordinator's caller: records every byte relayed, and lets a test tamper with requests
    (after the coordinator built them) and answers (before the coordinator checks them)."""

    def __init__(self, inner: NodeCaller) -> None:
        self.inner = inner
        self.traffic: list[bytes] = []
        self.tamper_request: Tamper | None = None
        self.tamper_answer: Tamper | None = None

    async def call(
        self, node: RosterNode, method: str, path: str, body: BaseModel | None, answer: type[AnswerT]
    ) -> AnswerT:
        if body is not None:
            value = json.loads(body.model_dump_json())
            if self.tamper_request is not None:
                value = self.tamper_request(node.node_id, path, value)
            self.traffic.append(json.dumps(value).encode())
            body = type(body).model_validate(value)
        result = await self.inner.call(node, method, path, body, answer)
        value = json.loads(result.model_dump_json())
        self.traffic.append(json.dumps(value).encode())
        if self.tamper_answer is not None:
            try:
                return answer.model_validate(self.tamper_answer(node.node_id, path, value))
            except ValidationError as error:
                raise NodeMisbehaved(node.node_id, f"invalid {answer.__name__}: {error.title}") from None
        return result

    def relayed(self) -> bytes:
        """Everything the coordinator sent and received so far, concatenated."""
        return b"".join(self.traffic)


class KeyGroup:
    """`size` in-process nodes with real key stores under `root`, their roster, and a relay to them."""

    def __init__(self, root: Path, size: int) -> None:
        self.root = root
        self.now = START_TIME
        kek = Kek(os.urandom(32))
        self.identities = identities = {node_id: NodeIdentity.generate() for node_id in range(1, size + 1)}
        self.roster = Roster(
            RosterNode(
                node_id,
                f"https://127.0.0.1:{7100 + node_id}",
                identity.public_keys(),
                hashlib.sha256(f"certificate of node {node_id}".encode()).hexdigest(),
            )
            for node_id, identity in identities.items()
        )
        self.keystores = {
            node_id: KeyStore.create(root / f"node-{node_id}" / "keystore", kek) for node_id in identities
        }
        self.audits = {
            node_id: AuditLog.open_file(root / f"node-{node_id}" / "audit.jsonl") for node_id in identities
        }
        self.services: dict[int, KeyCeremonies] = {}
        self.restart_services()
        self.relay = WatchingCaller(AsgiCaller({node_id: self.app(node_id) for node_id in self.services}))

    def restart_services(self) -> None:
        """Each node's ceremony service started anew over its key store, as after a restart of its process
        (the routes find the new one)."""
        self.services = {
            node_id: KeyCeremonies(
                node_id=node_id,
                identity=identity,
                roster=self.roster,
                keystore=self.keystores[node_id],
                audit=self.audits[node_id],
                clock=lambda: self.now,
            )
            for node_id, identity in self.identities.items()
        }

    def app(self, node_id: int, peer_tls: dict[str, Any] | None = None) -> Any:
        """Node `node_id`'s key routes, served to a peer presenting `peer_tls` (default: the coordinator).

        The routes get the node's ceremony service, and its audit log where they look for the runtime's
        (the peer check audits refused peers).
        """
        app = FastAPI()
        install_handlers(app, NODE_PROBLEMS)
        app.include_router(key_routes.router)
        audit = self.audits[node_id]
        app.dependency_overrides[key_routes.get_ceremonies] = lambda: self.services[node_id]
        app.dependency_overrides[get_runtime] = lambda: SimpleNamespace(
            audit=audit, coordinator_tls_sha256=fingerprint(COORDINATOR_DER)
        )
        return with_tls_extension(app, COORDINATOR_TLS if peer_tls is None else peer_tls)

    def coordinator(self) -> KeyCoordinator:
        """A coordinator relaying through `relay`, with its own audit log."""
        return KeyCoordinator(
            self.roster, self.relay, audit=AuditLog.open_file(self.root / "coordinator.jsonl")
        )

    def share(self, node_id: int, key_id: str) -> StoredKey | None:
        """Node `node_id`'s stored share of `key_id`, read from its key store."""
        return find_key(self.keystores[node_id], key_id)

    def sign(self, key_id: str, signers: Sequence[int], message: bytes = bytes(range(32))) -> Signature:
        """A signature by `signers` with the shares their key stores hold (raises if it does not verify)."""
        keys = {node_id: self.share(node_id, key_id) for node_id in signers}
        return sign_with_shares({node_id: key for node_id, key in keys.items() if key is not None}, message)

    def close(self) -> None:
        """Close every key store."""
        for store in self.keystores.values():
            store.close()


@contextmanager
def group_with_key(root: Path, size: int, threshold: int, key_id: str = "treasury") -> Iterator[KeyGroup]:
    """`size` nodes holding shares of a `threshold`-of-`size` key `key_id` made by a DKG through the
    coordinator; their key stores closed on exit."""
    with closing(KeyGroup(root, size)) as group:
        asyncio.run(group.coordinator().create_key(threshold, key_id=key_id))
        yield group


def tamper_round(path_suffix: str, edit: Callable[[int, dict[str, Any]], None]) -> Tamper:
    """A tamper hook (for requests or answers) applying `edit(node, body)` to a copy of what is sent to or
    answered by a path ending with `path_suffix`; everything else passes unchanged."""

    def tamper(node: int, path: str, body: dict[str, Any]) -> dict[str, Any]:
        if path.endswith(path_suffix):
            body = copy.deepcopy(body)
            edit(node, body)
        return body

    return tamper


def flip_hex(text: str, position: int) -> str:
    """`text` (hex) with one bit of the byte at `position` flipped."""
    data = bytearray(bytes.fromhex(text))
    data[position] ^= 0x01
    return data.hex()


def sign_with_shares(shares: dict[int, StoredKey], message: bytes) -> Signature:
    """Both FROST rounds with `shares` (as stored by nodes); aggregate checks every share and the result."""
    public = next(iter(shares.values())).public_key_package
    key_packages = {node_id: key.key_package for node_id, key in shares.items()}
    return sign_with_key((key_packages, public), message, sorted(shares))
