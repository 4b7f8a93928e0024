"""The ledger accounts an option venue adds to the spot ones: margin, each series' settlement, shortfall.

A venue is one mode's set of series (`options` live, `options.sandbox` for sandbox keys). Premiums use the
spot machinery's accounts: the trader's tUSD account (shared with spot) and each series' escrow and fees
accounts (`matching.spot.accounts`, named by the series' market id). On top of them:

- a **margin** account per (venue, trader): what the scenario scan requires is moved here from the
  trader's tUSD before a short-increasing order is journaled; it pays the trader's shorts at expiry;
- a **settlement** account per series: shorts pay in, longs are paid out, zero once a series is settled
  (no overdraft: longs are only paid from what shorts paid in);
- a **shortfall** account per venue, which alone may go below zero: what a short could not pay from its
  margin and its wallet (a move beyond what margin covered) is advanced from it so longs are paid in full,
  and its balance is the venue's claim on those traders.

Ids are derived from names, as spot's are (62 bits of SHA-256), so every process names the same account.
"""

from __future__ import annotations

import hashlib

from ledger.model import AccountFlags, AccountSpec, OwnerKind
from matching.options.series import QUOTE

NO_OVERDRAFT = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS


def _derived_id(name: str) -> int:
    digest = hashlib.sha256(f"tpwallet-options|{name}".encode()).digest()
    return (int.from_bytes(digest[:8], "big") >> 2) or 1


def margin_account(venue: str, trader: int) -> int:
    return _derived_id(f"margin|{venue}|{trader}")


def settlement_account(market_id: str) -> int:
    return _derived_id(f"settlement|{market_id}")


def shortfall_account(venue: str) -> int:
    return _derived_id(f"shortfall|{venue}")


def margin_spec(venue: str, trader: int) -> AccountSpec:
    return AccountSpec(
        margin_account(venue, trader),
        QUOTE,
        OwnerKind.CUSTOMER,
        f"options-margin:{venue}:{trader}",
        1,
        NO_OVERDRAFT,
    )


def venue_specs(venue: str, market_ids: list[str]) -> list[AccountSpec]:
    """The venue's shortfall account and every series' settlement account."""
    specs = [AccountSpec(shortfall_account(venue), QUOTE, OwnerKind.TREASURY, f"options:{venue}")]
    specs.extend(
        AccountSpec(
            settlement_account(market_id), QUOTE, OwnerKind.TREASURY, f"options:{market_id}", 1, NO_OVERDRAFT
        )
        for market_id in market_ids
    )
    return specs
