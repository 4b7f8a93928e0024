"""A refresh cut short at any step never destroys the key (issue 9, point 12).

Every message of a refresh (round 1, round 2, round 3, confirm = prepare, commit) is withheld from every
subset of the participants: either the request never arrives, or it is processed but its answer is lost.
Then either the coordinator carries on with what it got (aborting or committing as it decides), or it
crashes on the spot and sends nothing more. Whatever happened, at least the threshold of nodes must hold
shares of one generation of the key, and they sign with it through their own signing code. A fresh
coordinator then drives the refresh to its end (`KeyCoordinator.resume_refresh`), the nodes it left behind
are repaired, and every node holds the same key again, signs with it, and takes another refresh.

The default run takes every cut of a 2-of-3 group where the request is lost and the coordinator dies, and
for 3-of-4 and 3-of-5 each step withheld from a fixed sample of subsets (every subset size among them). The
exhaustive enumeration (every subset, lost requests and lost answers, crashing or carrying on: about a
thousand ceremonies, minutes of CPU) is marked `deep` and runs on request: `pytest -m deep`.
"""

import asyncio
import contextlib
import itertools
import os
import random
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from custody.coordinator.ceremony import NodeCaller
from custody.coordinator.errors import KeyCeremonyFailed, KeyCeremonyIncomplete, NodeUnavailable
from custody.frost import PublicKeyPackage
from custody.node.records.shares import find_key, find_prepared
from custody.roster import RosterNode
from tests.helpers.key_group import KeyGroup
from tests.helpers.key_group_signing import sign_through_nodes, signing_services

KEY_ID = "treasury"
FAST_DISK = Path("/dev/shm")
"""Hundreds of ceremonies fsync thousands of records: on a RAM disk, if there is one, that costs no I/O."""
STEPS = ("round1", "round2", "round3", "confirm", "commit")


class CoordinatorCrashed(Exception):
    """The coordinator process died: nothing more leaves it."""


@dataclass(frozen=True)
class Cut:
    """Where a refresh is cut: which step's messages, to which nodes, how, and what the coordinator does."""

    step: str
    nodes: frozenset[int]
    lost: str  # "request": never delivered; "answer": processed, the answer lost
    crash: bool

    def __str__(self) -> str:
        then = "crash" if self.crash else "carry-on"
        return f"{self.step}-{self.lost}-{''.join(map(str, sorted(self.nodes)))}-{then}"


class CuttingCaller:
    """The coordinator's relay, cutting the refresh as `cut` says."""

    def __init__(self, inner: NodeCaller, cut: Cut) -> None:
        self.inner = inner
        self.cut = cut
        self.reached = False
        self.crashed = False

    async def call(
        self, node: RosterNode, method: str, path: str, body: BaseModel | None, answer: Any
    ) -> Any:
        if self.crashed:
            raise CoordinatorCrashed
        if path == f"/v1/keys/refresh/{self.cut.step}":
            self.reached = True
            if node.node_id in self.cut.nodes:
                if self.cut.lost == "answer":
                    await self.inner.call(node, method, path, body, answer)
                raise NodeUnavailable(node.node_id, f"{self.cut.lost} lost")
        elif self.reached and self.cut.crash:
            self.crashed = True
            raise CoordinatorCrashed
        return await self.inner.call(node, method, path, body, answer)


def cuts(size: int, losses: tuple[str, ...], crashes: tuple[bool, ...]) -> Iterator[Cut]:
    """Every cut of a refresh among nodes 1..`size`: each step, each non-empty subset of nodes."""
    subsets = [
        frozenset(nodes)
        for count in range(1, size + 1)
        for nodes in itertools.combinations(range(1, size + 1), count)
    ]
    for step, nodes, lost, crash in itertools.product(STEPS, subsets, losses, crashes):
        yield Cut(step, nodes, lost, crash)


def generations(group: KeyGroup) -> dict[bytes, tuple[PublicKeyPackage, list[int]]]:
    """Each generation of the key the nodes hold (active or prepared), and which nodes hold it."""
    held: dict[bytes, tuple[PublicKeyPackage, list[int]]] = {}
    for node, store in group.keystores.items():
        for stored in (find_key(store, KEY_ID), find_prepared(store, KEY_ID)):
            if stored is not None:
                package = stored.public_key_package
                held.setdefault(package.to_bytes(), (package, []))[1].append(node)
    return held


def quorums(group: KeyGroup, threshold: int) -> list[PublicKeyPackage]:
    """The generations at least `threshold` nodes hold (active or prepared)."""
    return [package for package, nodes in generations(group).values() if len(nodes) >= threshold]


