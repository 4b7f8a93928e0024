"""The processor's HTTP face: its JSON API (bearer credential), its 3-D Secure pages (the customer's
browser, no credential) and its settlement files.

Money-moving POSTs need an `Idempotency-Key` (per account): the same key with the same body answers the
stored answer again, with another body 409. Refusals are RFC 9457 problem documents naming the field; a
validation problem names the field only, never echoing what was sent (it may be a card number).
"""

import datetime
import hashlib
import hmac
import html
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, Final
from urllib.parse import parse_qs

from fastapi import Depends, FastAPI, Header, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, insert, select

from payments.sandbox.card import cards, keyfiles
from payments.sandbox.card.processing import Account, Processor, ProcessorError
from payments.sandbox.card.schema import answers, open_database
from payments.sandbox.card.sender import WebhookSender
from payments.sandbox.card.settings import ProcessorSettings
from payments.sandbox.card.settlement import settlement_csv
from payments.sandbox.card.vault import Vault

log = logging.getLogger("sandbox.card")

AmountText = Annotated[str, Field(pattern=r"^[1-9][0-9]{0,17}$")]
Reference = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_:-]+$")]
PROBLEM_BASE: Final = "https://processor.sandbox.tpwallet/problems/"
READY: Final = "card processor ready"
"""Logged once the processor serves (the devnet waits for it)."""


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    account: Annotated[str, Field(min_length=1, max_length=64)]
    livemode: bool = False

    def owner(self) -> Account:
        return Account(self.account, self.livemode)


class CardIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    number: Annotated[str, Field(max_length=64)]
    exp_month: int
    exp_year: int
    cvc: Annotated[str, Field(max_length=8)]
    name: Annotated[str, Field(max_length=128)] | None = None


class TokenCreate(Body):
    card: CardIn


class AuthorizationCreate(Body):
    token: Annotated[str, Field(min_length=1, max_length=40)]
    amount: AmountText
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    capture: bool = False
    merchant_reference: Reference


class CaptureCreate(Body):
    merchant_reference: Reference
    amount: AmountText


class VoidCreate(Body):
    merchant_reference: Reference


class RefundCreate(Body):
    merchant_reference: Reference
    amount: AmountText
    refund_reference: Reference


