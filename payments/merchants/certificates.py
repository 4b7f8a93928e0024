"""The merchant CA: client certificates for mutual TLS, signed from the merchant's own CSR.

The merchant makes its key pair and sends a PEM certificate signing request; the CA checks the request's
self-signature (proof that the sender holds the private key) and its key type (EC P-256 or P-384: what TLS
1.3 client authentication and `custody.tls` use; RSA, Ed25519 and small curves are refused), ignores every
name and extension the CSR asks for, and certifies the key for client authentication only, under names it
sets itself: ``CN=tpw-merchant-<id>``, ``OU=<mode>``, and the SAN URI ``urn:tpwallet:merchant:<id>:<mode>``.
The private key never reaches us, so nothing here stores one but the CA's own.

There is one CA per mode, so a sandbox certificate can never pass for a live one even where a verifier
forgets to read the mode from the names. Each CA is one PEM file (certificate and key, 0600) under the
configured directory, created on first use; creation is exclusive (a hard link that fails if the file
exists), so two API processes starting together agree on one CA.
"""

import datetime
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from custody.tls import CertificateAuthority
from payments.merchants.client_auth import san_uri
from payments.merchants.model import MerchantError
from payments.merchants.tenant import Tenant, mode_of

CA_VALIDITY: Final = datetime.timedelta(days=5 * 365)
CERTIFICATE_VALIDITY: Final = datetime.timedelta(days=90)
ACCEPTED_CURVES: Final = (ec.SECP256R1, ec.SECP384R1)
MAX_CSR_CHARACTERS: Final = 16_384


class CsrRefused(MerchantError):
    """A CSR that is not PEM, whose signature does not verify, or whose key is of a refused type."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "csr")


def parse_csr(pem: str) -> x509.CertificateSigningRequest:
    """The CSR in `pem` if it is well formed, self-signed correctly and holds an accepted key."""
    if len(pem) > MAX_CSR_CHARACTERS:
        raise CsrRefused(f"a CSR has at most {MAX_CSR_CHARACTERS} characters")
    try:
        csr = x509.load_pem_x509_csr(pem.encode())
    except ValueError:
        raise CsrRefused(
            "not a PEM certificate signing request (-----BEGIN CERTIFICATE REQUEST-----)"
        ) from None
    if not csr.is_signature_valid:
        raise CsrRefused("the CSR's signature does not verify with its own public key")
    key = csr.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ACCEPTED_CURVES):
        kind = key.curve.name if isinstance(key, ec.EllipticCurvePublicKey) else type(key).__name__
        raise CsrRefused(f"the CSR's key is {kind}; send an EC P-256 or P-384 key")
    return csr


def ca_path(directory: Path, livemode: bool) -> Path:
    """Where the CA of a mode lives: ``<directory>/<mode>-ca.pem``."""
    return directory / f"{mode_of(livemode)}-ca.pem"


def load_or_create_ca(directory: Path, livemode: bool) -> CertificateAuthority:
    """The mode's merchant CA, created (exclusively) if there is none yet."""
    name = f"tpw-merchant-ca-{mode_of(livemode)}"
    return CertificateAuthority.load_or_create(ca_path(directory, livemode), name, validity=CA_VALIDITY)


def subject_of(tenant: Tenant, legal_name: str) -> x509.Name:
    """The names a merchant's certificate carries: its id, its mode, its legal name."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"tpw-merchant-{tenant.merchant_id}"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, tenant.mode),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, legal_name[:64]),
        ]
    )


def certify(
    ca: CertificateAuthority,
    csr: x509.CertificateSigningRequest,
    tenant: Tenant,
    legal_name: str,
    now: datetime.datetime,
    validity: datetime.timedelta = CERTIFICATE_VALIDITY,
) -> x509.Certificate:
    """A client certificate for the CSR's key, naming `tenant` (nothing the CSR asked for)."""
    return ca.certify(
        csr.public_key(),
        subject_of(tenant, legal_name),
        server_auth=False,
        client_auth=True,
        validity=validity,
        now=now,
        alt_names=[x509.UniformResourceIdentifier(san_uri(tenant))],
    )
