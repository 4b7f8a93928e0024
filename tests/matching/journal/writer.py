"""The journaled book as its own process, for the kill -9 test: `python -m tests.matching.journal.writer`.

It submits a seeded random flow in batches of 1-64 commands and prints `acked <seq>` after each batch
returns (the batch is durable by then), flushing stdout, until the flow ends; the test kills it with
SIGKILL somewhere in the middle.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from matching.journal import JournaledBook
from tests.matching.flows import random_flow


def main(directory: str, seed: int, length: int, snapshot_every: int) -> None:
    book = JournaledBook.open(Path(directory), snapshot_every=snapshot_every)
    flow = random_flow(seed, length)[book.last_seq :]
    rng = random.Random(seed)
    while flow:
        size = rng.randint(1, 64)
        batch, flow = flow[:size], flow[size:]
        book.submit(batch)
        print(f"acked {book.last_seq}", flush=True)
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
