"""The journal's record format: every command survives encoding, and damage is told from a torn tail."""

from __future__ import annotations

import pytest

from matching.journal import JournalCorrupt, decode_command, encode_command
from matching.journal.codec import decode_records, encode_record
from tests.matching.flows import random_flow


def test_every_command_round_trips() -> None:
    for cmd in random_flow(3, 500):
        assert decode_command(encode_command(cmd)) == cmd


def test_a_torn_or_corrupted_tail_ends_the_records() -> None:
    flow = random_flow(4, 10)
    data = b"".join(encode_record(i + 1, cmd) for i, cmd in enumerate(flow))
    whole = len(data)
    for cut in (whole - 1, whole - 20):  # a short write of the last record
        records, end = decode_records(data[:cut])
        assert [c for _, c in records] == flow[:9]
        assert end < cut
    flipped = bytearray(data)
    flipped[-3] ^= 0xFF  # a bad sector in the last record: its CRC fails
    records, _ = decode_records(bytes(flipped))
    assert len(records) == 9


def test_a_gap_in_sequence_numbers_is_corruption() -> None:
    flow = random_flow(5, 2)
    with pytest.raises(JournalCorrupt):
        decode_records(encode_record(1, flow[0]) + encode_record(3, flow[1]))
