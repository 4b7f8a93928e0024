"""`POST /v1/merchants/{id}/certificates`: the merchant's CSR signed by the mode's merchant CA, for client
authentication only, under names the CA sets; bad CSRs refused naming the field."""

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.api.merchants.conftest import Onboarded
from tests.helpers.csr import ed25519_csr, make_csr, p256_key, rsa_csr, tampered_csr


def test_a_csr_is_signed_by_the_modes_ca_and_only_its_fingerprint_is_kept(merchant_a: Onboarded):
    key = p256_key()
    response = merchant_a.live.post(f"/v1/merchants/{merchant_a.id}/certificates", {"csr": make_csr(key)})
    assert response.status_code == 201, response.text
    issued = response.json()
    certificate = x509.load_pem_x509_certificate(issued["certificate"].encode())
    ca = x509.load_pem_x509_certificate(issued["ca_certificate"].encode())
    certificate.verify_directly_issued_by(ca)
    assert certificate.public_key() == key.public_key()
    assert (
        certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        == f"tpw-merchant-{merchant_a.id}"
    )
    assert certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == "live"
    usages = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usages) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert not certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca  # CSR asked CA
    assert "live" in ca.subject.rfc4514_string()

    listed = merchant_a.live.get("/v1/merchant").json()["certificates"]
    assert [(item["id"], item["fingerprint_sha256"]) for item in listed] == [
        (issued["id"], issued["fingerprint_sha256"])
    ]
    assert "certificate" not in listed[0]

    sandbox = merchant_a.sandbox.post(
        f"/v1/merchants/{merchant_a.id}/certificates", {"csr": make_csr()}
    ).json()
    assert sandbox["ca_certificate"] != issued["ca_certificate"]  # one CA a mode


def test_bad_csrs_are_refused_naming_the_field(merchant_a: Onboarded):
    secp256k1 = make_csr(ec.generate_private_key(ec.SECP256K1()))
    for csr in (
        rsa_csr(),
        ed25519_csr(),
        secp256k1,
        tampered_csr(),
        "-----BEGIN CERTIFICATE REQUEST-----\nAA==\n",
    ):
        response = merchant_a.sandbox.post(f"/v1/merchants/{merchant_a.id}/certificates", {"csr": csr})
        assert response.status_code == 422, response.text
        assert response.json()["type"] == "urn:tpwallet:problem:invalid-csr"
        assert response.json()["errors"][0]["field"] == "csr"
    assert merchant_a.sandbox.get("/v1/merchant").json()["certificates"] == []
