"""The trading venues' own treasury accounts are named as the transaction monitoring expects
(`risk.monitoring.monitor.VENUE_OWNERS`): an order's hold or a margin deposit moves a trader's money to one
of them, which the monitoring must not count as money leaving (it would freeze every active trader)."""

from api.routing.postings import clearing_specs
from ledger.model import OwnerKind
from matching.markets import TPW_TUSD
from matching.options_market.accounts import margin_spec, venue_specs
from matching.perp_market.accounts import market_specs as perp_specs
from matching.perp_market.accounts import trader_specs as perp_trader_specs
from matching.spot.accounts import market_specs as spot_specs
from matching.spot.accounts import trader_specs as spot_trader_specs
from risk.monitoring.monitor import VENUE_OWNERS


def test_a_venues_own_accounts_and_its_margin_accounts_are_venue_owners() -> None:
    market = [
        *spot_specs(TPW_TUSD),
        *perp_specs("TPW-PERP"),
        *venue_specs("options", ["TPW-20270326-2.5-C"]),
        *clearing_specs(TPW_TUSD, "pool"),
    ]
    assert all(spec.owner_kind is not OwnerKind.CUSTOMER for spec in market)
    wallet, perp_margin = perp_trader_specs("TPW-PERP", 7)
    assert wallet.owner_id == spot_trader_specs(TPW_TUSD, 7)[0].owner_id  # the spot wallet, watched
    owners = [spec.owner_id for spec in [*market, perp_margin, margin_spec("options", 7)]]
    assert all(owner.startswith(VENUE_OWNERS) for owner in owners), owners


def test_a_traders_wallet_is_not_a_venue_owner() -> None:
    """The spot wallet is where the trader's money is its own: moves out of it to anyone else are watched."""
    wallets = [spec.owner_id for spec in spot_trader_specs(TPW_TUSD, 7)]
    assert not any(owner.startswith(VENUE_OWNERS) for owner in wallets), wallets
