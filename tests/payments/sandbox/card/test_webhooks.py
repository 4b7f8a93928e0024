"""The processor's webhooks: signed with its secret (fresh per attempt), retried until a 2xx, and sent after
a kill -9 from the outbox they were committed to."""

import json
import time
from pathlib import Path

import httpx

from payments.webhooks.signing import HEADER, verify
from tests.helpers.card_processor import TEST_CARDS, CardProcessor
from tests.helpers.webhook_receiver import running_receiver


def _challenge(processor: CardProcessor, http: httpx.Client) -> str:
    token = processor.token(http, TEST_CARDS["three_d_secure"])
    body = {
        "account": "acct_a",
        "token": token,
        "amount": "700",
        "currency": "EUR",
        "merchant_reference": "pi_9",
    }
    answer = http.post("/v1/authorizations", json=body, headers={"Idempotency-Key": "k1"}).json()
    url: str = answer["next_action"]["url"]
    return url


def test_an_event_is_retried_until_accepted_each_attempt_signed_afresh(tmp_path: Path) -> None:
    with running_receiver() as receiver, CardProcessor(tmp_path / "p", receiver.url) as processor:
        receiver.statuses = [500, 409, 200]
        with processor.http() as http:
            url = _challenge(processor, http)
        assert httpx.post(url, data={"result": "complete"}).status_code == 200
        received = receiver.wait_for(3, timeout=30)
        time.sleep(1.0)
        assert len(receiver.received) == 3  # nothing after the 2xx
        secret = processor.webhook_secret_path.read_text().strip()
        signatures = {request.headers[HEADER] for request in received}
        assert len(signatures) == 3
        assert len({request.body for request in received}) == 1
        for request in received:
            verify(request.headers[HEADER], request.body, [secret])
        event = json.loads(received[0].body)
        assert event["type"] == "authorization.updated"
        assert (event["data"]["object"]["merchant_reference"], event["data"]["object"]["status"]) == (
            "pi_9",
            "authorized",
        )


def test_a_queued_event_is_sent_after_a_kill_9(tmp_path: Path) -> None:
    with running_receiver() as receiver:
        receiver.statuses = [503]  # refuse everything until the processor is killed
        processor = CardProcessor(tmp_path / "p", receiver.url).start()
        try:
            with processor.http() as http:
                url = _challenge(processor, http)
            httpx.post(url, data={"result": "fail"})
            receiver.wait_for(1)
            processor.kill()
            receiver.statuses = [200]
            processor.start()
            received = receiver.wait_for(2, timeout=40)
        finally:
            processor.stop()
        event = json.loads(received[-1].body)
        assert event["data"]["object"]["decline_code"] == "authentication_failed"
