"""Issue 11's crash test for the money routes, on real processes: the API under uvicorn (`python -m api`) on
SQLite and PostgreSQL (there also in two server processes) with the card processor
(`python -m payments.sandbox.card`) as its card rail, `kill -9` while 32 clients move money through it,
restarted on the same database.

Each client runs operations of one or more steps, every step a POST with an Idempotency-Key of its own:
ledger transfers (single, linked, pending then posted, pending then voided) and card payment intents
(`intent_steps`: created for manual capture with a payment method tokenized through
`POST /v1/payment-methods`, confirmed, captured in full or in part). A step whose path names what an earlier
step made (`/transfers/{id}/post`) reads it from that step's answer. The API is killed once about half of
the steps have been answered; on the restarted API every step is sent again with its key, from the first
step of each operation:

- every answer received before the kill comes back byte for byte (`Idempotent-Replayed: true`);
- no step is ever answered 5xx (a claim the dead process left is a 409 until it lapses, and then runs);
- the ledger's audit is clean, it holds exactly one transfer per transfer answered (no retry made a second),
  every account's balances are what replaying the answered transfers gives, and each intent answered exists
  once, in the status its last step answered;
- nothing is captured twice: the processor's settlement file books one capture per intent, of the amount its
  capture answered, and the merchant's ledger balance holds exactly the captured amounts, nothing pending.
"""

import asyncio
import datetime
import itertools
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from ledger.check import verify
from ledger.model import OwnerKind
from ledger.schema import accounts, transfers
from payments.intents.postings import parsed_reference
from payments.intents.schema import payment_intents
from payments.rails.card.statement import parse_settlement
from payments.reconciliation.lines import LineKind
from tests.helpers import db
from tests.helpers.api_process import ApiProcess
from tests.helpers.card_processor import TEST_CARDS, CardProcessor

pytestmark = pytest.mark.devnet

database_url, sqlite_url, pg_url = db.database_url, db.sqlite_url, db.pg_url

CLIENTS = 32
OPERATIONS_PER_CLIENT = 6
ACCOUNTS = 6
KILL_AFTER_FRACTION = 0.5
RETRY_DEADLINE_SECONDS = 60.0
UNLIMITED = {
    "TPW_RATE_LIMIT_ENABLED": "false",  # every client shares two keys and one address
    "TPW_IDEMPOTENCY_LOCK_TIMEOUT_SECONDS": "1",  # the dead process's claims lapse soon after the restart
}
Answers = list["Answer | None"]
"""The answers of an operation's steps so far, in order (None: not received)."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    replayed: bool = field(default=False, compare=False)
    """It carried `Idempotent-Replayed: true` (not part of what must be equal: the first answer does not)."""

    def json(self) -> Any:
        return httpx.Response(self.status, content=self.body).json()


@dataclass(frozen=True)
class Step:
    """One POST of an operation: its path and body may depend on the answers of the steps before it."""

    path: Callable[[Answers], str]
    body: Callable[[Answers], dict[str, Any]]
    merchant: bool = False
    """Sent with the merchant's key (payment intents) rather than the operator's (ledger)."""


def _at(path: str) -> Callable[[Answers], str]:
    return lambda _answers: path


def _of_first(template: str) -> Callable[[Answers], str]:
    """`template` with the id the operation's first step answered."""

    def path(answers: Answers) -> str:
        first = answers[0]
        assert first is not None
        return template.format(id=first.json()["id"])

    return path


def _fixed(body: dict[str, Any]) -> Callable[[Answers], dict[str, Any]]:
    return lambda _answers: body


INTENT_AMOUNT = 1250


def intent_steps(payment_method: str, capture: int | None) -> list[Step]:
    """A card payment intent's life under load: created for manual capture with `payment_method`,
    confirmed, then captured: `capture` minor units (partial), or all of it (None)."""
    create = {
        "amount": str(INTENT_AMOUNT),
        "currency": "EUR",
        "rail": "card",
        "capture_method": "manual",
        "payment_method": payment_method,
    }
    return [
        Step(_at("/v1/payment-intents"), _fixed(create), merchant=True),
        Step(_of_first("/v1/payment-intents/{id}/confirm"), _fixed({}), merchant=True),
        Step(
            _of_first("/v1/payment-intents/{id}/capture"),
            _fixed({} if capture is None else {"amount_to_capture": str(capture)}),
            merchant=True,
        ),
    ]