def problem(status: int, code: str, detail: str, errors: list[dict[str, str]] | None = None) -> JSONResponse:
    body = {
        "type": PROBLEM_BASE + code,
        "title": code.replace("_", " "),
        "status": status,
        "detail": detail,
        "code": code,
        "errors": errors or [],
    }
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def fingerprint(path: str, body: BaseModel) -> str:
    canonical = json.dumps([path, body.model_dump(mode="json")], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def create_app(settings: ProcessorSettings) -> FastAPI:
    engine = open_database(settings.database_path)
    credential = keyfiles.text_secret(settings.api_credential_path, "sk_card_")
    sender = WebhookSender(
        engine,
        settings.webhook_url,
        keyfiles.text_secret(settings.webhook_secret_path, "whsec_"),
        settings.webhook_timeout_seconds,
    )
    processor = Processor(Vault(keyfiles.vault_key(settings.vault_key_path)), settings.base_url, sender.wake)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        sender.start()
        log.info("%s on %s", READY, settings.base_url)
        try:
            yield
        finally:
            sender.stop()
            engine.dispose()

    app = FastAPI(title="Sandbox card processor", lifespan=lifespan, docs_url=None, redoc_url=None)

    @app.exception_handler(ProcessorError)
    async def _refused(_: Request, error: ProcessorError) -> Response:
        return problem(error.status, error.code, error.detail, error.errors)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, error: RequestValidationError) -> Response:
        errors = [
            {
                "field": ".".join(str(part) for part in item["loc"] if part != "body") or "body",
                "message": item["msg"],
            }
            for item in error.errors()
        ]
        detail = "; ".join(f"{item['field']}: {item['message']}" for item in errors)
        return problem(422, "invalid_request", detail, errors)

    def authenticated(authorization: Annotated[str | None, Header()] = None) -> None:
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), credential.encode()):
            raise ProcessorError(401, "unauthenticated", "a valid bearer credential is required")

    Credential = Depends(authenticated)

    def idempotent(
        request: Request, body: Body, key: str | None, work: Callable[[Connection], dict[str, Any]]
    ) -> Response:
        """`work`'s answer, stored under (account, key) in its own transaction, or the stored one."""
        if key is None or not 0 < len(key) <= 255:
            raise ProcessorError(
                400, "idempotency_key_missing", "an Idempotency-Key of 1..255 characters is required"
            )
        print_ = fingerprint(request.url.path, body)
        with engine.begin() as connection:
            stored = connection.execute(
                select(answers).where(answers.c.account == body.account, answers.c.key == key)
            ).one_or_none()
            if stored is not None:
                if stored.fingerprint != print_:
                    raise ProcessorError(
                        409, "idempotency_conflict", "this Idempotency-Key was used for another request"
                    )
                return JSONResponse(
                    json.loads(stored.body), stored.status_code, headers={"Idempotent-Replayed": "true"}
                )
            answer = work(connection)
            connection.execute(
                insert(answers).values(
                    account=body.account,
                    key=key,
                    fingerprint=print_,
                    status_code=200,
                    body=json.dumps(answer),
                )
            )
        processor.wake_sender()
        return JSONResponse(answer)

    IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/tokens", dependencies=[Credential])
    def create_token(body: TokenCreate) -> dict[str, Any]:
        card = cards.CardInput(body.card.number, body.card.exp_month, body.card.exp_year, body.card.cvc)
        with engine.begin() as connection:
            return processor.tokenize(connection, body.owner(), card, body.card.name)

    @app.post("/v1/authorizations", dependencies=[Credential])
    def create_authorization(
        request: Request, body: AuthorizationCreate, key: IdempotencyKey = None
    ) -> Response:
        return idempotent(
            request,
            body,
            key,
            lambda connection: processor.authorize(
                connection,
                body.owner(),
                body.token,
                int(body.amount),
                body.currency,
                body.capture,
                body.merchant_reference,
            ),
        )

    @app.post("/v1/captures", dependencies=[Credential])
    def create_capture(request: Request, body: CaptureCreate, key: IdempotencyKey = None) -> Response:
        return idempotent(
            request,
            body,
            key,
            lambda connection: processor.capture(
                connection, body.owner(), body.merchant_reference, int(body.amount)
            ),
        )

    @app.post("/v1/voids", dependencies=[Credential])
    def create_void(request: Request, body: VoidCreate, key: IdempotencyKey = None) -> Response:
        return idempotent(
            request,
            body,
            key,
            lambda connection: processor.void(connection, body.owner(), body.merchant_reference),
        )

    @app.post("/v1/refunds", dependencies=[Credential])
    def create_refund(request: Request, body: RefundCreate, key: IdempotencyKey = None) -> Response:
        return idempotent(
            request,
            body,
            key,
            lambda connection: processor.refund(
                connection, body.owner(), body.merchant_reference, int(body.amount), body.refund_reference
            ),
        )

    @app.get("/v1/settlements/{day}", dependencies=[Credential])
    def get_settlement(day: Annotated[datetime.date, Path()]) -> Response:
        with engine.begin() as connection:
            text = settlement_csv(connection, day)
        return PlainTextResponse(text, media_type="text/csv")

    ChallengeId = Annotated[str, Path(pattern=r"^3ds_[0-9a-f]{24}$")]

    @app.get("/3ds/{challenge_id}", response_class=HTMLResponse)
    def challenge_page(challenge_id: ChallengeId) -> Response:
        with engine.begin() as connection:
            row = processor.challenge(connection, challenge_id)
        return HTMLResponse(challenge_html(challenge_id, row["amount"], row["currency"], row["status"]))

    @app.post("/3ds/{challenge_id}", response_class=HTMLResponse)
    async def answer_challenge(challenge_id: ChallengeId, request: Request) -> Response:
        choice = parse_qs((await request.body()).decode(errors="replace")).get("result", [""])[0]
        if choice not in ("complete", "fail"):
            raise ProcessorError(422, "invalid_request", "result is complete or fail", "result")
        with engine.begin() as connection:
            answer = processor.complete_challenge(connection, challenge_id, choice == "complete")
        processor.wake_sender()
        outcome = html.escape(answer["status"])
        return HTMLResponse(f"<!doctype html><title>3-D Secure</title><p>Authentication done: {outcome}.</p>")

    return app


def challenge_html(challenge_id: str, amount: int, currency: str, status: str) -> str:
    """Stripe's test page in spirit: the amount, and a Complete and a Fail button."""
    if status != "requires_action":
        closed = html.escape(status)
        return f"<!doctype html><title>3-D Secure</title><p>This challenge is closed ({closed}).</p>"
    action = f"/3ds/{html.escape(challenge_id)}"
    return (
        "<!doctype html><title>3-D Secure</title>"
        f"<h1>3-D Secure test page</h1><p>Authenticate a payment of {amount} {html.escape(currency)} "
        "(minor units).</p>"
        f'<form method="post" action="{action}"><button name="result" value="complete">Complete</button>'
        '<button name="result" value="fail">Fail</button></form>'
    )
