"""The card rail over the real processor: answers mapped to rail outcomes with their decline codes,
idempotency keys honoured, refusals as declines, an absent processor as unavailable."""

import pytest

from payments.intents.errors import InvalidRequest, RailConflict
from payments.intents.rails import OutcomeKind, RailOutcome, RailRequest
from payments.merchants.tenant import Tenant
from payments.rails.card.client import CardProcessorClient, ProcessorUnavailable
from payments.rails.card.payment_methods import CardDetails, CardRejected, tokenize
from payments.rails.card.rail import CardRail, refund_reference
from tests.helpers.card_processor import TEST_CARDS, CardProcessor

TENANT = Tenant("acct_a", livemode=False)


def method(client: CardProcessorClient, card: str, tenant: Tenant = TENANT) -> str:
    return tokenize(client, tenant, CardDetails(TEST_CARDS[card], 12, 2034, "123")).id


def request(token: str, step: str, amount: int = 5000, capture: bool = False) -> RailRequest:
    return RailRequest(
        f"pi_1:{step}", "pi_1", TENANT.merchant_id, TENANT.livemode, "EUR", amount, token, capture
    )


@pytest.mark.parametrize(
    ("card", "capture", "outcome"),
    [
        ("success", False, RailOutcome(OutcomeKind.AUTHORIZED)),
        ("success", True, RailOutcome(OutcomeKind.SUCCEEDED)),
        ("insufficient_funds", True, RailOutcome(OutcomeKind.DECLINED, decline_code="insufficient_funds")),
        ("incorrect_cvc", False, RailOutcome(OutcomeKind.DECLINED, decline_code="incorrect_cvc")),
    ],
)
def test_authorizations_map_to_outcomes(
    client: CardProcessorClient, card_rail: CardRail, card: str, capture: bool, outcome: RailOutcome
) -> None:
    assert card_rail.authorize(request(method(client, card), "authorize:1", capture=capture)) == outcome


def test_a_challenge_is_requires_action_with_the_processors_url(
    client: CardProcessorClient, card_rail: CardRail, processor: CardProcessor
) -> None:
    answer = card_rail.authorize(request(method(client, "three_d_secure"), "authorize:1"))
    assert answer.kind is OutcomeKind.REQUIRES_ACTION
    assert answer.challenge_url is not None
    assert answer.challenge_url.startswith(f"{processor.url}/3ds/")


def test_the_same_key_answers_once_another_request_conflicts(
    client: CardProcessorClient, card_rail: CardRail
) -> None:
    token = method(client, "success")
    first = card_rail.authorize(request(token, "authorize:1"))
    assert card_rail.authorize(request(token, "authorize:1")) == first
    with pytest.raises(RailConflict):
        card_rail.authorize(request(token, "authorize:1", amount=4000))


def test_refused_captures_and_refunds_are_declines(client: CardProcessorClient, card_rail: CardRail) -> None:
    token = method(client, "success")
    card_rail.authorize(request(token, "authorize:1"))
    over = card_rail.capture(request(token, "capture", amount=5001))
    assert over == RailOutcome(OutcomeKind.DECLINED, decline_code="amount_too_large")
    assert card_rail.capture(request(token, "capture:2", amount=5000)).kind is OutcomeKind.SUCCEEDED
    assert card_rail.refund(request(token, "refund:re_1", amount=5001)).kind is OutcomeKind.DECLINED
    assert card_rail.refund(request(token, "refund:re_2", amount=5000)).kind is OutcomeKind.SUCCEEDED
    assert card_rail.cancel(request(token, "cancel", amount=0)).kind is OutcomeKind.DECLINED


def test_another_tenants_token_names_the_payment_method(
    client: CardProcessorClient, card_rail: CardRail
) -> None:
    token = method(client, "success", Tenant("acct_b", livemode=False))
    with pytest.raises(InvalidRequest) as refused:
        card_rail.authorize(request(token, "authorize:1"))
    assert refused.value.field == "payment_method"
    live = method(client, "success", Tenant("acct_a", livemode=True))
    with pytest.raises(InvalidRequest):
        card_rail.authorize(request(live, "authorize:1"))


def test_card_problems_name_their_fields(client: CardProcessorClient) -> None:
    with pytest.raises(CardRejected) as rejected:
        tokenize(client, TENANT, CardDetails("4242424242424241", 0, 2034, "1"))
    assert {error["field"] for error in rejected.value.errors} == {
        "card.number",
        "card.exp_month",
        "card.cvc",
    }
    assert "4242424242424241" not in str(rejected.value)
    assert "4242424242424241" not in repr(CardDetails("4242424242424241", 0, 2034, "1"))


def test_an_absent_processor_is_unavailable(processor: CardProcessor) -> None:
    client = CardProcessorClient(processor.url, "sk_wrong", 2.0)
    with pytest.raises(ProcessorUnavailable) as refused:
        client.post("/v1/tokens", {})
    assert refused.value.field == "rail"
    processor.stop()
    rail = CardRail(CardProcessorClient.from_file(processor.url, processor.credential_path, 1.0))
    with pytest.raises(ProcessorUnavailable):
        rail.authorize(request("pm_x", "authorize:1"))


def test_the_refund_reference_is_the_refund_id() -> None:
    assert refund_reference(request("pm_x", "refund:re_abc")) == "re_abc"
