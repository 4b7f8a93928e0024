"""The ledger accounts of a perpetual market, with ids derived from what they are (no mapping table).

Each trader has one tUSD margin account per perpetual market: its ledger balance is the domain's
`collateral + isolated_margin` (both buckets: moving margin between them moves no money). The market has
the insurance fund, the fees account, the funding pool (it collects what payers pay and hands it to the
receivers in the same batch, so it is back at zero after every settlement), a deposits account holding a
deposit between its ledger move and its journal record (empty whenever no deposit is in flight), and
the PnL clearing account: a realised profit comes from it and a realised loss goes to it, so its balance
is minus the realised PnL of open positions' counterparties (their unrealised PnL, in effect).

Margin accounts and the fund may go below zero in the ledger exactly when they do in the domain (an
account bankrupt at the mark until the fund or ADL covers it): refusing that transfer would make the
ledger disagree with what happened. The trader's wallet (`matching.spot.accounts.trader_account`, shared
with the spot markets) and the deposits account may never go below zero: an unfunded deposit is refused
by the ledger itself.
"""

from __future__ import annotations

from ledger.model import AccountSpec, OwnerKind
from matching.perpetuals.market import FUND_ID
from matching.spot.accounts import NO_OVERDRAFT, derived_id, trader_account, trader_owner

CURRENCY = "QTU"
"""tUSD's ledger code; the perpetual's money unit (10^-6 tUSD) is its minor unit."""
_NAMESPACE = "tpwallet-perp"


def wallet_account(trader: int) -> int:
    """The trader's tUSD account outside the market (shared with the spot markets)."""
    return trader_account(trader, CURRENCY)


def margin_account(market: str, trader: int) -> int:
    """Trader `trader`'s margin in `market`; the fund's (`FUND_ID`) is the insurance fund."""
    if trader == FUND_ID:
        return fund_account(market)
    return derived_id(f"margin|{market}|{trader}", _NAMESPACE)


def fund_account(market: str) -> int:
    return derived_id(f"fund|{market}", _NAMESPACE)


def fees_account(market: str) -> int:
    return derived_id(f"fees|{market}", _NAMESPACE)


def clearing_account(market: str) -> int:
    return derived_id(f"clearing|{market}", _NAMESPACE)


def funding_account(market: str) -> int:
    return derived_id(f"funding|{market}", _NAMESPACE)


def deposits_account(market: str) -> int:
    return derived_id(f"deposits|{market}", _NAMESPACE)


def trader_specs(market: str, trader: int) -> list[AccountSpec]:
    """The trader's wallet (if new) and margin account."""
    return [
        AccountSpec(
            wallet_account(trader), CURRENCY, OwnerKind.CUSTOMER, trader_owner(trader), 1, NO_OVERDRAFT
        ),
        AccountSpec(margin_account(market, trader), CURRENCY, OwnerKind.CUSTOMER, f"perp-trader:{trader}"),
    ]


def market_specs(market: str) -> list[AccountSpec]:
    owner = f"perp:{market}"
    return [
        AccountSpec(fund_account(market), CURRENCY, OwnerKind.TREASURY, owner),
        AccountSpec(fees_account(market), CURRENCY, OwnerKind.FEES, owner),
        AccountSpec(clearing_account(market), CURRENCY, OwnerKind.TREASURY, owner),
        AccountSpec(funding_account(market), CURRENCY, OwnerKind.TREASURY, owner),
        AccountSpec(deposits_account(market), CURRENCY, OwnerKind.TREASURY, owner, 1, NO_OVERDRAFT),
    ]
