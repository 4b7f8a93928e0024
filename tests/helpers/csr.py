"""Certificate signing requests as a merchant makes them: its own key, its own (ignored) names; and the
broken ones the merchant CA must refuse."""

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import NameOID


def p256_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def make_csr(key: CertificateIssuerPrivateKeyTypes | None = None, name: str = "anything-i-like") -> str:
    """A PEM CSR for `key` (default: a fresh P-256 key) asking for `name` and to be a CA (both ignored)."""
    key = key if key is not None else p256_key()
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, algorithm)
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def rsa_csr() -> str:
    return make_csr(rsa.generate_private_key(public_exponent=65537, key_size=2048))


def ed25519_csr() -> str:
    return make_csr(ed25519.Ed25519PrivateKey.generate())


def tampered_csr() -> str:
    """A P-256 CSR whose signature no longer matches its content: one byte of the signature flipped."""
    der = bytearray(x509.load_pem_x509_csr(make_csr().encode()).public_bytes(serialization.Encoding.DER))
    der[-3] ^= 0x01
    return x509.load_der_x509_csr(bytes(der)).public_bytes(serialization.Encoding.PEM).decode()
