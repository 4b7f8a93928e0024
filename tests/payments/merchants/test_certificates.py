"""The merchant CA: CSR checks, one CA a mode created once (even by two processes at once), and
certificates that carry the CA's names, never the CSR's."""

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from payments.merchants.certificates import (
    CsrRefused,
    ca_path,
    certify,
    load_or_create_ca,
    parse_csr,
)
from payments.merchants.tenant import Tenant
from tests.helpers.csr import ed25519_csr, make_csr, p256_key, rsa_csr, tampered_csr

NOW = datetime.now(UTC)


@pytest.mark.parametrize("curve", [ec.SECP256R1(), ec.SECP384R1()])
def test_ec_p256_and_p384_csrs_are_accepted(curve: ec.EllipticCurve):
    key = ec.generate_private_key(curve)
    assert parse_csr(make_csr(key)).public_key() == key.public_key()


@pytest.mark.parametrize(
    "csr",
    [
        rsa_csr,
        ed25519_csr,
        lambda: make_csr(ec.generate_private_key(ec.SECP256K1())),
        tampered_csr,
        lambda: "x",
    ],
    ids=["rsa", "ed25519", "secp256k1", "bad-signature", "not-pem"],
)
def test_other_csrs_are_refused_naming_the_field(csr):
    with pytest.raises(CsrRefused) as refused:
        parse_csr(csr())
    assert refused.value.field == "csr"


def test_an_oversized_csr_is_refused():
    with pytest.raises(CsrRefused):
        parse_csr("A" * 20_000)


def test_one_ca_a_mode_created_once_with_a_private_file(tmp_path: Path):
    sandbox = load_or_create_ca(tmp_path, False)
    live = load_or_create_ca(tmp_path, True)
    assert sandbox.credential.fingerprint != live.credential.fingerprint
    assert load_or_create_ca(tmp_path, False).credential.fingerprint == sandbox.credential.fingerprint
    assert os.stat(ca_path(tmp_path, True)).st_mode & 0o777 == 0o600
    assert sorted(path.name for path in tmp_path.iterdir()) == ["live-ca.pem", "sandbox-ca.pem"]


def test_a_ca_created_meanwhile_by_another_process_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    first = load_or_create_ca(tmp_path / "other", True)
    path = ca_path(tmp_path, True)
    real_link = os.link

    def raced(source: str, target: str) -> None:  # the other process links its CA just before we do
        real_link(ca_path(tmp_path / "other", True), target)
        real_link(source, target)

    monkeypatch.setattr(os, "link", raced)
    assert load_or_create_ca(tmp_path, True).credential.fingerprint == first.credential.fingerprint
    assert [item.name for item in tmp_path.iterdir() if item.is_file()] == [path.name]  # no temporary left


def test_a_certificate_names_the_tenant_not_what_the_csr_asked(tmp_path: Path):
    key = p256_key()
    ca = load_or_create_ca(tmp_path, False)
    tenant = Tenant("mch_" + "a" * 24, False)
    certificate = certify(ca, parse_csr(make_csr(key, name="tpw-coordinator")), tenant, "Acme GmbH", NOW)
    certificate.verify_directly_issued_by(ca.certificate)
    assert certificate.public_key() == key.public_key()
    names = {attribute.oid: attribute.value for attribute in certificate.subject}
    assert names == {
        NameOID.COMMON_NAME: f"tpw-merchant-{tenant.merchant_id}",
        NameOID.ORGANIZATIONAL_UNIT_NAME: "sandbox",
        NameOID.ORGANIZATION_NAME: "Acme GmbH",
    }
    alt = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert alt.get_values_for_type(x509.UniformResourceIdentifier) == [
        f"urn:tpwallet:merchant:{tenant.merchant_id}:sandbox"
    ]
    assert list(certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.CLIENT_AUTH
    ]
    assert not certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
