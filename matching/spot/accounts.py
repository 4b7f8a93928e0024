"""The ledger accounts a spot market moves money between, with ids derived from what they are.

A trader's account for a currency is shared by every spot market (its tUSD buys TPW here and anything
else later); each market has an escrow account per currency, holding exactly what its open orders have
reserved, and a fees account per currency. Ids are the first 62 bits of SHA-256 over the account's name, so
a restarted service, the API and a test all name the same account without a mapping table, and creating
them is idempotent (the ledger answers `exists` for the same id and fields). A ledger-chosen id
(`ledger.ids.new_id`) colliding with one of these would be refused as `exists_with_different_*`, never
merged.

Traders' and escrow accounts may not go below zero (`DEBITS_MUST_NOT_EXCEED_CREDITS`): an order that
cannot be funded is refused by the ledger itself, and no bug of the market can overdraw an account.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from ledger.accounts import create_accounts
from ledger.model import AccountFlags, AccountSpec, OwnerKind
from ledger.results import CreateAccountResult
from ledger.transaction import Database
from matching.markets import MarketSpec

NO_OVERDRAFT = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS


def derived_id(name: str, namespace: str = "tpwallet-spot") -> int:
    """62 bits of SHA-256 over `namespace|name`: an account id no table has to remember (never 0)."""
    digest = hashlib.sha256(f"{namespace}|{name}".encode()).digest()
    return (int.from_bytes(digest[:8], "big") >> 2) or 1


def trader_owner(trader: int) -> str:
    """The ledger owner id of trader `trader` (the engine's account number)."""
    return f"spot-trader:{trader}"


def trader_account(trader: int, currency: str) -> int:
    """Trader `trader`'s account in `currency` (ledger code)."""
    return derived_id(f"trader|{trader}|{currency}")


def escrow_account(market: MarketSpec, currency: str) -> int:
    """The account of `market` holding open orders' reservations in `currency`."""
    return derived_id(f"escrow|{market.id}|{currency}")


def fees_account(market: MarketSpec, currency: str) -> int:
    """The account of `market` collecting fees in `currency`."""
    return derived_id(f"fees|{market.id}|{currency}")


def faucet_account(market: MarketSpec, currency: str) -> int:
    """Where a paper (sandbox) market's test money comes from. It may go below zero, since the money it
    hands out is made up; only the sandbox copy of a market is ever funded from it (`api.paper`)."""
    return derived_id(f"faucet|{market.id}|{currency}")


def faucet_specs(market: MarketSpec) -> list[AccountSpec]:
    return [
        AccountSpec(
            faucet_account(market, currency), currency, OwnerKind.TREASURY, f"spot-faucet:{market.id}"
        )
        for currency in (market.base, market.quote)
    ]


def trader_specs(market: MarketSpec, trader: int) -> list[AccountSpec]:
    """Trader `trader`'s accounts in the market's two currencies."""
    return [
        AccountSpec(
            trader_account(trader, currency),
            currency,
            OwnerKind.CUSTOMER,
            trader_owner(trader),
            1,
            NO_OVERDRAFT,
        )
        for currency in (market.base, market.quote)
    ]


def market_specs(market: MarketSpec) -> list[AccountSpec]:
    """The market's escrow and fees accounts in both currencies."""
    specs = []
    for currency in (market.base, market.quote):
        owner = f"spot:{market.id}"
        specs.append(
            AccountSpec(
                escrow_account(market, currency), currency, OwnerKind.TREASURY, owner, 1, NO_OVERDRAFT
            )
        )
        specs.append(AccountSpec(fees_account(market, currency), currency, OwnerKind.FEES, owner))
    return specs


def ensure_accounts(database: Database, specs: Sequence[AccountSpec]) -> None:
    """Create `specs` unless they exist as they are; anything else is a clash worth stopping for."""
    for outcome in create_accounts(database, specs):
        if outcome.result not in (CreateAccountResult.OK, CreateAccountResult.EXISTS):
            raise RuntimeError(f"market account {specs[outcome.index].id}: {outcome.result}")
