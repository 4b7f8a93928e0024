"""The state counter's rules in one state database (the process test is `test_rollback.py`)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from custody.cli import cli
from custody.envelope import NodeIdentity
from custody.node.signing.state_guard import StateGuard
from custody.policy.history import SpendHistory
from custody.protocol.errors import StateRolledBack
from custody.protocol.state import sign_statement, statement_verifies
from tests.helpers.custody_nodes import CustodyGroup

NODE = 4


@pytest.fixture
def identity() -> NodeIdentity:
    return NodeIdentity.generate()


@pytest.fixture
def state(tmp_path: Path) -> Iterator[SpendHistory]:
    with SpendHistory.open(tmp_path / "state.sqlite") as history:
        yield history


def test_every_share_advances_a_counter_the_node_signs(state: SpendHistory, identity: NodeIdentity) -> None:
    guard = StateGuard(state, NODE, identity)
    first, second = guard.advance(), guard.advance()
    assert first is not None
    assert second is not None
    assert (first.node_id, first.counter, second.counter) == (NODE, 1, 2)
    assert statement_verifies(second, identity.public_keys())
    assert not statement_verifies(second, NodeIdentity.generate().public_keys())
    assert not statement_verifies(second.model_copy(update={"counter": 3}), identity.public_keys())


def test_an_older_or_equal_counter_is_fine_and_a_higher_one_is_remembered(
    state: SpendHistory, identity: NodeIdentity
) -> None:
    guard = StateGuard(state, NODE, identity)
    guard.advance()
    guard.check(sign_statement(identity, NODE, 1))
    guard.check(sign_statement(identity, NODE, 0))
    guard.check(None)
    with pytest.raises(StateRolledBack):
        guard.check(sign_statement(identity, NODE, 5))
    with pytest.raises(StateRolledBack):  # remembered: no statement needed any more
        StateGuard(state, NODE, identity).check(None)
    assert guard.acknowledge() == (1, 5)
    guard.check(sign_statement(identity, NODE, 5))
    assert guard.acknowledge() == (5, 5)


def test_statements_the_node_did_not_sign_count_for_nothing(
    state: SpendHistory, identity: NodeIdentity
) -> None:
    guard = StateGuard(state, NODE, identity)
    other = NodeIdentity.generate()
    guard.check(sign_statement(other, NODE, 9))  # another key
    guard.check(sign_statement(identity, NODE + 1, 9))  # its own key, another node's id
    assert guard.counters() == (0, 0)
    StateGuard(state, NODE, None).check(sign_statement(identity, NODE, 9))  # no identity: nothing to check
    assert guard.counters() == (0, 0)


def test_acknowledge_rollback_refuses_a_node_that_never_ran(group_files: CustodyGroup) -> None:
    runner = CliRunner(mix_stderr=False)
    never_ran = runner.invoke(
        cli, ["node", "acknowledge-rollback", "--dir", str(group_files.root), "--node", "1"]
    )
    assert never_ran.exit_code == 2
    assert "no state database" in never_ran.stderr
    unknown = runner.invoke(
        cli, ["node", "acknowledge-rollback", "--dir", str(group_files.root), "--node", "9"]
    )
    assert unknown.exit_code == 2
    with SpendHistory.open(group_files.layout.node(1).settings.state_path) as state:
        StateGuard(state, 1, None)
    intact = runner.invoke(
        cli, ["node", "acknowledge-rollback", "--dir", str(group_files.root), "--node", "1"]
    )
    assert intact.exit_code == 0
    assert "no rollback to acknowledge" in intact.stdout
