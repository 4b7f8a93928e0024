"""The KYC provider as the API sees it: its client (`payments.rails.kyc.client`) and the secret its
webhooks are signed with, both from the settings, for the app's life (`api.kyc.router.kyc_lifespan`)."""

from dataclasses import dataclass, field

from api.errors import ServiceUnavailable
from api.settings import ApiSettings
from payments.rails.kyc.client import KycProviderClient


class KycUnavailable(ServiceUnavailable, problem="kyc-unavailable", title="KYC provider unavailable"):
    """No KYC provider is configured on this server, or it did not take the check."""


@dataclass(frozen=True)
class KycProvider:
    client: KycProviderClient
    secret: str = field(repr=False)


def kyc_provider_from(settings: ApiSettings) -> KycProvider | None:
    """The provider the settings name, None without `kyc_provider_url`; a missing secret file stops the
    start (`RuntimeError` naming the setting)."""
    if settings.kyc_provider_url is None:
        return None
    path = settings.kyc_webhook_secret_path
    if path is None or not path.is_file() or not path.read_text().strip():
        raise RuntimeError("TPW_KYC_WEBHOOK_SECRET_PATH must name a file holding the KYC provider's secret")
    client = KycProviderClient(settings.kyc_provider_url, settings.kyc_provider_timeout_seconds)
    return KycProvider(client, path.read_text().strip())
