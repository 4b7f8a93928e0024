"""Tests of real node processes: mutual TLS at the socket, the peer check behind uvicorn, crashes, shutdown.

One 2-of-3 group runs for the whole module (`running_group`); tests that stop or kill a node bring it back.
"""

import asyncio
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chain.paths import PROJECT_ROOT
from custody.audit import CHECKPOINT_ACTION, AuditLog, verify
from custody.coordinator.client import NodeClient
from custody.coordinator.errors import NodeRefused
from custody.frost import Signature, verify_signature
from custody.node.settings import KEK_FILE_ENV_VAR
from custody.protocol.signing import IntentEnvelope
from custody.roster import Roster
from custody.tls import CertificateAuthority, TlsPaths, client_context
from scripts._support.processes import LOOPBACK, port_in_use
from tests.helpers.commands import run_in_project
from tests.helpers.custody_nodes import TEST_KEY_ID, CustodyGroup, anchor_intent, request_id
from tests.helpers.sign_requests import commitments_of, round1_request, round2_request


def tls_exchange(port: int, context: ssl.SSLContext, request: bytes) -> bytes:
    """Send one raw HTTP request over a fresh TLS connection; all the server sends until it hangs up."""
    answer = b""
    with (
        socket.create_connection((LOOPBACK, port), timeout=10) as sock,
        context.wrap_socket(sock, server_hostname=LOOPBACK) as tls,
    ):
        tls.sendall(request)
        while chunk := tls.recv(65536):
            answer += chunk
    return answer


def tls_get(port: int, context: ssl.SSLContext) -> bytes:
    """``GET /v1/health`` over a fresh TLS connection; the raw answer (b"" when the server hangs up)."""
    return tls_exchange(
        port, context, b"GET /v1/health HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n"
    )


def refused(port: int, context: ssl.SSLContext) -> bool:
    """True when the node will not answer an HTTP request over a connection made with `context`."""
    try:
        return tls_get(port, context) == b""
    except (ssl.SSLError, ConnectionError):
        return True


def party(
    root: Path, name: str, ca: CertificateAuthority, group: CustodyGroup, *, server: bool
) -> ssl.SSLContext:
    """A client context trusting the group's CA, presenting a certificate for `name` from `ca` that is good
    for a server only (`server`) or for a client only."""
    paths = TlsPaths.in_directory(root / name, name)
    paths.write(ca, ca.issue(name, server_auth=server, client_auth=not server))
    paths.ca.write_bytes(group.coordinator_tls.ca.read_bytes())
    return client_context(paths)


async def sign_once(group: CustodyGroup, intent: IntentEnvelope) -> Signature:
    async with group.coordinator() as coordinator:
        return await coordinator.sign(TEST_KEY_ID, request_id(), intent)


def test_the_coordinator_gets_an_answer_over_mutual_tls(running_group: CustodyGroup) -> None:
    answer = tls_get(running_group.nodes[1].port, running_group.client_context())

    assert answer.startswith(b"HTTP/1.1 200")
    assert b'"node_id":1' in answer


def test_foreign_or_wrong_certificates_get_no_answer(running_group: CustodyGroup, tmp_path: Path) -> None:
    port = running_group.nodes[1].port
    anonymous = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    anonymous.load_verify_locations(cafile=running_group.coordinator_tls.ca)
    tls12 = running_group.client_context()
    tls12.minimum_version = tls12.maximum_version = ssl.TLSVersion.TLSv1_2

    stranger = party(tmp_path, "tpw-coordinator", CertificateAuthority.create(), running_group, server=False)
    node_as_client = party(tmp_path, "tpw-node-2", running_group.ca, running_group, server=True)

    assert refused(port, stranger), "a coordinator certificate from another CA"
    assert refused(port, node_as_client), "a node's certificate used as a client"
    assert refused(port, anonymous), "no client certificate"
    assert refused(port, tls12), "TLS 1.2"
    assert not refused(port, running_group.client_context())


