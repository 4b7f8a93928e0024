"""The group's rolling limit through real node processes (issue 9, point 13): a coordinator that rotates
signer sets, or interleaves concurrent sessions, cannot make a t-of-n group sign more than the limit in 24
hours; the coordinator's choice by remaining budget lets the group sign all of it.

One group of five real nodes holds a 2-of-3 key (nodes 1-3) and a 3-of-5 key (nodes 1-5); every test spends
its own token, so each starts with full budgets. `sign_with` is a coordinator that picks the signer set
itself, as an attacker would.
"""

import asyncio
import itertools
import time
from collections.abc import Iterator, Sequence

import pytest
from eth_utils import to_checksum_address

from chain.intents import CustodyTransfer
from custody.coordinator.client import NodeClient
from custody.coordinator.errors import NodeRefused, SigningFailed
from custody.frost import SignatureShare, SigningPackage, aggregate
from custody.protocol.ids import key_version
from custody.protocol.signing import Commitment, IntentEnvelope, Round1Request, Round2Request
from tests.helpers.custody_nodes import (
    TEST_CHAIN_ID,
    TEST_CONTRACT,
    CustodyGroup,
    domain_policy,
    request_id,
)
from tests.helpers.frost_signing import fixed_key

UNIT = 10**6
LIMIT = 250_000 * UNIT
"""Every token's rolling 24-hour limit (tUSD-like, 6 decimals); a transfer may be as large."""
TOKENS = [to_checksum_address(f"0x{index:040x}") for index in range(0x1001, 0x1009)]
PAYEE = "0x000000000000000000000000000000000000dEaD"
PAIR, QUINT = "pair", "quint"
"""The 2-of-3 key and the 3-of-5 key."""
_nonces = itertools.count()


ASSETS = "\n".join(
    f'    "{token}": {{per_tx_limit: {LIMIT}, rolling_24h_limit: {LIMIT}}}' for token in TOKENS
)
POLICY = domain_policy(
    "Anchor, CustodyTransfer",
    f"""\
anchor:
  kinds: [1, 2]
  velocity: {{max_signatures: 100000000, window_seconds: 3600}}
custody_transfer:
  destinations: any
  max_deadline_horizon_seconds: 86400
  velocity: {{max_signatures: 100000000, window_seconds: 3600}}
  assets:
{ASSETS}
""",
)


@pytest.fixture(scope="module")
def five_nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CustodyGroup]:
    keys = {
        PAIR: fixed_key(13, min_signers=2, max_signers=3),
        QUINT: fixed_key(31, min_signers=3, max_signers=5),
    }
    with CustodyGroup(tmp_path_factory.mktemp("spend-limits"), keys, size=5, policy_yaml=POLICY) as group:
        group.start()
        yield group


def transfer(token: int, amount: int) -> IntentEnvelope:
    """A fresh CustodyTransfer of `amount` base units of TOKENS[token]."""
    intent = CustodyTransfer(
        to=PAYEE,
        token=TOKENS[token],
        amount=amount,
        nonce=next(_nonces),
        deadline=int(time.time()) + 3600,
    )
    return IntentEnvelope.of(intent, TEST_CHAIN_ID, TEST_CONTRACT)


async def sign_with(
    client: NodeClient, group: CustodyGroup, key_id: str, signers: Sequence[int], intent: IntentEnvelope
) -> bool:
    """Both rounds on exactly `signers`, as a coordinator choosing the set would; True if a valid signature
    came out. Round two goes to every signer that committed, even when another refused round one."""
    session, rid = f"spend{next(_nonces):012d}tests", request_id()
    version = key_version(group.public_keys()[key_id])
    ask = Round1Request(session_id=session, key_id=key_id, key_version=version, request_id=rid, intent=intent)
    nodes = [group.roster.node(node_id) for node_id in signers]
    answers = await asyncio.gather(*(client.round1(node, ask) for node in nodes), return_exceptions=True)
    committed = {
        node.node_id: Commitment(hiding=answer.hiding, binding=answer.binding)
        for node, answer in zip(nodes, answers, strict=True)
        if not isinstance(answer, BaseException)
    }
    for answer in answers:
        if isinstance(answer, BaseException) and not isinstance(answer, NodeRefused):
            raise answer
    if not committed:
        return False
    return await _round2(client, group, key_id, session, rid, intent, committed)


async def _round2(
    client: NodeClient,
    group: CustodyGroup,
    key_id: str,
    session: str,
    rid: str,
    intent: IntentEnvelope,
    committed: dict[int, Commitment],
) -> bool:
    ask = Round2Request(
        session_id=session,
        key_id=key_id,
        key_version=key_version(group.public_keys()[key_id]),
        request_id=rid,
        intent=intent,
        commitments=committed,
    )
    nodes = [group.roster.node(node_id) for node_id in committed]
    answers = await asyncio.gather(*(client.round2(node, ask) for node in nodes), return_exceptions=True)
    shares = {
        node.node_id: SignatureShare.from_bytes(bytes.fromhex(answer.share))
        for node, answer in zip(nodes, answers, strict=True)
        if not isinstance(answer, BaseException)
    }
    public = group.keys[key_id][1]
    assert public.min_signers is not None
    if len(shares) < len(committed) or len(shares) < public.min_signers:
        return False
    package = SigningPackage(
        {node_id: wire.decode() for node_id, wire in committed.items()}, intent.decode()[1]
    )
    aggregate(package, shares, public)  # raises if any share or the signature is wrong
    return True


