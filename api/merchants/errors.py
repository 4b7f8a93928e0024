"""The merchant routes' problems, each one line (`api.errors.ApiError`)."""

from api.errors import ApiError, NotFound


class MerchantNotFound(NotFound, problem="merchant-not-found", title="Merchant not found"):
    """No merchant has that id, or it is another merchant's (a tenant learns nothing of the others)."""


class ApiKeyNotFound(NotFound, problem="api-key-not-found", title="API key not found"):
    """The merchant has no such key in a mode the caller may see."""


class MerchantStatusConflict(ApiError, status=409, problem="merchant-status-conflict", title="Wrong status"):
    """The merchant's status does not allow this (approving a rejected merchant, keys for an applicant)."""


class NotAMerchantKey(ApiError, status=403, problem="not-a-merchant-key", title="Not a merchant's key"):
    """The route acts for the caller's own merchant, and an operator's key has none."""


class OtherMode(ApiError, status=403, problem="other-mode", title="Another mode's object"):
    """A sandbox key asked for a live object (or the reverse): a key acts in its own mode only."""


class InvalidCsr(ApiError, status=422, problem="invalid-csr", title="Invalid certificate signing request"):
    """The CSR is not PEM, its signature does not verify, or its key is of a refused type."""


class CertificateNotFound(NotFound, problem="certificate-not-found", title="Certificate not found"):
    """The merchant has no such certificate in a mode the caller may see."""


class ClientCertificateRequired(
    ApiError, status=403, problem="client-certificate-required", title="Client certificate required"
):
    """The merchant key's mode needs mutual TLS and the request came without a client certificate, or over
    plain HTTP; ``reason`` says which (`no-certificate`, `plain-http`)."""


class ClientCertificateRefused(
    ApiError, status=403, problem="client-certificate-refused", title="Client certificate refused"
):
    """The client certificate does not go with the merchant key; ``reason`` says why
    (`payments.merchants.client_auth.Refusal`)."""
