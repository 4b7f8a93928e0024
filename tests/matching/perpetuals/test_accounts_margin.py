"""Fills on positions (entry value, realised PnL, the floor's remainder), tiers, leverage and `check`."""

from __future__ import annotations

from dataclasses import replace

import pytest

from matching.perpetuals.accounts import Account, MarginMode, apply_fill
from matching.perpetuals.errors import SpecError
from matching.perpetuals.margin import (
    Health,
    admit,
    carries,
    check,
    initial_margin,
    maintenance_margin,
)
from matching.perpetuals.spec import PerpSpec, Tier

from .helpers import SPEC, Venue


def test_fills_track_entry_value_and_realise_pnl() -> None:
    a = Account(1, collateral=10_000)
    apply_fill(a, 3, 1_000, SPEC)
    apply_fill(a, 1, 1_004, SPEC)
    assert (a.position.size, a.position.entry_value) == (4, 4_004)
    assert apply_fill(a, -1, 1_010, SPEC) == 1_010 - 1_001  # entry share floored: 4004 // 4 = 1001
    assert apply_fill(a, -3, 1_000, SPEC) == 3_000 - 3_003  # the last lots take the rest
    assert a.position == a.position.__class__(0, 0, 6)
    assert a.collateral == 10_006


def test_a_flip_closes_then_opens_at_the_fill_price() -> None:
    a = Account(1, collateral=10_000)
    apply_fill(a, 2, 1_000, SPEC)
    assert apply_fill(a, -5, 1_100, SPEC) == 200
    assert (a.position.size, a.position.entry_value) == (-3, -3_300)


def test_floor_remainders_are_realised_with_the_last_lot() -> None:
    a = Account(1)
    for price in (1_000, 1_001, 1_001):
        apply_fill(a, 1, price, SPEC)
    total = sum(apply_fill(a, -1, 1_000, SPEC) for _ in range(3))
    assert total == 3_000 - 3_002
    assert a.position.entry_value == 0


def test_tiers_raise_rates_with_size() -> None:
    assert SPEC.tier(10).imr_bps == 2_000
    assert SPEC.tier(-11).imr_bps == 2_500
    assert SPEC.tier(10**9).mmr_bps == 2_500
    assert maintenance_margin(10, 1_000, SPEC) == 500
    assert maintenance_margin(-20, 1_000, SPEC) == 2_000
    assert initial_margin(10, 1_000, 5, SPEC) == 2_000
    assert initial_margin(10, 1_000, 2, SPEC) == 5_000  # lower leverage chosen: more margin
    assert initial_margin(60, 1_000, 5, SPEC) == 30_000  # the 2x tier overrides 5x


def test_spec_refuses_unsafe_tiers() -> None:
    with pytest.raises(SpecError, match="ordered"):
        PerpSpec(tiers=(Tier(10, 2_000, 500), Tier(5, 2_500, 1_000), Tier(0, 5_000, 2_500)))
    with pytest.raises(SpecError, match="unbounded"):
        PerpSpec(tiers=(Tier(10, 2_000, 500),))
    with pytest.raises(SpecError, match="must not fall"):
        PerpSpec(tiers=(Tier(10, 2_000, 500), Tier(0, 1_000, 2_500)))
    with pytest.raises(SpecError, match="default leverage"):
        PerpSpec(default_leverage=20)
    with pytest.raises(SpecError, match="whole number"):
        PerpSpec(lot_base_units=3)  # 3 × 100e-18 tUSD units is not a whole unit
    with pytest.raises(SpecError, match="unwind_max_lots"):
        PerpSpec(unwind_max_lots=0)
    with pytest.raises(SpecError, match="unwind band"):
        PerpSpec(unwind_band_bps=10_000)


def test_check_thresholds() -> None:
    a = Account(1, collateral=2_000)
    apply_fill(a, 10, 1_000, SPEC)  # notional 10_000: IM 2000, MM 500, call below 750
    assert check(a, 1_000, SPEC).health is Health.HEALTHY
    assert check(a, 865, SPEC).health is Health.HEALTHY  # equity 650 >= 1.5 × 433
    assert check(a, 864, SPEC).health is Health.MARGIN_CALL  # equity 640 < 1.5 × 432
    assert check(a, 843, SPEC).health is Health.MARGIN_CALL  # equity 430 >= 422
    assert check(a, 842, SPEC).health is Health.LIQUIDATE  # equity 420 < 421
    state = check(a, 834, SPEC)  # equity 340, MM 417
    assert state.health is Health.LIQUIDATE
    assert state.equity == 340
    assert state.maintenance == 417
    assert check(Account(2), 1, SPEC).health is Health.HEALTHY


