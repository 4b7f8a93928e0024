"""Properties of the engine over random request sequences: no 24-hour or velocity window ever overfills."""

import tempfile
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from chain.intents import ZERO_ADDRESS, TreasuryTx
from custody.policy.config import ROLLING_WINDOW_SECONDS
from custody.policy.context import SignContext
from custody.policy.engine import PolicyEngine
from custody.policy.history import SpendHistory
from tests.helpers.policy import (
    ETH_DAILY,
    ETH_PER_TX,
    HORIZON,
    KEY,
    L1,
    TREASURY,
    Clock,
    l1_rules,
    make_policy,
    payment,
    request_id,
)

MAX_SIGNATURES = 6
WINDOW = 3600
POLICY = make_policy(
    lambda d: l1_rules(d)["treasury_tx"]["velocity"].update(
        max_signatures=MAX_SIGNATURES, window_seconds=WINDOW
    )
)

DAY = ROLLING_WINDOW_SECONDS
amounts = st.one_of(
    st.sampled_from([0, 1, ETH_PER_TX // 2, 3 * ETH_PER_TX // 4, ETH_PER_TX - 1, ETH_PER_TX, ETH_PER_TX + 1]),
    st.integers(min_value=0, max_value=ETH_PER_TX),
)
steps = st.one_of(
    st.sampled_from([0, 1, 600, WINDOW - 1, WINDOW, DAY - 1, DAY, -1, -WINDOW]),
    st.integers(min_value=-DAY, max_value=DAY),
)
"""How far the clock moves before each request: mostly forward, around the window edges, sometimes back."""
requests = st.lists(st.tuples(amounts, steps, st.booleans()), max_size=12)
"""(amount, clock step, retry the previous request instead of making a new one)."""

FILL_THE_DAY = [(ETH_PER_TX, WINDOW, False)] * 5 + [(ETH_PER_TX, DAY - 4 * WINDOW - 1, False)]
"""Four payments fill the day; the fifth and sixth come one second before a slot frees up."""
RETRY_WHEN_FULL = [(ETH_PER_TX, 0, False)] * 4 + [(0, 1, True), (0, 1, False)]
"""A retry of a request already signed is judged as the first try; a new one is over the limit."""
BURST = [(1, 0, False)] * (MAX_SIGNATURES + 2) + [(1, WINDOW - 1, False), (1, 1, False)]


def expected_allowed(signed: dict[bytes, tuple[int, int]], ctx: SignContext, now: int) -> bool:
    """The policy restated as plainly as possible: what the engine must answer, given what it signed."""
    intent = ctx.intent
    assert isinstance(intent, TreasuryTx)
    others = [(at, amount) for rid, (at, amount) in signed.items() if rid != ctx.request_id]
    return (
        now < intent.deadline <= now + HORIZON
        and intent.amount <= ETH_PER_TX
        and sum(amount for at, amount in others if at > now - DAY) + intent.amount <= ETH_DAILY
        and len([at for at, _ in others if at > now - WINDOW]) + 1 <= MAX_SIGNATURES
    )


@given(requests)
@example(FILL_THE_DAY)
@example(BURST)
@example(RETRY_WHEN_FULL)
def test_signed_amounts_and_counts_never_overfill_a_window(sequence: list[tuple[int, int, bool]]) -> None:
    """Every answer matches the plain model, and no window ever holds more than the limits allow."""
    with (
        tempfile.TemporaryDirectory() as directory,
        SpendHistory.open(Path(directory) / "s.sqlite") as history,
    ):
        clock = Clock()
        engine = PolicyEngine(POLICY, history, clock)
        signed: dict[bytes, tuple[int, int]] = {}
        ctx: SignContext | None = None
        for index, (amount, step, retry) in enumerate(sequence):
            clock.advance(step)
            if not retry or ctx is None:
                ctx = SignContext.for_intent(
                    key_id=KEY,
                    request_id=request_id(str(index)),
                    intent=payment(amount, token=ZERO_ADDRESS, deadline=clock.now + 60),
                    chain_id=L1,
                    verifying_contract=TREASURY,
                    first_seen=clock.now,
                )
            expected = expected_allowed(signed, ctx, clock.now)
            assert engine.authorize(ctx).allowed == expected
            if expected:
                # a retry signs again now: its one record moves to the later of the two times
                first = signed.get(ctx.request_id, (clock.now, 0))[0]
                signed[ctx.request_id] = (max(first, clock.now), ctx.intent.amount)  # type: ignore[attr-defined]

        for rid, (at, amount) in signed.items():
            record = history.signed(rid)
            assert record is not None
            assert (record.signed_at, record.amount) == (at, amount)
        for moment, _ in signed.values():
            in_day = [amount for at, amount in signed.values() if moment - DAY < at <= moment]
            assert sum(in_day) <= ETH_DAILY
            in_window = [at for at, _ in signed.values() if moment - WINDOW < at <= moment]
            assert len(in_window) <= MAX_SIGNATURES
        assert history.spent(KEY, L1, ZERO_ADDRESS, since=-(2**62)) == sum(a for _, a in signed.values())
