"""The rolling limit bounds the group's total, not each node's: n engines, one per node, and a coordinator
that picks any signer sets it likes (issue 9, point 13).

Each node has its own spend history and engine, as on separate machines; a signature needs `threshold`
nodes to authorize it. The coordinator here is the attacker: it rotates signer sets, retries requests with
other sets, and may count on compromised nodes that sign whatever they are asked. The proof is in
`custody.policy.engine`'s docstring; these tests check its statement against the engine itself.
"""

import contextlib
import random
import tempfile
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from chain.intents import ZERO_ADDRESS, TreasuryTx
from custody.policy.budget import apportioned_budget, group_bound
from custody.policy.config import ROLLING_WINDOW_SECONDS
from custody.policy.context import SignContext
from custody.policy.engine import PolicyEngine
from custody.policy.history import SpendHistory
from tests.custody.policy.support import (
    KEY,
    L1,
    TREASURY,
    Clock,
    l1_rules,
    make_policy,
    payment,
    request_id,
)

DAY = ROLLING_WINDOW_SECONDS
ETH = 10**18
LIMIT = 250_000 * ETH
"""The group's rolling 24-hour limit of ether in these tests; one transfer may be as large."""
POLICY = make_policy(
    lambda d: (
        l1_rules(d)["treasury_tx"].update(velocity={"max_signatures": 10_000, "window_seconds": 3600})
        or l1_rules(d)["treasury_tx"]["assets"][ZERO_ADDRESS].update(
            per_tx_limit=LIMIT, rolling_24h_limit=LIMIT
        )
    )
)


class Group:
    """`holders` signer nodes, each its own engine over its own history; the first `compromised` nodes
    sign anything without asking their policy or counting."""

    def __init__(self, directory: Path, threshold: int, holders: int, compromised: int = 0) -> None:
        self.threshold, self.holders, self.compromised = threshold, holders, compromised
        self.clock = Clock()
        self._stack = contextlib.ExitStack()
        self.engines = {
            node: PolicyEngine(POLICY, self._history(directory / f"node-{node}.sqlite"), self.clock)
            for node in range(1, holders + 1)
        }
        self.signed: list[tuple[int, str, int]] = []
        """(time, request label, amount) of every signature completed."""

    def _history(self, path: Path) -> SpendHistory:
        history = self._stack.enter_context(SpendHistory.open(path))
        history.execute(
            "PRAGMA synchronous=OFF"
        )  # durability is tested elsewhere; here, thousands of commits
        return history

    def close(self) -> None:
        self._stack.close()

    def sign(self, label: str, amount: int, signers: list[int], intent: TreasuryTx | None = None) -> bool:
        """Ask every node of `signers` (all of them, as a coordinator may, even after a refusal) to sign
        `intent` (default: a new payment of `amount`); the signature exists if each released its share."""
        if intent is None:
            intent = payment(amount, token=ZERO_ADDRESS, deadline=self.clock.now + DAY)
        amount = intent.amount
        released = 0
        for node in signers:
            if node <= self.compromised:
                released += 1
                continue
            engine = self.engines[node]
            rid, digest = request_id(label), intent.digest(L1, TREASURY)
            ctx = SignContext.for_intent(
                key_id=KEY,
                request_id=rid,
                intent=intent,
                chain_id=L1,
                verifying_contract=TREASURY,
                first_seen=engine.first_seen(rid, digest),
                threshold=self.threshold,
                holders=self.holders,
            )
            released += engine.authorize(ctx).allowed
        done = released == len(signers) >= self.threshold
        if done:
            self.signed.append((self.clock.now, label, amount))
        return done

    def worst_window(self) -> int:
        """The largest total of distinct intents signed within any 24 hours."""
        worst = 0
        for end, _, _ in self.signed:
            inside = {label: amount for at, label, amount in self.signed if end - DAY < at <= end}
            worst = max(worst, sum(inside.values()))
        return worst


@contextlib.contextmanager
def group(threshold: int, holders: int, compromised: int = 0) -> Iterator[Group]:
    with tempfile.TemporaryDirectory() as directory:
        made = Group(Path(directory), threshold, holders, compromised)
        try:
            yield made
        finally:
            made.close()


