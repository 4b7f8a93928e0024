"""`POST /v1/merchants/{id}/certificates`: the merchant's CSR signed by the mode's merchant CA, for client
authentication only, under names the CA sets; bad CSRs refused naming the field."""

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.api.merchants.conftest import Caller, Onboarded
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


def _certificate_id(caller: Caller, merchant_id: str) -> str:
    response = caller.post(f"/v1/merchants/{merchant_id}/certificates", {"csr": make_csr()})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_a_merchant_revokes_its_own_certificate_once(merchant_a: Onboarded):
    certificate_id = _certificate_id(merchant_a.live, merchant_a.id)
    path = f"/v1/merchants/{merchant_a.id}/certificates/{certificate_id}"
    first = merchant_a.live.delete(path)
    assert first.status_code == 200, first.text
    assert first.json()["id"] == certificate_id
    assert first.json()["revoked_at"] is not None
    again = merchant_a.live.delete(path)
    assert again.json()["revoked_at"] == first.json()["revoked_at"]  # the first revocation stays
    listed = merchant_a.live.get("/v1/merchant").json()["certificates"]
    assert [(item["id"], item["revoked_at"]) for item in listed] == [
        (certificate_id, first.json()["revoked_at"])
    ]


def test_only_the_owner_in_its_mode_or_an_admin_revokes(
    merchant_a: Onboarded, merchant_b: Onboarded, admin: Caller
):
    certificate_id = _certificate_id(merchant_a.live, merchant_a.id)
    other_merchant = merchant_b.live.delete(f"/v1/merchants/{merchant_a.id}/certificates/{certificate_id}")
    assert other_merchant.status_code == 404
    assert other_merchant.json()["type"] == "urn:tpwallet:problem:merchant-not-found"
    through_own_id = merchant_b.live.delete(f"/v1/merchants/{merchant_b.id}/certificates/{certificate_id}")
    assert through_own_id.status_code == 404
    assert through_own_id.json()["type"] == "urn:tpwallet:problem:certificate-not-found"
    other_mode = merchant_a.sandbox.delete(f"/v1/merchants/{merchant_a.id}/certificates/{certificate_id}")
    assert other_mode.status_code == 404
    assert other_mode.json()["type"] == "urn:tpwallet:problem:certificate-not-found"
    assert merchant_a.live.get("/v1/merchant").json()["certificates"][0]["revoked_at"] is None

    by_admin = admin.delete(f"/v1/merchants/{merchant_a.id}/certificates/{certificate_id}")
    assert by_admin.status_code == 200, by_admin.text
    assert by_admin.json()["revoked_at"] is not None


def test_a_malformed_certificate_id_is_refused_naming_it(merchant_a: Onboarded):
    response = merchant_a.live.delete(f"/v1/merchants/{merchant_a.id}/certificates/not-an-id")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "certificate_id"
