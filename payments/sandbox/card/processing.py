"""The processor's operations on its database: tokenize, authorize, capture, void, refund, the 3-D Secure
challenge, and the webhooks they send. Each runs on the caller's transaction (`Connection`) and answers the
JSON object the API shows, or raises `ProcessorError`.

An account is the platform's merchant (its id and mode, as Stripe's connected accounts): a token is used
only by the account and mode it was made for, and captures, voids and refunds name the authorization by the
merchant reference the account gave it (the payment intent's id), so the platform keeps no processor ids.
"""

import datetime
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, RowMapping, insert, select, update

from payments.sandbox.card import cards
from payments.sandbox.card.schema import authorizations, bookings, outbox, tokens, vault
from payments.sandbox.card.vault import Vault

LIVE: Final = ("requires_action", "authorized", "captured")
"""Statuses of an authorization that holds, took, or may still take money (one per merchant reference)."""


class ProcessorError(Exception):
    """A refusal: HTTP `status`, a machine `code`, and the request field at fault where there is one."""

    def __init__(self, status: int, code: str, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = [] if field is None else [{"field": field, "message": detail}]


class InvalidCard(ProcessorError):
    def __init__(self, problems: list[cards.CardProblem]) -> None:
        super().__init__(422, "invalid_card", "; ".join(f"{p.field}: {p.message}" for p in problems))
        self.errors = [{"field": p.field, "message": p.message} for p in problems]


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


@dataclass(frozen=True)
class Account:
    id: str
    livemode: bool


@dataclass
class Processor:
    vault: Vault
    base_url: str
    wake_sender: Callable[[], None]
    """Called after a transaction that queued a webhook has committed."""
    today: Callable[[], datetime.date] = lambda: datetime.datetime.now(datetime.UTC).date()

    def tokenize(
        self, connection: Connection, account: Account, card: cards.CardInput, name: str | None
    ) -> dict[str, Any]:
        rule, problems = cards.check(card, self.today())
        if rule is None:
            raise InvalidCard(problems)
        token_id = new_id("pm")
        connection.execute(
            insert(vault).values(token=token_id, sealed=self.vault.seal(token_id, card.number))
        )
        row = {
            "id": token_id,
            "account": account.id,
            "livemode": account.livemode,
            "brand": str(rule.brand),
            "last4": card.number[-4:],
            "exp_month": card.exp_month,
            "exp_year": card.exp_year,
            "name": name,
            "created": int(time.time()),
        }
        connection.execute(insert(tokens).values(row))
        return token_out(row)

    def _card_number(self, connection: Connection, account: Account, token_id: str) -> str:
        found = connection.execute(
            select(vault.c.sealed)
            .join(tokens, tokens.c.id == vault.c.token)
            .where(
                tokens.c.id == token_id,
                tokens.c.account == account.id,
                tokens.c.livemode == account.livemode,
            )
        ).scalar_one_or_none()
        if found is None:
            raise ProcessorError(404, "resource_missing", f"no token {token_id} of this account", "token")
        return self.vault.open(token_id, found)

    def authorize(
        self,
        connection: Connection,
        account: Account,
        token_id: str,
        amount: int,
        currency: str,
        capture: bool,
        reference: str,
    ) -> dict[str, Any]:
        behaviour = cards.behaviour(self._card_number(connection, account, token_id))
        row: dict[str, Any] = {
            "id": new_id("auth"),
            "token": token_id,
            "account": account.id,
            "livemode": account.livemode,
            "merchant_reference": reference,
            "amount": amount,
            "currency": currency,
            "capture": capture,
            "status": "declined",
            "decline_code": behaviour.decline_code,
            "captured": 0,
            "refunded": 0,
            "challenge": None,
            "created": int(time.time()),
        }
        if behaviour.decline_code is None:
            if behaviour.challenge:
                row |= {"status": "requires_action", "challenge": new_id("3ds")}
            else:
                row = self._approved(row)
        connection.execute(insert(authorizations).values(row))
        return self._settled(connection, row, behaviour)

    def _approved(self, row: dict[str, Any]) -> dict[str, Any]:
        """The authorization approved: captured at once if it asked for it, else held."""
        if row["capture"]:
            return row | {"status": "captured", "decline_code": None, "captured": row["amount"]}
        return row | {"status": "authorized", "decline_code": None}

    def _settled(
        self, connection: Connection, row: dict[str, Any], behaviour: cards.Behaviour
    ) -> dict[str, Any]:
        """After an authorization's row is written: a capture it made is booked (and, for a card that is
        disputed, the dispute queued). Its answer."""
        if row["status"] == "captured":
            self._book(connection, row, "capture", row["merchant_reference"], row["captured"])
            if behaviour.disputed:
                dispute = {
                    "id": new_id("dp"),
                    "object": "dispute",
                    "account": row["account"],
                    "livemode": row["livemode"],
                    "authorization": row["id"],
                    "merchant_reference": row["merchant_reference"],
                    "amount": str(row["captured"]),
                    "currency": row["currency"],
                    "reason": "fraudulent",
                }
                self._send(connection, "dispute.created", dispute)
        return self._out(row)

    def _set(self, connection: Connection, authorization_id: str, **values: Any) -> None:
        connection.execute(
            update(authorizations).where(authorizations.c.id == authorization_id).values(**values)
        )

    def _live(self, connection: Connection, account: Account, reference: str) -> RowMapping:
        row = (
            connection.execute(
                select(authorizations)
                .where(
                    authorizations.c.account == account.id,
                    authorizations.c.livemode == account.livemode,
                    authorizations.c.merchant_reference == reference,
                    authorizations.c.status.in_(LIVE),
                )
                .order_by(authorizations.c.created.desc(), authorizations.c.id)
            )
            .mappings()
            .first()
        )
        if row is None:
            raise ProcessorError(
                404,
                "resource_missing",
                f"no live authorization of reference {reference}",
                "merchant_reference",
            )
        return row

    def capture(
        self, connection: Connection, account: Account, reference: str, amount: int
    ) -> dict[str, Any]:
        row = self._live(connection, account, reference)
        if row["status"] != "authorized":
            raise ProcessorError(
                409, "invalid_state", f"the authorization is {row['status']}, not authorized"
            )
        if amount > row["amount"]:
            raise ProcessorError(
                422, "amount_too_large", "a capture is at most the amount authorized", "amount"
            )
        captured = dict(row) | {"status": "captured", "captured": amount}
        self._set(connection, row["id"], status="captured", captured=amount)
        number = self._card_number(connection, account, row["token"])
        return self._settled(connection, captured, cards.behaviour(number))

    def void(self, connection: Connection, account: Account, reference: str) -> dict[str, Any]:
        row = self._live(connection, account, reference)
        if row["status"] == "captured":
            raise ProcessorError(409, "invalid_state", "a captured authorization is refunded, not voided")
        self._set(connection, row["id"], status="voided")
        return self._out(dict(row) | {"status": "voided"})

    def refund(
        self, connection: Connection, account: Account, reference: str, amount: int, refund_reference: str
    ) -> dict[str, Any]:
        row = self._live(connection, account, reference)
        if row["status"] != "captured":
            raise ProcessorError(409, "invalid_state", f"the authorization is {row['status']}, not captured")
        if amount > row["captured"] - row["refunded"]:
            raise ProcessorError(
                422,
                "amount_too_large",
                "a refund is at most what was captured and not yet refunded",
                "amount",
            )
        self._set(connection, row["id"], refunded=row["refunded"] + amount)
        booking = self._book(connection, row, "refund", refund_reference, amount)
        return {
            "id": booking,
            "object": "refund",
            "authorization": row["id"],
            "merchant_reference": refund_reference,
            "amount": str(amount),
            "currency": row["currency"],
            "status": "succeeded",
        }

    def _book(
        self, connection: Connection, row: RowMapping | dict[str, Any], kind: str, reference: str, amount: int
    ) -> str:
        booking = new_id("txn")
        connection.execute(
            insert(bookings).values(
                id=booking,
                authorization=row["id"],
                kind=kind,
                merchant_reference=reference,
                account=row["account"],
                livemode=row["livemode"],
                amount=amount,
                currency=row["currency"],
                booked_on=self.today().isoformat(),
                created=int(time.time()),
            )
        )
        return booking

    def challenge(self, connection: Connection, challenge_id: str) -> RowMapping:
        row = (
            connection.execute(select(authorizations).where(authorizations.c.challenge == challenge_id))
            .mappings()
            .one_or_none()
        )
        if row is None:
            raise ProcessorError(404, "resource_missing", "no such challenge")
        return row

    def complete_challenge(self, connection: Connection, challenge_id: str, passed: bool) -> dict[str, Any]:
        """The customer's answer to a challenge: the authorization is approved (or declined, as its card
        says) or declined `authentication_failed`, and the platform is told by webhook. Once only."""
        row = self.challenge(connection, challenge_id)
        if row["status"] != "requires_action":
            raise ProcessorError(
                409, "challenge_closed", f"this challenge is closed: the payment is {row['status']}"
            )
        behaviour = cards.behaviour(
            self._card_number(connection, Account(row["account"], row["livemode"]), row["token"])
        )
        code = behaviour.decline_after_challenge if passed else cards.AUTHENTICATION_FAILED
        if code is None:
            done = self._approved(dict(row))
        else:
            done = dict(row) | {"status": "declined", "decline_code": code}
        self._set(
            connection,
            row["id"],
            status=done["status"],
            decline_code=done["decline_code"],
            captured=done["captured"],
        )
        answer = self._settled(connection, done, behaviour)
        self._send(connection, "authorization.updated", answer)
        return answer

    def _send(self, connection: Connection, kind: str, data: dict[str, Any]) -> None:
        event = new_id("evt")
        body = {
            "id": event,
            "object": "event",
            "type": kind,
            "created": int(time.time()),
            "data": {"object": data},
        }
        connection.execute(
            insert(outbox).values(
                event=event, body=json.dumps(body), attempts=0, next_attempt=time.time(), delivered=False
            )
        )

    def _out(self, row: RowMapping | dict[str, Any]) -> dict[str, Any]:
        challenge = row["challenge"] if row["status"] == "requires_action" else None
        return {
            "id": row["id"],
            "object": "authorization",
            "account": row["account"],
            "livemode": row["livemode"],
            "merchant_reference": row["merchant_reference"],
            "token": row["token"],
            "amount": str(row["amount"]),
            "currency": row["currency"],
            "capture": row["capture"],
            "status": row["status"],
            "decline_code": row["decline_code"],
            "amount_captured": str(row["captured"]),
            "amount_refunded": str(row["refunded"]),
            "next_action": None if challenge is None else {"url": f"{self.base_url}/3ds/{challenge}"},
            "created": row["created"],
        }


def token_out(row: RowMapping | dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "object": "token",
        "account": row["account"],
        "livemode": row["livemode"],
        "brand": row["brand"],
        "last4": row["last4"],
        "exp_month": row["exp_month"],
        "exp_year": row["exp_year"],
        "created": row["created"],
    }
