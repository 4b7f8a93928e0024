"""Concurrent clients: no deadlock, no lost update, no overdraft where forbidden, no double post.

Threads, each with its own connection, fire random batches at 20 accounts in two currencies: transfers that
often exceed what a customer holds, holds that other threads race to post or void, retries of shared
references that only one may win, and expiries. Afterwards the audit must find nothing, every currency sum
to zero, no constrained account be negative, and no shared reference or hold have been won twice.
"""

import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from api.db import make_engine
from ledger.accounts import create_accounts, lookup_accounts
from ledger.check import verify
from ledger.ids import new_id
from ledger.model import AccountFlags, AccountSpec, OwnerKind, TransferFlags, TransferSpec
from ledger.results import CreateTransferResult as R
from ledger.schema import metadata
from ledger.transfers import create_transfers, expire_pending

CURRENCIES = {"EUR": 12, "USD": 8}  # 20 accounts, the first of each currency its treasury
SHARED_REFERENCES = 40
BATCH_MAX = 8


@dataclass
class Shared:
    """What the threads race on, and the outcomes they report."""

    accounts: dict[str, list[int]]
    holds: list[int] = field(default_factory=list)
    wins: Counter[str] = field(default_factory=Counter)
    results: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _open_accounts(engine: Engine) -> dict[str, list[int]]:
    """Per currency: a treasury, then customers alternately credit-normal and debit-normal, all funded."""
    accounts: dict[str, list[int]] = {}
    specs, funding = [], []
    for currency, count in CURRENCIES.items():
        ids = [new_id() for _ in range(count)]
        accounts[currency] = ids
        specs.append(AccountSpec(ids[0], currency, OwnerKind.TREASURY, currency))
        for index, account_id in enumerate(ids[1:]):
            credit_normal = index % 2 == 0
            flags = (
                AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS
                if credit_normal
                else AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS
            )
            specs.append(AccountSpec(account_id, currency, OwnerKind.CUSTOMER, str(account_id), 1, flags))
            debit, credit = (ids[0], account_id) if credit_normal else (account_id, ids[0])
            funding.append(TransferSpec(f"fund-{account_id}", debit, credit, 2_000, currency))
    assert all(outcome.result == "ok" for outcome in create_accounts(engine, specs))
    assert all(outcome.ok for outcome in create_transfers(engine, funding))
    return accounts


def _random_spec(rng: random.Random, shared: Shared) -> TransferSpec:
    roll = rng.random()
    if roll < 0.15 and shared.holds:
        flags = rng.choice([TransferFlags.POST_PENDING, TransferFlags.VOID_PENDING])
        pending_id = rng.choice(shared.holds)
        return TransferSpec(f"resolve-{pending_id}-{flags}", flags=flags, pending_id=pending_id)
    if roll < 0.25:  # every thread tries the same transfer under a shared reference: one may win
        k = rng.randrange(SHARED_REFERENCES)
        eur = shared.accounts["EUR"]
        return TransferSpec(f"shared-{k}", eur[1 + k % 5], eur[0], 50 + k, "EUR")
    currency = rng.choice(list(CURRENCIES))
    debit, credit = rng.sample(shared.accounts[currency], 2)
    pending = roll < 0.4
    flags = (TransferFlags.PENDING if pending else TransferFlags.NONE) | rng.choice(
        [TransferFlags.NONE] * 3 + [TransferFlags.LINKED]
    )
    timeout = rng.choice([0, 0, 1]) if pending else 0
    return TransferSpec(
        f"t-{new_id()}", debit, credit, rng.randint(1, 900), currency, flags=flags, timeout_seconds=timeout
    )


def _client(engine: Engine, shared: Shared, seed: int, transfers: int, errors: list[BaseException]) -> None:
    rng = random.Random(seed)
    try:
        sent = 0
        while sent < transfers:
            specs = [
                _random_spec(rng, shared) for _ in range(min(rng.randint(1, BATCH_MAX), transfers - sent))
            ]
            sent += len(specs)
            outcomes = create_transfers(engine, specs)
            with shared.lock:
                for spec, outcome in zip(specs, outcomes, strict=True):
                    shared.results[outcome.result] += 1
                    if outcome.ok and spec.flags & TransferFlags.PENDING and outcome.id is not None:
                        shared.holds.append(outcome.id)
                    if outcome.ok and spec.pending_id is not None:
                        shared.wins[f"pending-{spec.pending_id}"] += 1
                    if outcome.ok and spec.reference.startswith("shared-"):
                        shared.wins[spec.reference] += 1
            if rng.random() < 0.02:
                expire_pending(engine)
    except BaseException as error:  # reported by the main thread, with the others' results
        errors.append(error)


def _hammer(engine: Engine, threads: int, transfers_each: int) -> None:
    metadata.create_all(engine)
    shared = Shared(_open_accounts(engine))
    errors: list[BaseException] = []
    workers = [
        threading.Thread(target=_client, args=(engine, shared, seed, transfers_each, errors))
        for seed in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert not any(worker.is_alive() for worker in workers), "a client hung: a deadlock?"
    assert errors == []
    # The run exercised what it is about: transfers went through, overdrafts were refused, retries lost.
    assert shared.results[R.OK] > 0, shared.results
    assert shared.results[R.EXCEEDS_CREDITS] + shared.results[R.EXCEEDS_DEBITS] > 0, shared.results
    assert shared.results[R.EXISTS] > 0, shared.results
    assert max(shared.wins.values(), default=0) <= 1, shared.wins.most_common(3)
    assert verify(engine) == []
    for currency, ids in shared.accounts.items():
        accounts = lookup_accounts(engine, ids)
        assert sum(a.debits_posted for a in accounts.values()) == sum(
            a.credits_posted for a in accounts.values()
        )
        for account in accounts.values():
            if account.flags:
                assert account.balances.available >= 0, (currency, account)


@pytest.mark.pg
@pytest.mark.slow
def test_sixteen_clients_on_postgresql(pg_url: str):
    engine = make_engine(pg_url, pool_size=16)
    try:
        _hammer(engine, threads=16, transfers_each=500)
    finally:
        engine.dispose()


EngineFactory = Callable[[str], Engine]


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda url: make_engine(url), id="api-engine"),
        # A plain engine: no in-process writer queue, only SQLite's lock and the ledger's first write.
        pytest.param(lambda url: create_engine(url, connect_args={"timeout": 30}), id="plain-engine"),
    ],
)
def test_clients_on_sqlite(tmp_path: Path, make: EngineFactory):
    engine = make(f"sqlite:///{tmp_path / 'ledger.db'}")
    try:
        _hammer(engine, threads=4, transfers_each=100)
    finally:
        engine.dispose()