@pytest.mark.parametrize(
    ("key_id", "token", "sets", "amount"),
    [
        (PAIR, 0, [[1, 2], [2, 3], [1, 3]] * 2, 125_000 * UNIT),
        (QUINT, 1, [list(s) for s in itertools.combinations(range(1, 6), 3)], 75_000 * UNIT),
    ],
    ids=["2-of-3", "3-of-5"],
)
def test_rotating_signer_sets_cannot_pass_the_group_limit(
    five_nodes: CustodyGroup, key_id: str, token: int, sets: list[list[int]], amount: int
) -> None:
    """The review's reproduction: 2-of-3 rotating {1,2}, {2,3}, {1,3} at 125,000 signed 375,000 against a
    250,000 limit; 3-of-5 rotating all ten sets at 75,000 signed 750,000. Now no rotation passes it."""

    async def rotate() -> int:
        async with NodeClient(five_nodes.client_context()) as client:
            results = [await sign_with(client, five_nodes, key_id, s, transfer(token, amount)) for s in sets]
        return sum(results) * amount

    assert asyncio.run(rotate()) <= LIMIT


def test_concurrent_sessions_on_every_signer_set_cannot_pass_the_limit(five_nodes: CustodyGroup) -> None:
    """Three 2-of-3 sessions, one per signer set, all committed before any signs (each node then sees two
    of the three spends coming): at most one 125,000 signature comes out of 250,000, never all three."""

    async def interleave() -> int:
        async with NodeClient(five_nodes.client_context()) as client:
            sets = [[1, 2], [2, 3], [1, 3]]
            signed = await asyncio.gather(
                *(sign_with(client, five_nodes, PAIR, s, transfer(2, 125_000 * UNIT)) for s in sets)
            )
        return sum(signed) * 125_000 * UNIT

    assert asyncio.run(interleave()) <= LIMIT


def test_concurrent_coordinator_calls_stay_within_the_limit(five_nodes: CustodyGroup) -> None:
    """Twelve concurrent `SigningCoordinator.sign` calls of 50,000 on the 3-of-5 key: at most five are
    signed."""

    async def sign_all() -> list[bool]:
        async with five_nodes.coordinator() as coordinator:

            async def one() -> bool:
                try:
                    await coordinator.sign(QUINT, request_id(), transfer(3, 50_000 * UNIT))
                except SigningFailed:
                    return False
                return True

            return list(await asyncio.gather(*(one() for _ in range(12))))

    signed = asyncio.run(sign_all())
    assert isinstance(signed, list)
    assert sum(signed) >= 1
    assert sum(signed) * 50_000 * UNIT <= LIMIT


@pytest.mark.parametrize(
    ("key_id", "token", "amount", "count", "usable"),
    [
        (QUINT, 4, 50_000 * UNIT, 5, LIMIT),
        # A key held by 3 of the roster's 5 nodes: n is the roster's size (a refresh could shrink the
        # holders), so its holders' budgets are 2/5 of the limit each and the group reaches 3/5 of it.
        (PAIR, 5, 50_000 * UNIT, 3, 3 * (2 * LIMIT // 5) // 2),
    ],
    ids=["3-of-5", "2-of-3-among-5"],
)
def test_the_coordinator_spreads_spending_so_the_group_signs_its_whole_limit(
    five_nodes: CustodyGroup,
    monkeypatch: pytest.MonkeyPatch,
    key_id: str,
    token: int,
    amount: int,
    count: int,
    usable: int,
) -> None:
    """Each node has t/n of the limit; picking the signers with the most budget left signs all its holders
    can (the whole limit when every roster node holds the key, up to rounding), even with the roster order
    fixed (picking nodes 1-3 every time would stop at 3/5)."""
    monkeypatch.setattr("custody.coordinator.signing.random.shuffle", lambda nodes: None)

    async def fill() -> int:
        signed = 0
        async with five_nodes.coordinator() as coordinator:
            for _ in range(count):
                await coordinator.sign(key_id, request_id(), transfer(token, amount))
                signed += amount
            with pytest.raises(SigningFailed):
                await coordinator.sign(key_id, request_id(), transfer(token, amount))
        return signed

    signed = asyncio.run(fill())
    assert isinstance(signed, int)
    assert usable - amount < signed <= usable <= LIMIT


def test_a_node_reports_what_is_left_of_its_budget(five_nodes: CustodyGroup) -> None:
    """Round one says what the node could still sign; round two what is left after this spend."""

    async def one() -> tuple[str | None, str | None]:
        async with NodeClient(five_nodes.client_context()) as client:
            intent, node = transfer(6, 10_000 * UNIT), five_nodes.roster.node(1)
            rid, session = request_id(), "budget-report-session-1"
            version = key_version(five_nodes.public_keys()[PAIR])
            first = await client.round1(
                node,
                Round1Request(
                    session_id=session, key_id=PAIR, key_version=version, request_id=rid, intent=intent
                ),
            )
            other = await client.round1(
                five_nodes.roster.node(2),
                Round1Request(
                    session_id=session, key_id=PAIR, key_version=version, request_id=rid, intent=intent
                ),
            )
            commitments = {
                1: Commitment(hiding=first.hiding, binding=first.binding),
                2: Commitment(hiding=other.hiding, binding=other.binding),
            }
            second = await client.round2(
                node,
                Round2Request(
                    session_id=session,
                    key_id=PAIR,
                    key_version=version,
                    request_id=rid,
                    intent=intent,
                    commitments=commitments,
                ),
            )
            return first.budget_remaining, second.budget_remaining

    before, after = asyncio.run(one())
    assert before == str(2 * LIMIT // 5)  # t/n of the limit, n the roster's five nodes
    assert after == str(2 * LIMIT // 5 - 10_000 * UNIT)