def test_the_reproduction_rotating_signer_sets_no_longer_passes_the_limit() -> None:
    """The review's reproduction: 2-of-3, 125,000 a time, signer sets {1,2}, {2,3}, {1,3} signed 375,000
    against a 250,000 limit when each node had the whole limit."""
    with group(2, 3) as g:
        results = [
            g.sign(f"rotate-{i}", 125_000 * ETH, signers)
            for i, signers in enumerate([[1, 2], [2, 3], [1, 3]])
        ]
        assert sum(amount for _, _, amount in g.signed) <= LIMIT
        assert results == [True, False, False]


def test_the_documented_bounds() -> None:
    assert group_bound(LIMIT, 2, 3) == LIMIT
    assert group_bound(LIMIT, 2, 3, 1) == Fraction(4, 3) * LIMIT
    assert group_bound(LIMIT, 3, 5, 2) == Fraction(9, 5) * LIMIT
    assert group_bound(LIMIT, 2, 3, 2) is None


def test_a_node_has_t_over_n_of_the_limit() -> None:
    assert apportioned_budget(LIMIT, 2, 3) == 2 * LIMIT // 3
    assert apportioned_budget(LIMIT, 3, 5) == 3 * LIMIT // 5
    assert apportioned_budget(7, 2, 3) == 4  # rounded down: n budgets never pay for more than t·L
    assert apportioned_budget(LIMIT, 1, 1) == LIMIT


def test_the_whole_limit_is_usable_when_spread_over_the_nodes() -> None:
    """3-of-5: each node may sign 150,000; five 50,000 transfers on balanced sets use the whole 250,000."""
    with group(3, 5) as g:
        sets = [[1, 2, 3], [4, 5, 1], [2, 3, 4], [5, 1, 2], [3, 4, 5]]
        assert all(g.sign(f"spread-{i}", 50_000 * ETH, signers) for i, signers in enumerate(sets))
        assert sum(amount for _, _, amount in g.signed) == LIMIT
        assert not g.sign("one-more", 1, [1, 2, 3])


shapes = st.sampled_from([(2, 3), (3, 5), (3, 4), (2, 2), (4, 7)])
amounts = st.one_of(
    st.sampled_from([LIMIT, LIMIT // 2, LIMIT // 3, 125_000 * ETH, 50_000 * ETH, 1]),
    st.integers(min_value=0, max_value=LIMIT),
)
steps = st.one_of(st.sampled_from([0, 1, DAY - 1, DAY, 3600]), st.integers(min_value=0, max_value=DAY))
moves = st.lists(
    st.tuples(amounts, st.randoms(use_true_random=False), steps, st.booleans()), min_size=1, max_size=25
)
"""(amount, the coordinator's choice of signers, clock step, retry an earlier request instead)."""


def _play(g: Group, sequence: list[tuple[int, object, int, bool]]) -> None:
    earlier: list[tuple[str, TreasuryTx]] = []
    for index, (amount, chooser, step, retry) in enumerate(sequence):
        g.clock.advance(step)
        label, intent = f"r{index}", payment(amount, token=ZERO_ADDRESS, deadline=g.clock.now + DAY)
        if retry and earlier:
            label, intent = chooser.choice(earlier)  # type: ignore[attr-defined]
        size = chooser.randint(g.threshold, g.holders)  # type: ignore[attr-defined]
        signers = chooser.sample(range(1, g.holders + 1), size)  # type: ignore[attr-defined]
        g.sign(label, intent.amount, signers, intent)
        earlier.append((label, intent))


@given(shapes, moves)
@example((2, 3), [(125_000 * ETH, random.Random(i), 0, False) for i in range(6)])
def test_no_signer_sets_let_the_group_pass_its_limit(
    shape: tuple[int, int], sequence: list[tuple[int, object, int, bool]]
) -> None:
    """Whatever sets the coordinator picks, retries and timing included, no 24 hours hold more than L."""
    threshold, holders = shape
    with group(threshold, holders) as g:
        _play(g, sequence)
        assert g.worst_window() <= LIMIT


@given(shapes, moves, st.integers(min_value=1, max_value=3))
def test_with_compromised_nodes_the_group_stays_within_the_documented_bound(
    shape: tuple[int, int], sequence: list[tuple[int, object, int, bool]], compromised: int
) -> None:
    """c < t compromised nodes sign anything: the total stays within (n - c)·t·L / (n·(t - c))."""
    threshold, holders = shape
    compromised = min(compromised, threshold - 1)
    with group(threshold, holders, compromised) as g:
        _play(g, sequence)
        worst = group_bound(LIMIT, threshold, holders, compromised)
        assert worst is not None
        assert g.worst_window() <= worst
