"""Mutual TLS for the custody group: a devnet CA, node and coordinator certificates, and the SSL contexts.

Every connection between the coordinator and a signer node is TLS 1.3 with a certificate on both sides,
issued by the group's own CA and by nothing else: the contexts trust that one CA certificate, never the
system store. Names carry roles: a node's certificate says ``CN=tpw-node-<id>`` and is good for serving
only (EKU serverAuth); the coordinator's says ``CN=tpw-coordinator`` and is good as a client only (EKU
clientAuth). So a node's certificate cannot even open a client connection to another node, and a node
additionally checks the client's name before it signs (`custody.node.http.peer`).

Keys are EC P-256. Leaf certificates carry SAN IP 127.0.0.1 and DNS localhost (the devnet runs on
loopback) and live a few days by default: the devnet issues fresh ones when it sets a group up, so there is
nothing to revoke. Private-key files are written 0600, atomically.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import os
import re
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from chain.files import PUBLIC, write_atomic
from custody.errors import CustodyError

CA_COMMON_NAME: Final = "tpw-devnet-ca"
COORDINATOR_COMMON_NAME: Final = "tpw-coordinator"
NODE_COMMON_NAME_PREFIX: Final = "tpw-node-"
DEFAULT_CA_VALIDITY: Final = datetime.timedelta(days=30)
DEFAULT_LEAF_VALIDITY: Final = datetime.timedelta(days=7)
CLOCK_SKEW_ALLOWANCE: Final = datetime.timedelta(minutes=5)
"""Certificates start this long before their issue time, so a peer whose clock lags a little accepts them."""

LOOPBACK_IP: Final = ipaddress.IPv4Address("127.0.0.1")
LOOPBACK_DNS: Final = "localhost"
LOOPBACK_NAMES: Final[tuple[x509.GeneralName, ...]] = (
    x509.IPAddress(LOOPBACK_IP),
    x509.DNSName(LOOPBACK_DNS),
)
_NODE_CN_RE: Final = re.compile(rf"{re.escape(NODE_COMMON_NAME_PREFIX)}([1-9][0-9]{{0,4}})")
_MAX_NODE_ID: Final = 0xFFFF


class TlsError(CustodyError):
    """Certificate material that cannot be made, read or used (the message names the file, never a key)."""


def node_common_name(node_id: int) -> str:
    """``tpw-node-<id>``: the common name of signer node `node_id`'s certificate."""
    if isinstance(node_id, bool) or not isinstance(node_id, int) or not 1 <= node_id <= _MAX_NODE_ID:
        raise TlsError(f"a node id is an integer in [1, {_MAX_NODE_ID}], not {node_id!r}")
    return f"{NODE_COMMON_NAME_PREFIX}{node_id}"


def node_id_of(common_name: str | None) -> int | None:
    """The node id a ``tpw-node-<id>`` common name names, or None for any other name."""
    match = _NODE_CN_RE.fullmatch(common_name or "")
    if match is None or int(match[1]) > _MAX_NODE_ID:
        return None
    return int(match[1])


def common_name(certificate: x509.Certificate) -> str | None:
    """The certificate's subject common name, or None if it has none (or more than one)."""
    attributes = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if len(attributes) != 1:
        return None
    value = attributes[0].value
    return value if isinstance(value, str) else value.decode()


def fingerprint(certificate: x509.Certificate | bytes) -> str:
    """SHA-256 of the certificate's DER encoding, 64 lowercase hex digits (the roster's ``tls_sha256``)."""
    der = (
        certificate
        if isinstance(certificate, bytes)
        else certificate.public_bytes(serialization.Encoding.DER)
    )
    return hashlib.sha256(der).hexdigest()


