"""Group commit for many callers: one writer thread forms the groups, callers wait on futures.

`JournaledBook.submit` commits a batch the caller gathered. When commands come from many callers at once
(the API's request handlers), this is where they meet: each `submit` queues its command and returns a
future; the writer thread takes everything queued (up to `max_group`), commits it as one batch (one
fsync) and resolves each future with its command's events. While a group is being fsync'd the next one
gathers, so the fsync's cost is shared by as many commands as arrive during it, and no caller is
answered before its command is durable. The queue's order is the book's sequence: the writer thread is
the book's single writer, and the journal records the order it chose.

If a commit fails (a disk error), every command of that group and every later one fails with the error:
the journal's state after a failed fsync is unknown, so the book stops rather than guess.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future

from matching.engine import Command, Event
from matching.journal.book import JournaledBook

_Item = tuple[Command, "Future[list[Event]]"]


class GroupCommitter:
    """The single writer of `book` for concurrent callers."""

    def __init__(self, book: JournaledBook, *, max_group: int = 1024) -> None:
        self.book = book
        self.max_group = max_group
        self.groups = 0  # commits made (one fsync each): fewer than the commands when groups form
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="matching-writer", daemon=True)
        self._thread.start()

    def submit(self, cmd: Command) -> Future[list[Event]]:
        """Queue `cmd`; the future resolves to its events once it is journaled durably and applied."""
        future: Future[list[Event]] = Future()
        if self._failure is not None:
            future.set_exception(self._failure)
        else:
            self._queue.put((cmd, future))
        return future

    def close(self) -> None:
        """Commit what is queued, stop the writer thread and close the book."""
        self._queue.put(None)
        self._thread.join()
        self.book.close()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            while len(group) < self.max_group:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                group.append(item)
            self._commit(group)

    def _commit(self, group: list[_Item]) -> None:
        if self._failure is not None:
            for _, future in group:
                future.set_exception(self._failure)
            return
        try:
            results = self.book.submit([cmd for cmd, _ in group])
        except BaseException as error:  # the journal's state is unknown: fail this group and all after it
            self._failure = error
            for _, future in group:
                future.set_exception(error)
            return
        self.groups += 1
        for (_, future), events in zip(group, results, strict=True):
            future.set_result(events)
