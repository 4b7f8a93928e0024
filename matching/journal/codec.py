"""The journal's record format: a command as a tagged list of integers, framed with its length and CRC.

A record is `<u32 length><u32 crc32>` followed by `length` bytes of body: `<u64 seq>` then the command as
compact JSON, `[tag, field, ...]` (tag 0 place, 1 cancel, 2 amend, 3 tick; enums and booleans as
integers, in the fields' declared order). The CRC covers the whole body, so a record torn by a crash (a
short write, a partial sector) is recognised and never replayed. JSON keeps the journal readable with
`jq` after a line split; the commands are small, so the cost is in the fsync, not the encoding.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Callable
from typing import Final, TypeVar

from matching.engine import Amend, Cancel, Command, Kind, Place, Side, Stp, Tick, Tif

HEADER: Final = struct.Struct("<II")
SEQ: Final = struct.Struct("<Q")
T = TypeVar("T")
MAX_BODY: Final = 1 << 16  # a command is a few dozen bytes: anything larger is damage, not a record


class JournalCorrupt(Exception):
    """The journal holds a record that is neither valid nor a torn tail (bytes changed after the fact)."""


def encode_command(cmd: Command) -> list[int]:
    """`cmd` as `[tag, fields...]`, integers only."""
    if isinstance(cmd, Place):
        return [0, *(int(v) for v in cmd)]
    if isinstance(cmd, Cancel):
        return [1, *cmd]
    if isinstance(cmd, Amend):
        return [2, *cmd]
    return [3, *cmd]


def decode_command(fields: list[int]) -> Command:
    """The inverse of `encode_command`."""
    tag, rest = fields[0], fields[1:]
    if tag == 0:
        ts, oid, acct, side, kind, qty, price, trigger, tif, expire, peak, post, reduce, stp = rest
        return Place(
            ts, oid, acct, Side(side), Kind(kind), qty, price, trigger, Tif(tif), expire, peak, bool(post),
            bool(reduce), Stp(stp),
        )  # fmt: skip
    if tag == 1:
        return Cancel(*rest)
    if tag == 2:
        return Amend(*rest)
    if tag == 3:
        return Tick(*rest)
    raise JournalCorrupt(f"unknown command tag {tag}")


def encode_record(seq: int, cmd: Command) -> bytes:
    """One framed record: header, sequence number, command."""
    return encode_frame(seq, encode_command(cmd))


def encode_frame(seq: int, fields: list[int]) -> bytes:
    """One framed record of any integer list (another log's entry, e.g. a perpetual's inputs)."""
    body = SEQ.pack(seq) + json.dumps(fields, separators=(",", ":")).encode()
    return HEADER.pack(len(body), zlib.crc32(body)) + body


def decode_records(data: bytes) -> tuple[list[tuple[int, Command]], int]:
    """The whole command records at the start of `data` and the offset where they end (`decode_frames`)."""
    return decode_frames(data, decode_command)


def decode_frames(data: bytes, decode: Callable[[list[int]], T]) -> tuple[list[tuple[int, T]], int]:
    """The whole records at the start of `data`, each body read by `decode`, and the offset where they end.

    Reading stops at the first record that is incomplete or fails its CRC: what follows it is a torn
    tail from a crash and the caller truncates it. A record whose CRC holds but whose sequence number
    does not follow on is damage, not a torn write, and raises `JournalCorrupt`.
    """
    records: list[tuple[int, T]] = []
    offset = 0
    end = len(data)
    while offset + HEADER.size <= end:
        length, crc = HEADER.unpack_from(data, offset)
        start = offset + HEADER.size
        if length < SEQ.size or length > MAX_BODY or start + length > end:
            break
        body = data[start : start + length]
        if zlib.crc32(body) != crc:
            break
        (seq,) = SEQ.unpack_from(body)
        if records and seq != records[-1][0] + 1:
            raise JournalCorrupt(f"record {seq} follows record {records[-1][0]}")
        records.append((seq, decode(json.loads(body[SEQ.size :]))))
        offset = start + length
    return records, offset