def recover(group: KeyGroup, threshold: int) -> PublicKeyPackage:
    """What operators do after a cut: drive the refresh to its end, then repair every node left behind."""
    keys = group.coordinator()
    with contextlib.suppress(KeyCeremonyIncomplete):  # committed; the lagging nodes are repaired below
        asyncio.run(keys.resume_refresh(KEY_ID))
    assert all(find_prepared(store, KEY_ID) is None for store in group.keystores.values())
    [key] = quorums(group, threshold)  # n < 2t: only one generation can be held by the threshold
    active = {node: find_key(store, KEY_ID) for node, store in group.keystores.items()}
    current = [node for node, stored in active.items() if stored and stored.public_key_package == key]
    keys.public_keys[KEY_ID] = key
    for node in sorted(set(key.verifying_shares) - set(current)):
        asyncio.run(keys.repair(KEY_ID, node, current[:threshold]))
    return key


def run_cut(tmp_path: Path, size: int, threshold: int, cut: Cut) -> None:
    group = KeyGroup(tmp_path, size)
    try:
        asyncio.run(group.coordinator().create_key(threshold, key_id=KEY_ID))
        cutting = CuttingCaller(group.relay, cut)
        coordinator = group.coordinator()
        coordinator.client = cutting
        # It fails, or it succeeds when a prepare acknowledgement was lost but its node committed anyway.
        with contextlib.suppress(KeyCeremonyFailed, CoordinatorCrashed):
            asyncio.run(coordinator.refresh(KEY_ID))
        assert cutting.reached
        with signing_services(group, tmp_path / "signing") as services:
            usable = quorums(group, threshold)
            assert usable, "no generation of the key is held by the threshold of nodes"
            for package in usable:
                sign_through_nodes(group, services, KEY_ID, package)
            key = recover(group, threshold)
            assert asyncio.run(group.coordinator().fetch_key(KEY_ID)).public_key_package == key
            sign_through_nodes(group, services, KEY_ID, key)
            group.now += 301  # sessions the crashed coordinator left open expire; prepared shares never do
            refreshed = asyncio.run(group.coordinator().refresh(KEY_ID))
            sign_through_nodes(group, services, KEY_ID, refreshed.public_key_package)
    finally:
        group.close()


def run_cuts(tmp_path: Path, size: int, threshold: int, chosen: Iterator[Cut]) -> None:
    """Each cut in a fresh `threshold`-of-`size` group, all in one test (pytest's per-test teardown would
    cost more than a cut); a failure names its cut."""
    fast = FAST_DISK if FAST_DISK.is_dir() and os.access(FAST_DISK, os.W_OK) else tmp_path
    with tempfile.TemporaryDirectory(dir=fast, prefix="refresh-cuts-") as root:
        for number, cut in enumerate(chosen):
            try:
                run_cut(Path(root) / str(number), size, threshold, cut)
            except Exception as failure:
                raise AssertionError(f"cut {cut}: {failure!r}") from failure


@pytest.mark.parametrize("step", STEPS)
def test_a_2_of_3_refresh_cut_anywhere_then_crashed_leaves_a_quorum_of_one_generation(
    tmp_path: Path, step: str
) -> None:
    """The default run: each message of `step` withheld from each subset, then the coordinator dies."""
    run_cuts(tmp_path, 3, 2, (cut for cut in cuts(3, ("request",), (True,)) if cut.step == step))


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize(("size", "threshold"), [(4, 3), (5, 3)])
def test_a_larger_refresh_cut_at_every_step_leaves_a_quorum_of_one_generation(
    tmp_path: Path, size: int, threshold: int, step: str
) -> None:
    """The default run for 3-of-4 and 3-of-5: each step, one subset of each size (a fixed sample), the
    request lost or the answer lost, the coordinator dying or carrying on."""
    sample = random.Random(f"{size}-{threshold}-{step}")
    chosen = [
        Cut(step, frozenset(sample.sample(range(1, size + 1), count)), lost, crash)
        for count in range(1, size + 1)
        for lost, crash in [(sample.choice(("request", "answer")), sample.choice((True, False)))]
    ]
    run_cuts(tmp_path, size, threshold, iter(chosen))


@pytest.mark.deep
def test_a_2_of_3_refresh_cut_anywhere_in_every_way_leaves_a_quorum_of_one_generation(tmp_path: Path) -> None:
    """The other ways for 2-of-3: answers lost, and the coordinator carrying on after the cut."""
    every = cuts(3, ("request", "answer"), (True, False))
    run_cuts(tmp_path, 3, 2, (cut for cut in every if (cut.lost, cut.crash) != ("request", True)))


@pytest.mark.deep
@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize(("size", "threshold"), [(4, 3), (5, 3)])
def test_a_larger_refresh_cut_anywhere_leaves_a_quorum_of_one_generation(
    tmp_path: Path, size: int, threshold: int, step: str
) -> None:
    every = cuts(size, ("request", "answer"), (True, False))
    run_cuts(tmp_path, size, threshold, (cut for cut in every if cut.step == step))
