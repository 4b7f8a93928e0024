"""The API's TLS server side: the server certificate it serves (configured, or issued at start by its own
CA, which later starts keep), the context (client certificates optional, merchant CAs only), and the
options `python -m api` hands uvicorn."""

import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from pydantic import ValidationError

from api.settings import ApiSettings
from api.tls.scope import PROTOCOL
from api.tls.server import server_context, server_credential, uvicorn_options
from custody.tls import LOOPBACK_IP, CertificateAuthority, Credential


def _settings(tmp_path: Path, **values: object) -> ApiSettings:
    chosen: dict[str, object] = {
        "api_tls": True,
        "api_tls_dir": tmp_path / "tls",
        "merchant_ca_dir": tmp_path / "merchants",
    }
    return ApiSettings.model_validate({**chosen, **values})


def test_without_configured_files_a_server_certificate_is_issued_by_the_kept_server_ca(tmp_path: Path):
    settings = _settings(tmp_path)
    certificate_path, key_path = server_credential(settings)
    first = Credential.read(certificate_path, key_path)
    ca = x509.load_pem_x509_certificate((settings.api_tls_dir / "ca.crt").read_bytes())
    first.certificate.verify_directly_issued_by(ca)
    usages = first.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usages) == [ExtendedKeyUsageOID.SERVER_AUTH]
    names = first.certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert LOOPBACK_IP in names.get_values_for_type(x509.IPAddress)
    assert key_path.stat().st_mode & 0o777 == 0o600
    assert (settings.api_tls_dir / "ca.pem").stat().st_mode & 0o777 == 0o600

    second = Credential.read(*server_credential(settings))
    assert second.fingerprint != first.fingerprint  # a fresh leaf each start...
    second.certificate.verify_directly_issued_by(ca)  # ...from the same CA


def test_configured_files_are_served_as_they_are(tmp_path: Path):
    own = CertificateAuthority.create("someone's CA").issue(
        "api.example", server_auth=True, client_auth=False
    )
    own.write(tmp_path / "api.crt", tmp_path / "api.key")
    settings = _settings(tmp_path, api_tls_cert=tmp_path / "api.crt", api_tls_key=tmp_path / "api.key")
    assert server_credential(settings) == (tmp_path / "api.crt", tmp_path / "api.key")
    assert not (settings.api_tls_dir / "ca.pem").exists()


def test_a_certificate_without_its_key_is_refused(tmp_path: Path):
    with pytest.raises(ValidationError, match="TPW_API_TLS_KEY"):
        _settings(tmp_path, api_tls_cert=tmp_path / "api.crt")


def test_the_context_asks_for_merchant_certificates_without_requiring_one(tmp_path: Path):
    settings = _settings(tmp_path)
    context = server_context(*server_credential(settings), settings.merchant_ca_dir)
    assert context.verify_mode == ssl.CERT_OPTIONAL
    trusted = {item["subject"] for item in context.get_ca_certs()}
    assert trusted == {
        ((("commonName", "tpw-merchant-ca-sandbox"),),),
        ((("commonName", "tpw-merchant-ca-live"),),),
    }


def test_uvicorn_serves_tls_with_the_scope_protocol_only_when_asked(tmp_path: Path):
    assert uvicorn_options(_settings(tmp_path, api_tls=False)) == {}
    options = uvicorn_options(_settings(tmp_path))
    assert options["http"] == PROTOCOL
    assert isinstance(options["ssl_context_factory"](None, None), ssl.SSLContext)
