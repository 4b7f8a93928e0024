"""A batch of transfer events evaluated in order, linked chains committing all or none.

As in TigerBeetle, an event flagged `linked` is chained to the next one; the chain ends at the first event
without the flag. When any event of a chain fails, the chain's effects are undone and each other event of it
answers `linked_event_failed`; a chain still open at the end of the batch fails as a whole, its last event
answering `linked_event_chain_open`. Each event gets its own timestamp (the batch's time plus its index, in
ns), so the journal has a total order even within one batch.
"""

from collections.abc import Callable, Sequence

from ledger.model import TransferFlags, TransferSpec
from ledger.results import CreateTransferResult, TransferOutcome
from ledger.rules import apply_event
from ledger.state import BatchState

_LINKED = int(TransferFlags.LINKED)


def _chain_end(specs: Sequence[TransferSpec], start: int) -> int:
    """Index of the last event of the chain starting at `start` (the batch's last if the chain is open)."""
    end = start
    while end < len(specs) - 1 and int(specs[end].flags) & _LINKED:
        end += 1
    return end


def evaluate_batch(
    specs: Sequence[TransferSpec],
    state: BatchState,
    timestamp: int,
    new_id: Callable[[], int],
    *,
    expiring: bool = False,
) -> list[TransferOutcome]:
    """Apply `specs` to `state`; one outcome per spec, in order (`expiring`: see `rules.apply_event`)."""
    outcomes: list[TransferOutcome | None] = [None] * len(specs)
    start = 0
    while start < len(specs):
        end = _chain_end(specs, start)
        failed = _evaluate_chain(specs, start, end, state, timestamp, new_id, outcomes, expiring)
        if failed is not None:
            for index in range(start, end + 1):
                if index != failed:
                    outcomes[index] = TransferOutcome(index, CreateTransferResult.LINKED_EVENT_FAILED, None)
        start = end + 1
    return [outcome for outcome in outcomes if outcome is not None]


def _evaluate_chain(
    specs: Sequence[TransferSpec],
    start: int,
    end: int,
    state: BatchState,
    timestamp: int,
    new_id: Callable[[], int],
    outcomes: list[TransferOutcome | None],
    expiring: bool,
) -> int | None:
    """Evaluate events `start..end`; on failure undo them all and return the failing index."""
    mark = state.mark()
    for index in range(start, end + 1):
        spec = specs[index]
        if index == end and int(spec.flags) & _LINKED:
            state.rollback(mark)
            outcomes[index] = TransferOutcome(index, CreateTransferResult.LINKED_EVENT_CHAIN_OPEN, None)
            return index
        transfer_id = spec.id if spec.id is not None else new_id()
        result, answered_id = apply_event(spec, state, transfer_id, timestamp + index, expiring=expiring)
        outcomes[index] = TransferOutcome(index, result, answered_id)
        if result is not CreateTransferResult.OK and start != end:
            state.rollback(mark)
            return index
    return None