@dataclass
class Operation:
    """A client's unit of work: steps run in order, each with its Idempotency-Key, and what they answered."""

    name: str
    steps: list[Step]
    first: dict[int, Answer] = field(default_factory=dict)
    """Step index -> the first answer received for it, before or after the kill."""
    replayed: dict[int, Answer] = field(default_factory=dict)
    """Step index -> the answer to its retry on the restarted API."""

    def key(self, index: int) -> str:
        return f"{self.name}-step-{index}"


def _transfer(rng: random.Random, accounts: list[str], **extra: Any) -> dict[str, Any]:
    debit, credit = rng.sample(accounts, 2)
    amount = str(rng.randint(1, 10_000))
    return {
        "debit_account_id": debit,
        "credit_account_id": credit,
        "amount": amount,
        "currency": "EUR",
        **extra,
    }


def _operations(accounts: list[str], payment_method: str, seed: int) -> list[list[Operation]]:
    """Each client's operations: every kind of money move in turn, on random account pairs and amounts."""
    rng = random.Random(seed)
    kinds = itertools.cycle(["single", "linked", "post", "void", "intent"])
    plans = []
    for client in range(CLIENTS):
        operations = []
        for number in range(OPERATIONS_PER_CLIENT):
            kind = next(kinds)
            name = f"c{client}-op{number}-{kind}"
            transfers_path = _at("/v1/ledger/transfers")
            if kind == "single":
                steps = [Step(transfers_path, _fixed(_transfer(rng, accounts)))]
            elif kind == "linked":
                linked = [_transfer(rng, accounts) for _ in range(rng.randint(1, 3))]
                steps = [Step(transfers_path, _fixed(_transfer(rng, accounts, linked=linked)))]
            elif kind in ("post", "void"):
                steps = [
                    Step(transfers_path, _fixed(_transfer(rng, accounts, pending=True))),
                    Step(_of_first(f"/v1/ledger/transfers/{{id}}/{kind}"), _fixed({})),
                ]
            else:
                partial = rng.choice([None, rng.randint(1, INTENT_AMOUNT - 1)])
                steps = intent_steps(payment_method, partial)
            operations.append(Operation(name, steps))
        plans.append(operations)
    return plans


@dataclass
class World:
    """The API with its card processor, the operator's key (ledger), an onboarded merchant's sandbox key
    (payment intents) and the payment method it tokenized."""

    api: ApiProcess
    processor: CardProcessor
    merchant_token: str
    payment_method: str
    accounts: list[str]

    def headers(self, step: Step, key: str) -> dict[str, str]:
        if not step.merchant:
            return self.api.headers(key)
        return {"Authorization": f"Bearer {self.merchant_token}", "Idempotency-Key": key}