def test_a_group_member_that_is_not_the_coordinator_cannot_ask_for_signatures(
    running_group: CustodyGroup, tmp_path: Path
) -> None:
    operator = party(tmp_path, "tpw-operator", running_group.ca, running_group, server=False)
    body = round1_request(secrets.token_hex(16), request_id(), anchor_intent()).model_dump_json().encode()
    port = running_group.nodes[1].port

    assert tls_get(port, operator).startswith(b"HTTP/1.1 200")
    head = (
        "POST /v1/sign/round1 HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    answer = tls_exchange(port, operator, head.encode() + body)

    assert answer.startswith(b"HTTP/1.1 403")
    assert b"peer-not-allowed" in answer


def test_only_the_coordinator_certificate_the_roster_pins_may_ask_for_signatures(
    running_group: CustodyGroup, tmp_path: Path
) -> None:
    """Another certificate from the group CA saying CN=tpw-coordinator (a CA key misused, a stolen issuing
    step) is refused on the coordinator's routes, over real mutual TLS; the pinned one is served."""
    impostor = party(tmp_path, "tpw-coordinator", running_group.ca, running_group, server=False)
    body = round1_request(secrets.token_hex(16), request_id(), anchor_intent()).model_dump_json().encode()
    port = running_group.nodes[1].port
    head = (
        "POST /v1/sign/round1 HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )

    assert tls_get(port, impostor).startswith(b"HTTP/1.1 200")  # a group member: health only
    refused_sign = tls_exchange(port, impostor, head.encode() + body)
    unknown = b'{"session_id": "never-opened-on-this-node"}'
    abort = (
        b"POST /v1/keys/abort HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(unknown), unknown)
    )
    refused_keys = tls_exchange(port, impostor, abort)
    served = tls_exchange(port, running_group.client_context(), abort)

    assert refused_sign.startswith(b"HTTP/1.1 403")
    assert b"the certificate the roster pins" in refused_sign
    assert refused_keys.startswith(b"HTTP/1.1 403")
    assert served.startswith(b"HTTP/1.1 404")  # past the peer check: there is no such session
    log = AuditLog.open_file(running_group.nodes[1].audit_path)
    refusals = [record for record in log.records() if record.action == "peer.refused"]
    assert refusals[-1].actor == "tpw-coordinator"


def test_a_node_refuses_to_start_on_a_roster_that_pins_no_coordinator(
    running_group: CustodyGroup, tmp_path: Path
) -> None:
    data_dir = tmp_path / "node-1"
    shutil.copytree(running_group.nodes[1].data_dir, data_dir)
    unpinned = Roster(running_group.roster)
    unpinned.save(data_dir / "roster.json")
    env = running_group.environment(1) | {"TPW_NODE_DATA_DIR": str(data_dir), "TPW_NODE_PORT": "1"}

    result = run_in_project([sys.executable, "-m", "custody.node"], env, text=False)

    assert result.returncode == 2
    assert b"pins no coordinator certificate" in result.stderr


def test_a_node_killed_mid_session_never_completes_it_after_restart(running_group: CustodyGroup) -> None:
    session, request, intent = secrets.token_hex(16), request_id(), anchor_intent()

    async def scenario() -> None:
        async with NodeClient(running_group.client_context(), timeout=5) as client:
            roster = running_group.roster
            body = round1_request(session, request, intent)
            answers = {n: await client.round1(roster.node(n), body) for n in (1, 2)}
            assert running_group.stored_nonces(1) == [session]

            with running_group.revived():
                running_group.kill(1)
            assert running_group.stored_nonces(1) == []

            second = round2_request(session, request, intent, commitments_of(answers.values()))
            with pytest.raises(NodeRefused) as refusal:
                await client.round2(roster.node(1), second)
            assert refusal.value.status == 409
            assert refusal.value.problem_type.endswith("session-used")

    asyncio.run(scenario())
    abandoned = [
        r
        for r in AuditLog.open_file(running_group.nodes[1].audit_path).records()
        if r.action == "sign.abandoned"
    ]
    assert session in abandoned[-1].details["sessions"]


def test_a_node_killed_while_signing_uses_each_nonce_at_most_once(running_group: CustodyGroup) -> None:
    """kill -9 at an arbitrary moment of steady signing: afterwards each session signed at most once, no
    nonce survived the restart, and the group signs again."""

    async def traffic_with_a_crash() -> None:
        async with running_group.coordinator(timeout=2) as coordinator:
            traffic = asyncio.gather(
                *(coordinator.sign(TEST_KEY_ID, request_id(), anchor_intent()) for _ in range(12)),
                return_exceptions=True,
            )
            await asyncio.sleep(0.05 + secrets.randbelow(200) / 1000)
            running_group.kill(2)
            await traffic

    with running_group.revived():
        asyncio.run(traffic_with_a_crash())

    signed = [
        r.subject
        for r in AuditLog.open_file(running_group.nodes[2].audit_path).records()
        if r.action == "sign.round2"
    ]
    assert len(signed) == len(set(signed))
    assert running_group.stored_nonces(2) == []
    intent = anchor_intent()
    signature = asyncio.run(sign_once(running_group, intent))
    _, public = running_group.keys[TEST_KEY_ID]
    assert verify_signature(public.group_public_key, intent.decode()[1], signature)


def test_sigterm_stops_a_node_cleanly(running_group: CustodyGroup) -> None:
    node = running_group.nodes[3]
    with running_group.revived():
        running_group.stop(3)
        process = subprocess.Popen(
            [sys.executable, "-m", "custody.node"],
            env=running_group.environment(3),
            cwd=PROJECT_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while not port_in_use(node.port) and time.monotonic() < deadline:
                time.sleep(0.05)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=15) == 0
        finally:
            process.kill()
            process.wait()
        *_, stopped, checkpoint = AuditLog.open_file(node.audit_path).records()
        assert stopped.action == "node.stopped"
        assert checkpoint.action == CHECKPOINT_ACTION
        assert (checkpoint.details["seq"], checkpoint.details["head_hash"]) == (stopped.seq, stopped.hash)
        verdict = verify(node.audit_path, trusted_keys=[node.roster_entry.keys.verifying_key()])
        assert verdict.ok, verdict.summary()
        assert verdict.checkpointed_seq == stopped.seq


def test_a_wrong_kek_stops_the_node_before_it_listens(running_group: CustodyGroup, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong-kek"
    wrong.write_text("00" * 32)
    wrong.chmod(0o600)
    env = running_group.environment(1) | {KEK_FILE_ENV_VAR: str(wrong), "TPW_NODE_PORT": "1"}

    result = run_in_project([sys.executable, "-m", "custody.node"], env, text=False)

    assert result.returncode == 2
    assert b"does not open this key store" in result.stderr
    assert "00" * 32 not in result.stderr.decode()
