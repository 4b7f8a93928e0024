"""Who is calling: the verified client certificate's common name, and the role check on protected routes.

TLS has already verified the certificate against the group CA (`custody.tls.server_context`); this module
decides what that certificate may do here. Any member of the group may ask whether the node is alive;
only the coordinator may drive signing (and key ceremonies): ``CN=tpw-coordinator`` *and* the very
certificate whose SHA-256 fingerprint the roster pins (`NodeRuntime.coordinator_tls_sha256`), so another
certificate from the group CA, whatever name it carries, is refused. A request without a client
certificate in its scope never reaches a protected route. A group member refused on a protected route is
recorded in the node's audit log: a node's certificate knocking on the signing routes means something in
the group is wrong. The checks are coroutines so that FastAPI runs them on the event loop rather than in a
worker thread; the rare audit append goes to a worker thread.
"""

import functools
import ssl
from typing import Annotated

from cryptography import x509
from cryptography.x509.oid import NameOID
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.types import Scope

from custody.node.http.deps import RuntimeDep
from custody.node.runtime import NodeRuntime
from custody.protocol.errors import PeerNotAllowed
from custody.tls import COORDINATOR_COMMON_NAME, fingerprint


@functools.lru_cache(maxsize=256)
def _pem_fingerprint(pem: str) -> str:
    """SHA-256 of a PEM certificate's DER (remembered: a group has a handful of certificates)."""
    return fingerprint(ssl.PEM_cert_to_DER_cert(pem))


def tls_fingerprint(scope: Scope) -> str | None:
    """The SHA-256 fingerprint of the verified client certificate in `scope`, or None if there is none."""
    chain = (scope.get("extensions", {}).get("tls") or {}).get("client_cert_chain") or []
    return _pem_fingerprint(chain[0]) if chain and isinstance(chain[0], str) else None


def is_coordinator(runtime: NodeRuntime, scope: Scope, common_name: str) -> bool:
    """Whether the request in `scope`, whose verified certificate says `common_name`, comes from the
    coordinator: its name, and the certificate the roster pins."""
    return (
        common_name == COORDINATOR_COMMON_NAME
        and runtime.coordinator_tls_sha256 is not None
        and tls_fingerprint(scope) == runtime.coordinator_tls_sha256
    )


@functools.lru_cache(maxsize=256)
def _common_name(subject: str) -> str | None:
    """The one common name of an RFC 4514 subject, or None (remembered: a group has a handful of names)."""
    attributes = x509.Name.from_rfc4514_string(subject).get_attributes_for_oid(NameOID.COMMON_NAME)
    if len(attributes) != 1 or not isinstance(attributes[0].value, str):
        return None
    return attributes[0].value


def tls_common_name(scope: Scope) -> str:
    """The common name of the verified client certificate in an ASGI `scope`'s TLS extension;
    PeerNotAllowed when there is none."""
    tls = scope.get("extensions", {}).get("tls") or {}
    name = tls.get("client_cert_name")
    if not isinstance(name, str):
        raise PeerNotAllowed("the request carries no verified client certificate")
    common_name = _common_name(name)
    if common_name is None:
        raise PeerNotAllowed("the client certificate does not name exactly one common name")
    return common_name


def refuse_peer(runtime: NodeRuntime, common_name: str, subject: str) -> PeerNotAllowed:
    """Record in the node's audit log that group member `common_name` knocked on a coordinator-only route
    (`subject`: method and path), and return the refusal to raise. Blocking (an audit append)."""
    runtime.audit.append(actor=common_name, action="peer.refused", subject=subject)
    return PeerNotAllowed(
        f"{common_name!r} may not use this route; only {COORDINATOR_COMMON_NAME!r} with the certificate the "
        "roster pins may"
    )


async def peer_common_name(request: Request) -> str:
    """The common name of the request's verified client certificate; PeerNotAllowed when there is none."""
    return tls_common_name(request.scope)


async def coordinator_common_name(
    request: Request, runtime: RuntimeDep, common_name: Annotated[str, Depends(peer_common_name)]
) -> str:
    """The peer's common name if it is the coordinator's; PeerNotAllowed (audited) for any other member."""
    if not is_coordinator(runtime, request.scope, common_name):
        raise await run_in_threadpool(
            refuse_peer, runtime, common_name, f"{request.method} {request.url.path}"
        )
    return common_name


GroupPeer = Annotated[str, Depends(peer_common_name)]
"""Any holder of a group certificate (the route still runs over mutual TLS); the value is its CN."""

CoordinatorPeer = Annotated[str, Depends(coordinator_common_name)]
"""Only the coordinator; the value is its CN (the audit log's actor)."""