def test_admit_caps_leverage_and_always_lets_a_position_shrink() -> None:
    a = Account(1, collateral=2_100)
    assert admit(a, [(10, 1_000)], 1_000, SPEC)  # 2000 IM + 5 fee
    assert not admit(a, [(11, 1_000)], 1_000, SPEC)  # 11 lots: 2nd tier, IM 2750
    apply_fill(a, 10, 1_000, SPEC)
    assert admit(a, [(-10, 1_000)], 500, SPEC)  # closing, even deep under water
    assert not admit(a, [(-25, 1_000)], 1_000, SPEC)  # a flip that opens 15 short needs margin


def test_isolated_margin_bears_only_its_own_loss() -> None:
    v = Venue()
    v.perp.open_account(1, MarginMode.ISOLATED)
    v.perp.deposit(1, 10_000)
    v.funded((2, 10_000))
    v.trade(1, 2, 10, 1_000)
    one = v.perp.accounts[1]
    assert one.isolated_margin == 2_000
    assert one.collateral == 10_000 - 2_000 - 5
    v.move(820)  # isolated equity 200 < maintenance 410; the book is empty
    v.liquidate()
    assert one.position.size == 0
    assert one.isolated_margin == 0
    assert one.collateral >= 8_000 - 5  # the wallet outside the isolated margin is untouched
    assert v.perp.conserved() == v.perp.deposited


def test_withdraw_keeps_initial_margin() -> None:
    v = Venue().funded((1, 3_000), (2, 3_000))
    v.trade(1, 2, 10, 1_000)
    assert not v.perp.withdraw(1, 1_000)
    assert v.perp.withdraw(1, 900)
    assert v.perp.conserved() == v.perp.deposited == 5_100


def test_isolated_admission_counts_the_wallet_once() -> None:
    a = Account(1, collateral=2_100, mode=MarginMode.ISOLATED)
    assert admit(a, [(10, 1_000)], 1_000, SPEC)  # IM 2000 from a 2100 wallet
    assert not admit(a, [(13, 1_000)], 1_000, SPEC)  # IM 3250: the wallet is not counted twice


def test_admit_counts_every_order_resting_on_the_side() -> None:
    a = Account(1, collateral=2_100)
    assert admit(a, [(5, 1_000)], 1_000, SPEC)
    assert not admit(a, [(5, 1_000), (5, 1_000), (1, 1_000)], 1_000, SPEC)  # 11 lots if all fill
    assert admit(a, [(5, 1_000), (5, 1_000)], 1_000, SPEC)  # 10 lots: IM 2000 + 2 × 2.5 fee
    apply_fill(a, 10, 1_000, SPEC)
    assert admit(a, [(-4, 1_000), (-6, 1_000)], 1_000, SPEC)  # sells that only close
    assert not admit(a, [(-6, 1_000), (-6, 1_000)], 700, SPEC)  # ... and one that opens 2 short under water


def test_admit_books_a_limit_price_loss_but_not_its_gain() -> None:
    a = Account(1, collateral=2_100)
    assert not admit(a, [(10, 1_010)], 1_000, SPEC)  # buying 1 % over the mark: 100 lost at once
    assert not admit(a, [(11, 900)], 1_000, SPEC)  # under the mark: the gain does not margin 11 lots
    assert admit(a, [(10, 900)], 1_000, SPEC)


def test_carries_refuses_money_leaving_from_under_resting_orders() -> None:
    a = Account(1, collateral=2_100)
    buys = [(10, 1_000)]
    assert carries(a, buys, [], 1_000, SPEC, withheld=95)
    assert not carries(a, buys, [], 1_000, SPEC, withheld=96)  # 2004 left < 2000 IM + 5 fee
    assert carries(a, [], [], 1_000, SPEC, withheld=2_100)  # no orders: the position is the domain's check
    assert not carries(replace(a, leverage=2), buys, [(-1, 1_000)], 1_000, SPEC)  # IM 5000 at 2x