@dataclass(frozen=True)
class Credential:
    """A certificate and its private key (the key never appears in the repr)."""

    certificate: x509.Certificate
    private_key: ec.EllipticCurvePrivateKey = field(repr=False)

    @property
    def common_name(self) -> str | None:
        """The certificate's subject common name."""
        return common_name(self.certificate)

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the certificate's DER encoding, hex."""
        return fingerprint(self.certificate)

    def certificate_pem(self) -> bytes:
        """The certificate, PEM."""
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def write(self, certificate_path: str | os.PathLike[str], key_path: str | os.PathLike[str]) -> None:
        """Write the certificate (PEM) and the private key (PKCS#8 PEM, file mode 0600)."""
        key_pem = self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        write_atomic(Path(key_path), key_pem)
        write_atomic(Path(certificate_path), self.certificate_pem(), mode=PUBLIC)

    @classmethod
    def read(cls, certificate_path: str | os.PathLike[str], key_path: str | os.PathLike[str]) -> Credential:
        """Read a credential written by `write`; TlsError if a file is missing or not what it should be."""
        try:
            certificate = x509.load_pem_x509_certificate(Path(certificate_path).read_bytes())
            private_key = serialization.load_pem_private_key(Path(key_path).read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as error:
            raise TlsError(
                f"cannot read the credential {certificate_path} / {key_path}: {type(error).__name__}"
            ) from None
        if not isinstance(private_key, ec.EllipticCurvePrivateKey):
            raise TlsError(f"{key_path} does not hold an EC private key")
        if private_key.public_key() != certificate.public_key():
            raise TlsError(f"{key_path} is not the private key of {certificate_path}")
        return cls(certificate, private_key)


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _key_usage(*, certifies: bool) -> x509.KeyUsage:
    """What a key may do: a CA's signs certificates and CRLs only, a leaf's signs its TLS handshakes only."""
    return x509.KeyUsage(
        digital_signature=not certifies,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=certifies,
        crl_sign=certifies,
        encipher_only=False,
        decipher_only=False,
    )


class CertificateAuthority:
    """The group's own CA: a self-signed P-256 certificate that issues node and coordinator certificates."""

    def __init__(self, credential: Credential) -> None:
        constraints = credential.certificate.extensions.get_extension_for_class(x509.BasicConstraints)
        if not constraints.value.ca:
            raise TlsError("the CA credential's certificate is not a CA certificate")
        self.credential = credential

    def __repr__(self) -> str:
        return f"CertificateAuthority({self.credential.common_name!r}, {self.credential.fingerprint[:16]}...)"

    @property
    def certificate(self) -> x509.Certificate:
        """The CA certificate, which every member of the group trusts and nothing else."""
        return self.credential.certificate

    @classmethod
    def create(
        cls,
        name: str = CA_COMMON_NAME,
        *,
        validity: datetime.timedelta = DEFAULT_CA_VALIDITY,
        now: datetime.datetime | None = None,
    ) -> CertificateAuthority:
        """A new CA with a fresh key, valid for `validity` from `now` (default: the current time)."""
        key = ec.generate_private_key(ec.SECP256R1())
        start = (now or datetime.datetime.now(datetime.UTC)) - CLOCK_SKEW_ALLOWANCE
        public = key.public_key()
        certificate = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(_name(name))
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + CLOCK_SKEW_ALLOWANCE + validity)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(certifies=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
            .sign(key, hashes.SHA256())
        )
        return cls(Credential(certificate, key))

    def issue(
        self,
        name: str,
        *,
        server_auth: bool,
        client_auth: bool,
        validity: datetime.timedelta = DEFAULT_LEAF_VALIDITY,
        now: datetime.datetime | None = None,
        alt_names: Sequence[x509.GeneralName] = LOOPBACK_NAMES,
    ) -> Credential:
        """A leaf certificate for `name` with a fresh key; its EKU allows exactly the roles asked for."""
        key = ec.generate_private_key(ec.SECP256R1())
        certificate = self.certify(
            key.public_key(),
            _name(name),
            server_auth=server_auth,
            client_auth=client_auth,
            validity=validity,
            now=now,
            alt_names=alt_names,
        )
        return Credential(certificate, key)

    def certify(
        self,
        public_key: CertificatePublicKeyTypes,
        subject: x509.Name,
        *,
        server_auth: bool,
        client_auth: bool,
        validity: datetime.timedelta = DEFAULT_LEAF_VALIDITY,
        now: datetime.datetime | None = None,
        alt_names: Sequence[x509.GeneralName] = LOOPBACK_NAMES,
    ) -> x509.Certificate:
        """A leaf certificate binding `subject` (and `alt_names`) to `public_key`, whose private key the
        holder keeps (a CSR's key): the CA never sees it. Its EKU allows exactly the roles asked for, and it
        ends no later than the CA does."""
        if not (server_auth or client_auth):
            raise TlsError("a leaf certificate is for a server, a client or both")
        usages = [ExtendedKeyUsageOID.SERVER_AUTH] * server_auth + [
            ExtendedKeyUsageOID.CLIENT_AUTH
        ] * client_auth
        start = (now or datetime.datetime.now(datetime.UTC)) - CLOCK_SKEW_ALLOWANCE
        ca_not_after = self.certificate.not_valid_after_utc
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.certificate.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(min(start + CLOCK_SKEW_ALLOWANCE + validity, ca_not_after))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(certifies=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
            .add_extension(x509.SubjectAlternativeName(list(alt_names)), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.credential.private_key.public_key()),
                critical=False,
            )
            .sign(self.credential.private_key, hashes.SHA256())
        )

    def issue_node(self, node_id: int, *, validity: datetime.timedelta = DEFAULT_LEAF_VALIDITY) -> Credential:
        """Signer node `node_id`'s certificate: ``CN=tpw-node-<id>``, server use only."""
        return self.issue(node_common_name(node_id), server_auth=True, client_auth=False, validity=validity)

    def issue_coordinator(self, *, validity: datetime.timedelta = DEFAULT_LEAF_VALIDITY) -> Credential:
        """The coordinator's certificate: ``CN=tpw-coordinator``, client use only."""
        return self.issue(COORDINATOR_COMMON_NAME, server_auth=False, client_auth=True, validity=validity)

    def save(self, certificate_path: str | os.PathLike[str], key_path: str | os.PathLike[str]) -> None:
        """Write the CA certificate and its key (0600); the key only ever belongs on the setup machine."""
        self.credential.write(certificate_path, key_path)

    @classmethod
    def load(
        cls, certificate_path: str | os.PathLike[str], key_path: str | os.PathLike[str]
    ) -> CertificateAuthority:
        """Read a CA written by `save`."""
        return cls(Credential.read(certificate_path, key_path))

    @classmethod
    def load_or_create(cls, path: Path, name: str, *, validity: datetime.timedelta) -> CertificateAuthority:
        """The CA kept in the one PEM file `path` (key and certificate, 0600), created if there is none yet.

        Creation is exclusive (a hard link that fails if the file exists), so two processes starting
        together agree on one CA: the loser's fresh CA is thrown away and it reads the winner's."""
        if not path.exists():
            created = cls.create(name, validity=validity).credential
            key_pem = created.private_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            temporary = path.with_name(f".{path.name}.{os.getpid()}.new")
            write_atomic(temporary, key_pem + created.certificate_pem())
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another process created it first: theirs is the CA
            finally:
                temporary.unlink(missing_ok=True)
        return cls(Credential.read(path, path))


