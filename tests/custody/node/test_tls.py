"""Tests of the group's TLS material: certificate contents, key files, and who can complete a handshake.

Handshakes run in memory (`ssl.MemoryBIO`), so every combination of certificates is checked in milliseconds;
the process tests repeat the important refusals against a real node.
"""

import datetime
import hashlib
import ipaddress
import ssl
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from custody.tls import (
    COORDINATOR_COMMON_NAME,
    DEFAULT_LEAF_VALIDITY,
    CertificateAuthority,
    Credential,
    TlsError,
    TlsPaths,
    client_context,
    common_name,
    fingerprint,
    node_common_name,
    node_id_of,
    server_context,
)


def write_party(directory: Path, ca: CertificateAuthority, credential: Credential) -> TlsPaths:
    paths = TlsPaths.in_directory(directory, "party")
    paths.write(ca, credential)
    return paths


def handshake(client: ssl.SSLContext, server: ssl.SSLContext, hostname: str = "127.0.0.1") -> ssl.SSLObject:
    """Complete a TLS handshake in memory and return the server's side; raises the first SSLError."""
    to_server, to_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    client_side = client.wrap_bio(to_client, to_server, server_hostname=hostname)
    server_side = server.wrap_bio(to_server, to_client, server_side=True)
    pending = [client_side, server_side]
    for _ in range(10):
        for side in list(pending):
            try:
                side.do_handshake()
                pending.remove(side)
            except ssl.SSLWantReadError:
                pass
        if not pending:
            # In TLS 1.3 the server judges the client's certificate after the client is done: one round
            # trip of application data makes its verdict reach both sides.
            client_side.write(b"ping")
            assert server_side.read() == b"ping"
            return server_side
    raise AssertionError("the handshake did not finish")


@pytest.fixture
def node_paths(tmp_path: Path, group_ca: CertificateAuthority) -> TlsPaths:
    return write_party(tmp_path / "node", group_ca, group_ca.issue_node(1))


@pytest.fixture
def coordinator_paths(tmp_path: Path, group_ca: CertificateAuthority) -> TlsPaths:
    return write_party(tmp_path / "coordinator", group_ca, group_ca.issue_coordinator())


def usages(certificate: x509.Certificate) -> set[x509.ObjectIdentifier]:
    return set(certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)


def test_a_node_certificate_names_the_node_and_serves_loopback_only(group_ca: CertificateAuthority) -> None:
    credential = group_ca.issue_node(3)
    certificate = credential.certificate

    assert common_name(certificate) == "tpw-node-3" == credential.common_name
    san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.IPv4Address("127.0.0.1")]
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert usages(certificate) == {ExtendedKeyUsageOID.SERVER_AUTH}
    assert not certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    public_key = certificate.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    assert public_key.curve.name == "secp256r1"
    lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert lifetime <= DEFAULT_LEAF_VALIDITY + datetime.timedelta(minutes=10)
    certificate.verify_directly_issued_by(group_ca.certificate)


def test_the_coordinator_certificate_is_for_clients_only(group_ca: CertificateAuthority) -> None:
    certificate = group_ca.issue_coordinator().certificate

    assert common_name(certificate) == COORDINATOR_COMMON_NAME
    assert usages(certificate) == {ExtendedKeyUsageOID.CLIENT_AUTH}


def test_the_fingerprint_is_the_sha256_of_the_der_certificate(group_ca: CertificateAuthority) -> None:
    credential = group_ca.issue_node(1)
    der = credential.certificate.public_bytes(serialization.Encoding.DER)

    assert credential.fingerprint == fingerprint(der) == hashlib.sha256(der).hexdigest()


def test_a_leaf_never_outlives_its_ca() -> None:
    ca = CertificateAuthority.create(validity=datetime.timedelta(days=1))
    leaf = ca.issue_node(1, validity=datetime.timedelta(days=30)).certificate

    assert leaf.not_valid_after_utc <= ca.certificate.not_valid_after_utc


@pytest.mark.parametrize(
    ("name", "node_id"),
    [
        ("tpw-node-1", 1),
        ("tpw-node-65535", 65535),
        ("tpw-node-0", None),
        ("tpw-node-01", None),
        ("tpw-node-65536", None),
        ("tpw-coordinator", None),
        ("tpw-node-1 ", None),
        (None, None),
    ],
)
def test_only_canonical_node_names_name_a_node(name: str | None, node_id: int | None) -> None:
    assert node_id_of(name) == node_id


@pytest.mark.parametrize("bad", [0, 65536, -1, True, "1"])
def test_a_node_name_needs_a_node_id_in_range(bad: object) -> None:
    with pytest.raises(TlsError):
        node_common_name(bad)  # type: ignore[arg-type]