def _payment_method(client: httpx.Client, merchant_token: str) -> str:
    """The test card that succeeds, tokenized at the processor through the API."""
    card = {"number": TEST_CARDS["success"], "exp_month": 12, "exp_year": 2034, "cvc": "123"}
    made = client.post(
        "/v1/payment-methods",
        json={"card": card},
        headers={"Authorization": f"Bearer {merchant_token}", "Idempotency-Key": "load-card"},
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


@pytest.fixture(params=[1, 2], ids=["1-process", "2-processes"])
def api_workers(request: pytest.FixtureRequest, database_url: str) -> int:
    """The API's server processes (`TPW_API_WORKERS`): a kill -9 takes every one of them down at once.
    Several need PostgreSQL (`python -m api` refuses them on SQLite)."""
    workers: int = request.param
    if workers > 1 and not database_url.startswith("postgresql"):
        pytest.skip("several API processes need PostgreSQL")
    return workers


@pytest.fixture
def world(tmp_path: Path, database_url: str, api_workers: int) -> Iterator[World]:
    api = ApiProcess(tmp_path, None, database_url, {**UNLIMITED, "TPW_API_WORKERS": str(api_workers)})
    processor = CardProcessor(tmp_path / "processor", f"{api.url}/v1/rails/card/events")
    api.env.update(processor.api_env())
    with processor, api, httpx.Client(base_url=api.url, timeout=30) as client:
        sandbox = api.onboard_merchant("Load GmbH")
        payment_method = _payment_method(client, sandbox)
        accounts = []
        for number in range(ACCOUNTS):
            opened = client.post(
                "/v1/ledger/accounts",
                json={"currency": "EUR", "owner_kind": "customer", "owner_id": f"load-{number}"},
                headers=api.headers(f"account-{number}"),
            )
            assert opened.status_code == 201, opened.text
            accounts.append(opened.json()["id"])
        yield World(api, processor, sandbox, payment_method, accounts)


class Killed(Exception):
    """The API went away mid-request."""


async def _send(client: httpx.AsyncClient, world: World, operation: Operation, index: int) -> Answer:
    step = operation.steps[index]
    answers: Answers = [operation.first.get(n) for n in range(index)]
    try:
        response = await client.post(
            step.path(answers), json=step.body(answers), headers=world.headers(step, operation.key(index))
        )
    except httpx.TransportError as error:
        raise Killed from error
    return Answer(response.status_code, response.content, "Idempotent-Replayed" in response.headers)


async def _until_killed(world: World, plans: list[list[Operation]], kill_after: int) -> None:
    """Every client runs its operations until the API is killed, after `kill_after` answers in all."""
    answered = 0
    killed = asyncio.Event()

    async def run(client: httpx.AsyncClient, operations: list[Operation]) -> None:
        nonlocal answered
        for operation in operations:
            for index in range(len(operation.steps)):
                try:
                    operation.first[index] = await _send(client, world, operation, index)
                except Killed:
                    return
                answered += 1
                if answered == kill_after:
                    world.api.kill()  # SIGKILL: every request in flight dies with it
                    killed.set()

    limits = httpx.Limits(max_connections=CLIENTS + 4)
    async with httpx.AsyncClient(base_url=world.api.url, timeout=60, limits=limits) as client:
        await asyncio.gather(*(run(client, operations) for operations in plans))
    assert killed.is_set(), f"only {answered} answers before the clients ran out of work"


async def _retried(world: World, plans: list[list[Operation]]) -> None:
    """Every step again with its key, in order: 409 while a dead claim holds the key, then its answer."""

    async def run(client: httpx.AsyncClient, operations: list[Operation]) -> None:
        loop = asyncio.get_running_loop()
        for operation in operations:
            for index in range(len(operation.steps)):
                deadline = loop.time() + RETRY_DEADLINE_SECONDS
                while True:
                    answer = await _send(client, world, operation, index)
                    in_flight = answer.status == 409 and b"idempotency-key-in-flight" in answer.body
                    if not in_flight or loop.time() > deadline:
                        break
                    await asyncio.sleep(0.2)
                operation.replayed[index] = answer
                operation.first.setdefault(index, answer)

    limits = httpx.Limits(max_connections=CLIENTS + 4)
    async with httpx.AsyncClient(base_url=world.api.url, timeout=60, limits=limits) as client:
        await asyncio.gather(*(run(client, operations) for operations in plans))


def _expected_ledger(operations: list[Operation]) -> tuple[int, Counter[str], Counter[str]]:
    """From the answers alone: how many transfers exist, and each account's posted and pending totals, as
    credits less debits."""
    count = 0
    posted: Counter[str] = Counter()
    pending: Counter[str] = Counter()
    for operation in operations:
        for index, answer in operation.first.items():
            if operation.steps[index].merchant or answer.status >= 300:
                continue
            made = answer.json()
            for transfer in [made, *made.get("linked_transfers", [])]:
                count += 1
                amount = int(transfer["amount"])
                book = pending if transfer["kind"] == "pending" else posted
                if transfer["kind"] in ("post_pending", "void_pending"):
                    # the pending amount goes back; a post moves it for good
                    pending[transfer["debit_account_id"]] += amount
                    pending[transfer["credit_account_id"]] -= amount
                    if transfer["kind"] == "void_pending":
                        continue
                book[transfer["debit_account_id"]] -= amount
                book[transfer["credit_account_id"]] += amount
    return count, posted, pending


def _balances(world: World) -> tuple[Counter[str], Counter[str]]:
    posted: Counter[str] = Counter()
    pending: Counter[str] = Counter()
    with httpx.Client(base_url=world.api.url, timeout=30) as client:
        for account in world.accounts:
            read = client.get(f"/v1/ledger/accounts/{account}", headers=world.api.headers())
            assert read.status_code == 200, read.text
            totals = read.json()
            posted[account] = int(totals["credits_posted"]) - int(totals["debits_posted"])
            pending[account] = int(totals["credits_pending"]) - int(totals["debits_pending"])
    return posted, pending


def _settled_captures(world: World, days: set[datetime.date]) -> list[tuple[str, int]]:
    """(intent id, amount) of every capture the processor's settlement files of `days` book."""
    with world.processor.http() as client:
        lines = []
        for day in sorted(days):
            answer = client.get(f"/v1/settlements/{day.isoformat()}")
            assert answer.status_code == 200, answer.text
            lines += parse_settlement(answer.text)
    return sorted((line.reference, line.amount) for line in lines if line.kind == LineKind.PAYMENT)


def _today() -> datetime.date:
    return datetime.datetime.now(datetime.UTC).date()


def test_kill_9_mid_load_every_retry_answers_as_first_and_nothing_moves_twice(world: World) -> None:
    days = {_today()}
    plans = _operations(world.accounts, world.payment_method, seed=11)
    operations = [operation for client in plans for operation in client]
    steps = sum(len(operation.steps) for operation in operations)
    asyncio.run(_until_killed(world, plans, kill_after=int(steps * KILL_AFTER_FRACTION)))
    before_kill = {(op.name, index): answer for op in operations for index, answer in op.first.items()}
    assert len(before_kill) < steps  # the kill cut the load short

    world.api.start()
    try:
        asyncio.run(_retried(world, plans))
        statuses = Counter(
            answer.status for op in operations for answer in [*op.first.values(), *op.replayed.values()]
        )
        assert all(status < 500 for status in statuses), statuses
        for operation in operations:
            assert len(operation.replayed) == len(operation.steps), operation.name
            for index, answer in operation.replayed.items():
                first = before_kill.get((operation.name, index))
                if first is not None:
                    assert answer == first, (operation.name, index, first, answer)
                    assert answer.replayed, (operation.name, index)
                assert answer.status in (200, 201), (operation.name, index, answer)

        expected_count, expected_posted, expected_pending = _expected_ledger(operations)
        assert _balances(world) == (expected_posted, expected_pending)
        with db.engine_on(world.api.database_url) as engine:
            assert verify(engine) == []
            with engine.connect() as connection:
                references = connection.scalars(select(transfers.c.reference)).all()
                intents = dict(
                    connection.execute(select(payment_intents.c.id, payment_intents.c.status)).all()
                )
                merchant_balance = connection.execute(
                    select(accounts.c.credits_posted, accounts.c.credits_pending).where(
                        accounts.c.owner_kind == OwnerKind.MERCHANT
                    )
                ).one()
        assert sum(parsed_reference(ref) is None for ref in references) == expected_count
        captured = [op.first[len(op.steps) - 1].json() for op in operations if op.steps[0].merchant]
        assert intents == {intent["id"]: intent["status"] for intent in captured}  # once, as last answered
        assert {intent["status"] for intent in captured} == {"succeeded"}
        received = sorted((intent["id"], int(intent["amount_received"])) for intent in captured)
        assert any(amount < INTENT_AMOUNT for _, amount in received)  # partial captures among them
        assert _settled_captures(world, days | {_today()}) == received  # one capture each at the processor
        total = sum(amount for _, amount in received)
        assert tuple(merchant_balance) == (total, 0)  # and on the ledger: captured once, the rest released
    finally:
        world.api.stop()
