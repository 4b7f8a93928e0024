"""Property: whatever the flow, settlement's transfers keep every currency summing to zero, no trader or
escrow below zero, and each escrow equal to the open orders' needs (the ledger played in memory, so
hypothesis can try many flows; the database tests check the same on SQLite and PostgreSQL)."""

from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.model import TransferSpec
from matching.engine import Amend, Cancel, Command, Engine, Kind, Place, Side, Stp, Tick, Tif
from matching.markets import TPW_TUSD
from matching.spot.accounts import escrow_account, fees_account
from matching.spot.settlement import Settlement, hold_spec, need

TRADERS = (1, 2, 3)

places = st.builds(
    lambda account, side, qty, price, tif, stp: ("place", account, side, qty, price, tif, stp),
    st.sampled_from(TRADERS),
    st.sampled_from(list(Side)),
    st.integers(1, 30),
    st.integers(95, 105),
    st.sampled_from([Tif.GTC, Tif.GTC, Tif.IOC, Tif.FOK, Tif.GTD]),
    st.sampled_from(list(Stp)),
)
others = st.tuples(st.sampled_from(["cancel", "amend", "tick"]), st.integers(0, 50), st.integers(-1, 1))
flows = st.lists(st.one_of(places, places, others), min_size=1, max_size=60)


def _apply(balances: dict[tuple[str, int], int], specs: list[TransferSpec]) -> None:
    for spec in specs:
        assert spec.amount is not None
        assert spec.amount > 0
        balances[(spec.currency, spec.debit_account_id)] -= spec.amount
        balances[(spec.currency, spec.credit_account_id)] += spec.amount


def _command(step: tuple[object, ...], engine: Engine, order_id: int) -> Command:
    ts = engine.clock + 1
    if step[0] == "place":
        _, account, side, qty, price, tif, stp = step
        expiry = ts + 5 if tif is Tif.GTD else 0
        return Place(ts, order_id, account, side, Kind.LIMIT, qty, price, tif=tif, expire_ts=expiry, stp=stp)  # type: ignore[arg-type]
    live = sorted(engine.book.orders)
    if step[0] == "tick" or not live:
        return Tick(ts + 3)
    target = engine.book.orders[live[int(step[1]) % len(live)]]  # type: ignore[call-overload]
    if step[0] == "cancel":
        return Cancel(ts, target.order_id, target.account)
    shift = int(step[2])  # type: ignore[call-overload]
    return Amend(ts, target.order_id, target.account, target.price + shift, max(1, target.leaves - 1 + shift))


@settings(max_examples=150, deadline=None)
@given(flows)
def test_settlement_keeps_every_currency_balanced_and_escrow_equal_to_needs(
    flow: list[tuple[object, ...]],
) -> None:
    engine, settlement = Engine(), Settlement(TPW_TUSD)
    balances: dict[tuple[str, int], int] = defaultdict(int)
    for seq, step in enumerate(flow, start=1):
        cmd = _command(step, engine, seq)
        if isinstance(cmd, Place):
            _apply(balances, [hold_spec(TPW_TUSD, cmd)])  # traders may go negative here: unfunded ones
        elif isinstance(cmd, Amend):  # the market refuses an amend beyond the order's hold
            order = settlement.orders[cmd.order_id]
            if need(TPW_TUSD, order.side, cmd.qty, cmd.price) > order.held:
                continue
        _apply(balances, settlement.apply(seq, cmd, engine.process(cmd)))
        for currency in (TPW_TUSD.base, TPW_TUSD.quote):
            assert sum(amount for (c, _), amount in balances.items() if c == currency) == 0
            open_needs = sum(
                need(TPW_TUSD, Side(order.side), order.leaves, order.price)
                for order in engine.book.orders.values()
                if (TPW_TUSD.quote if order.side == Side.BUY else TPW_TUSD.base) == currency
            )
            assert balances[(currency, escrow_account(TPW_TUSD, currency))] == open_needs
        assert balances[(TPW_TUSD.base, fees_account(TPW_TUSD, TPW_TUSD.base))] == 0
        assert balances[(TPW_TUSD.quote, fees_account(TPW_TUSD, TPW_TUSD.quote))] >= 0
    # every order that is done has given back all it held: only open orders hold anything
    assert set(settlement.orders) == set(engine.book.orders)