def test_key_files_are_private_and_read_back(tmp_path: Path, group_ca: CertificateAuthority) -> None:
    credential = group_ca.issue_node(2)
    credential.write(tmp_path / "node.crt", tmp_path / "node.key")

    assert stat.S_IMODE((tmp_path / "node.key").stat().st_mode) == 0o600
    again = Credential.read(tmp_path / "node.crt", tmp_path / "node.key")
    assert again.certificate == credential.certificate
    assert "PRIVATE" not in repr(again)
    assert "private_key" not in repr(again)


def test_a_key_that_is_not_the_certificates_is_refused(
    tmp_path: Path, group_ca: CertificateAuthority
) -> None:
    group_ca.issue_node(1).write(tmp_path / "one.crt", tmp_path / "one.key")
    group_ca.issue_node(2).write(tmp_path / "two.crt", tmp_path / "two.key")

    with pytest.raises(TlsError, match="not the private key"):
        Credential.read(tmp_path / "one.crt", tmp_path / "two.key")


def test_the_ca_round_trips_through_its_files(tmp_path: Path, group_ca: CertificateAuthority) -> None:
    group_ca.save(tmp_path / "ca.crt", tmp_path / "ca.key")
    loaded = CertificateAuthority.load(tmp_path / "ca.crt", tmp_path / "ca.key")

    assert loaded.certificate == group_ca.certificate
    loaded.issue_node(4).certificate.verify_directly_issued_by(group_ca.certificate)


def test_a_leaf_credential_cannot_act_as_a_ca(group_ca: CertificateAuthority) -> None:
    with pytest.raises(TlsError, match="not a CA"):
        CertificateAuthority(group_ca.issue_node(1))


def test_the_contexts_speak_tls13_only_and_require_a_peer_certificate(
    node_paths: TlsPaths, coordinator_paths: TlsPaths
) -> None:
    for context in (server_context(node_paths), client_context(coordinator_paths)):
        assert context.minimum_version == context.maximum_version == ssl.TLSVersion.TLSv1_3
        assert context.verify_mode == ssl.CERT_REQUIRED
    assert client_context(coordinator_paths).check_hostname


def test_the_coordinator_and_a_node_complete_a_mutual_handshake(
    node_paths: TlsPaths, coordinator_paths: TlsPaths
) -> None:
    server_side = handshake(client_context(coordinator_paths), server_context(node_paths))

    assert server_side.version() == "TLSv1.3"
    peer_der = server_side.getpeercert(binary_form=True)
    assert peer_der is not None
    assert common_name(x509.load_der_x509_certificate(peer_der)) == COORDINATOR_COMMON_NAME


def test_a_client_certificate_from_another_ca_is_refused(tmp_path: Path, node_paths: TlsPaths) -> None:
    stranger_ca = CertificateAuthority.create()
    stranger = write_party(tmp_path / "stranger", stranger_ca, stranger_ca.issue_coordinator())
    # The stranger trusts our CA, so only the node's check of the client certificate can stop it.
    stranger.ca.write_bytes(node_paths.ca.read_bytes())

    with pytest.raises(ssl.SSLError, match="unable to get local issuer"):
        handshake(client_context(stranger), server_context(node_paths))


def test_a_node_certificate_cannot_be_used_as_a_client(
    tmp_path: Path, group_ca: CertificateAuthority, node_paths: TlsPaths
) -> None:
    other_node = write_party(tmp_path / "node-2", group_ca, group_ca.issue_node(2))

    with pytest.raises(ssl.SSLError, match="unsuitable certificate purpose"):
        handshake(client_context(other_node), server_context(node_paths))


def test_a_client_without_a_certificate_is_refused(node_paths: TlsPaths) -> None:
    anonymous = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    anonymous.load_verify_locations(cafile=node_paths.ca)

    with pytest.raises(ssl.SSLError):
        handshake(anonymous, server_context(node_paths))


def test_a_tls12_client_is_refused(coordinator_paths: TlsPaths, node_paths: TlsPaths) -> None:
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old.maximum_version = ssl.TLSVersion.TLSv1_2
    old.load_verify_locations(cafile=coordinator_paths.ca)
    old.load_cert_chain(coordinator_paths.certificate, coordinator_paths.key)

    with pytest.raises(ssl.SSLError):
        handshake(old, server_context(node_paths))


def test_the_coordinator_refuses_a_server_from_another_ca(
    tmp_path: Path, coordinator_paths: TlsPaths
) -> None:
    stranger_ca = CertificateAuthority.create()
    stranger = write_party(tmp_path / "stranger", stranger_ca, stranger_ca.issue_node(1))

    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(client_context(coordinator_paths), server_context(stranger))


def test_the_coordinator_checks_the_server_name(coordinator_paths: TlsPaths, node_paths: TlsPaths) -> None:
    with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
        handshake(client_context(coordinator_paths), server_context(node_paths), hostname="example.com")
