"""A signer node's signed state counter: how a node whose state database was rolled back finds out.

The state database (``state.sqlite``) is the node's memory of what it signed; its rolling budgets are only
as good as that memory. Restored from a backup, it forgets every spend since the backup and the node would
sign them again. The database cannot tell on its own: a backup is a consistent database. So the evidence is
kept outside it, by someone the node does not have to trust for it:

- after every signature share the node increments a counter in its state database, in the transaction that
  records the spend and consumes the nonce, and answers with the share a `StateStatement` "node i's state
  counter is k", signed with its Ed25519 identity key (which lives in the key store, not in the state
  database; the statement's format is `custody.protocol.state`);
- the coordinator keeps the highest statement of each node and presents it in every round-one request;
- a node shown a statement it signed itself whose counter is above its own counter has lost state. It
  records the highest counter it was shown (``attested``) and refuses to sign (409 ``state-rolled-back``)
  while its counter is below that, so a later request without the statement does not undo the alarm. An
  operator who has looked at what happened runs ``tpw-custody node acknowledge-rollback``, which lifts the
  counter to the attested one (`StateGuard.acknowledge`) and records it in the node's audit log.

A statement the node did not sign (another node's, a forged one, one from before a re-enrolment) proves
nothing and is ignored: nobody can make an intact node refuse, and a coordinator that withholds statements
only withholds the alarm (the threat here is an operator's restore, not a compromised coordinator). The
coordinator keeps the statements on disk too (`custody.coordinator.state_book`), so a restart of the API
does not forget them; an operator restoring a node should acknowledge deliberately in any case.
"""

from typing import Final

from custody.envelope import NodeIdentity
from custody.policy.history import SpendHistory
from custody.protocol.errors import StateRolledBack
from custody.protocol.signing import StateStatement
from custody.protocol.state import sign_statement, statement_verifies

_SCHEMA: Final = (
    """
    CREATE TABLE IF NOT EXISTS state_counter (
        id        INTEGER PRIMARY KEY CHECK (id = 1),
        counter   INTEGER NOT NULL,
        attested  INTEGER NOT NULL
    ) STRICT
    """,
    "INSERT OR IGNORE INTO state_counter (id, counter, attested) VALUES (1, 0, 0)",
)


class StateGuard:
    """The ``state_counter`` table of a node's state database and the checks around it."""

    def __init__(self, state: SpendHistory, node_id: int, identity: NodeIdentity | None) -> None:
        """Without an identity (a node never enrolled) statements are neither made nor checked."""
        self._state = state
        self._node_id = node_id
        self._identity = identity
        with state.transaction():
            for statement in _SCHEMA:
                state.execute(statement)

    def counters(self) -> tuple[int, int]:
        """(this node's counter, the highest counter it was shown signed by itself)."""
        ((counter, attested),) = self._state.execute("SELECT counter, attested FROM state_counter")
        return int(counter), int(attested)

    def check(self, presented: StateStatement | None) -> None:
        """Remember a higher counter `presented` by this node's own signature, then StateRolledBack if the
        node's counter is below the highest it was ever shown (durably recorded before raising)."""
        if presented is not None and self._own(presented):
            with self._state.transaction():
                self._state.execute(
                    "UPDATE state_counter SET attested = ? WHERE attested < ?",
                    (presented.counter, presented.counter),
                )
        counter, attested = self.counters()
        if counter < attested:
            raise StateRolledBack(
                f"this node's state counter is {counter} but it signed {attested} before: its state database "
                "was rolled back (restored from a backup?) and may have forgotten spends; it signs nothing "
                "until an operator runs `tpw-custody node acknowledge-rollback`"
            )

    def advance(self) -> StateStatement | None:
        """Count one more signature share; call it inside the transaction that records it. The signed
        statement of the new counter (None without an identity)."""
        ((counter,),) = self._state.execute(
            "UPDATE state_counter SET counter = counter + 1 RETURNING counter"
        )
        if self._identity is None:
            return None
        return sign_statement(self._identity, self._node_id, int(counter))

    def acknowledge(self) -> tuple[int, int]:
        """An operator's decision to sign again after a rollback: the counter rises to the highest attested
        one. Returns (counter before, counter after)."""
        with self._state.transaction():
            before, attested = self.counters()
            after = max(before, attested)
            self._state.execute("UPDATE state_counter SET counter = ?", (after,))
        return before, after

    def _own(self, statement: StateStatement) -> bool:
        if self._identity is None or statement.node_id != self._node_id:
            return False
        return statement_verifies(statement, self._identity.public_keys())
