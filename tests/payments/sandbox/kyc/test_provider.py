"""The sandbox KYC provider as its own process, reached over HTTP: a submission keyed by the platform's
reference is made once (a retry answers the same check), a malformed one is refused naming the field, and
the result is POSTed signed (`TPW-Signature` over the exact bytes) and retried until the receiver answers
2xx, each attempt signed afresh."""

import datetime
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from payments.rails.kyc.client import KycProviderClient, KycProviderUnavailable
from payments.rails.kyc.events import parse_result
from payments.webhooks.signing import HEADER, verify
from risk.kyc.checks import CheckRequest, CheckStatus
from risk.kyc.tiers import Tier
from scripts._support.processes import free_port
from tests.helpers.sandbox_kyc import WEBHOOK_SECRET, KycProviderProcess, running_kyc_provider
from tests.helpers.webhook_receiver import Receiver, running_receiver

pytestmark = pytest.mark.slow


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver("/v1/rails/kyc/events") as receiver:
        yield receiver


@pytest.fixture
def provider(tmp_path: Path, receiver: Receiver) -> Iterator[KycProviderProcess]:
    with running_kyc_provider(tmp_path / "kyc", receiver.url) as provider:
        yield provider


def request(**fields: object) -> CheckRequest:
    base: dict[str, object] = {
        "subject_id": "idn_" + "a1" * 16,
        "tier": Tier.FULL,
        "full_name": "Erika Mustermann",
        "date_of_birth": datetime.date(1984, 8, 12),
        "country": "DE",
        "document_number": "X0009003",
    }
    return CheckRequest(**(base | fields))  # type: ignore[arg-type]


def test_a_result_is_signed_and_retried_until_taken(provider: KycProviderProcess, receiver: Receiver) -> None:
    receiver.statuses = [500, 503, 200]
    client = KycProviderClient(provider.url)
    provider_id = client.submit("kyc_chk_" + "1" * 20, request())
    first, second, third = receiver.wait_for(3)
    assert first.body == second.body == third.body  # the same event every attempt
    timestamps = set()
    for delivery in (first, second, third):
        timestamps.add(verify(delivery.headers[HEADER], delivery.body, [WEBHOOK_SECRET]))
    assert len(timestamps) == 3  # signed afresh: a retry is never a replay
    result = parse_result(third.body)
    assert (result.provider_check_id, result.check_id, result.status, result.reasons) == (
        provider_id,
        "kyc_chk_" + "1" * 20,
        CheckStatus.REJECTED,
        ("document_expired",),
    )
    receiver.statuses = [200]
    assert httpx.get(f"{provider.url}/v1/checks/{provider_id}").json()["status"] == "completed"
    client.close()


def test_a_retried_submission_is_the_same_check(provider: KycProviderProcess) -> None:
    client = KycProviderClient(provider.url)
    first = client.submit("kyc_chk_" + "2" * 20, request())
    assert client.submit("kyc_chk_" + "2" * 20, request()) == first
    assert client.submit("kyc_chk_" + "3" * 20, request()) != first
    client.close()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"level": "medium"}, "level"),
        ({"country": "deu"}, "country"),
        ({"reference": "has spaces"}, "reference"),
        ({"date_of_birth": "12/08/1984"}, "date_of_birth"),
    ],
)
def test_a_malformed_submission_is_refused_naming_the_field(
    provider: KycProviderProcess, change: dict[str, str], field: str
) -> None:
    body = {
        "reference": "kyc_chk_x",
        "level": "light",
        "full_name": "A B",
        "date_of_birth": "1984-08-12",
        "country": "DE",
    } | change
    answer = httpx.post(f"{provider.url}/v1/checks", json=body)
    assert answer.status_code == 422
    assert field in json.dumps(answer.json()["detail"])


def test_a_provider_that_is_down_is_unavailable() -> None:
    client = KycProviderClient(f"http://127.0.0.1:{free_port()}", timeout=1.0)
    with pytest.raises(KycProviderUnavailable):
        client.submit("kyc_chk_" + "4" * 20, request())
    client.close()