@dataclass(frozen=True)
class TlsPaths:
    """Where one party's TLS material is: its certificate, its private key, and the group CA certificate."""

    certificate: Path
    key: Path
    ca: Path

    @classmethod
    def in_directory(cls, directory: str | os.PathLike[str], name: str) -> TlsPaths:
        """``<directory>/<name>.crt``, ``<directory>/<name>.key`` and ``<directory>/ca.crt``."""
        root = Path(directory)
        return cls(root / f"{name}.crt", root / f"{name}.key", root / "ca.crt")

    def write(self, ca: CertificateAuthority, credential: Credential) -> None:
        """Store `credential` and the CA certificate (not its key) at these paths."""
        credential.write(self.certificate, self.key)
        write_atomic(self.ca, ca.credential.certificate_pem(), mode=PUBLIC)


def _tls13_context(protocol: ssl._SSLMethod, paths: TlsPaths) -> ssl.SSLContext:
    """TLS 1.3 only, the peer's certificate required and checked against the group CA alone."""
    context = ssl.SSLContext(protocol)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.maximum_version = ssl.TLSVersion.TLSv1_3
    context.verify_mode = ssl.CERT_REQUIRED
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    try:
        context.load_verify_locations(cafile=os.fspath(paths.ca))
        context.load_cert_chain(os.fspath(paths.certificate), os.fspath(paths.key))
    except (OSError, ssl.SSLError) as error:
        raise TlsError(
            f"cannot load TLS material ({paths.certificate}, {paths.key}, {paths.ca}): {type(error).__name__}"
        ) from None
    return context


def server_context(paths: TlsPaths) -> ssl.SSLContext:
    """A server context for a signer node: TLS 1.3 only, client certificate required, group CA only."""
    return _tls13_context(ssl.PROTOCOL_TLS_SERVER, paths)


def client_context(paths: TlsPaths) -> ssl.SSLContext:
    """A client context for the coordinator: TLS 1.3 only, presents its certificate, checks the server's
    certificate against the group CA and its SAN against the host connected to."""
    context = _tls13_context(ssl.PROTOCOL_TLS_CLIENT, paths)
    context.check_hostname = True
    return context
