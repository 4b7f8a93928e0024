"""Group commit across concurrent callers: every future resolves after its command is durable, groups form,
and the journal replays to the same book."""

from __future__ import annotations

import threading
from pathlib import Path

from matching.engine import Accepted, Kind, Place, Side, Tif
from matching.journal import GroupCommitter, JournaledBook

THREADS = 8
EACH = 300


def test_concurrent_callers_share_fsyncs_and_replay_the_same(tmp_path: Path) -> None:
    committer = GroupCommitter(JournaledBook.open(tmp_path))
    answers: dict[int, list[object]] = {}

    def trader(account: int) -> None:
        futures = []
        for i in range(EACH):
            side = Side.BUY if (i + account) % 2 else Side.SELL
            price = 100 + (i % 7) - 3
            order_id = account * 1_000_000 + i
            futures.append(
                (order_id, committer.submit(Place(1, order_id, account, side, Kind.LIMIT, 3, price=price)))
            )
        for order_id, future in futures:
            answers[order_id] = list(future.result(timeout=60))

    threads = [threading.Thread(target=trader, args=(account,)) for account in range(1, THREADS + 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == THREADS * EACH
    assert all(events[0] == Accepted(order_id) for order_id, events in answers.items())
    book = committer.book
    assert book.last_seq == THREADS * EACH
    assert committer.groups < THREADS * EACH  # commands shared fsyncs
    expected = book.state_hash()
    committer.close()
    assert JournaledBook.open(tmp_path).state_hash() == expected


def test_a_failed_commit_fails_that_group_and_every_later_one(tmp_path: Path) -> None:
    book = JournaledBook.open(tmp_path)

    def disk_error(commands: object) -> int:
        raise OSError(5, "Input/output error")

    book.journal.append = disk_error  # type: ignore[method-assign]
    committer = GroupCommitter(book)
    market = Place(1, 1, 1, Side.BUY, Kind.MARKET, 1, tif=Tif.IOC)
    assert isinstance(committer.submit(market).exception(timeout=10), OSError)
    assert isinstance(committer.submit(market._replace(order_id=2)).exception(timeout=10), OSError)
    committer.close()
    assert book.last_seq == 0
