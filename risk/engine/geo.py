"""Where an IP address is: a pluggable lookup, and the small CIDR table the project ships.

The shipped table (`config/risk/ip_countries.csv`) is illustrative: a few documentation and well-known
ranges placed in a handful of countries so rules and tests have something real to read. Production plugs in
a maintained database behind the same `CountryLookup` protocol.
"""

import bisect
import csv
import ipaddress
import itertools
import socket
from pathlib import Path
from typing import Protocol

from risk.engine.errors import RuleFileError

CACHE_SIZE = 65_536
_MISSING = "?"  # not a country code: the cache's "not looked up yet"


class CountryLookup(Protocol):
    def country(self, ip: str) -> str | None:
        """The ISO 3166-1 alpha-2 country of `ip`, or None when unknown (or not an IP address)."""
        ...


class CidrTable:
    """Non-overlapping networks, each in one country, searched by bisection per address family."""

    def __init__(self, networks: list[tuple[str, str]]) -> None:
        by_family: dict[int, list[tuple[int, int, str]]] = {4: [], 6: []}
        for cidr, country in networks:
            network = ipaddress.ip_network(cidr, strict=True)
            first, last = int(network.network_address), int(network.broadcast_address)
            by_family[network.version].append((first, last, country))
        self._cache: dict[str, str | None] = {}
        self._starts: dict[int, list[int]] = {}
        self._ranges: dict[int, list[tuple[int, int, str]]] = {}
        for version, ranges in by_family.items():
            ranges.sort()
            for before, after in itertools.pairwise(ranges):
                if after[0] <= before[1]:
                    raise ValueError(f"networks overlap: {before[2]} and {after[2]} share addresses")
            self._ranges[version] = ranges
            self._starts[version] = [first for first, _, _ in ranges]

    @classmethod
    def from_csv(cls, path: Path) -> "CidrTable":
        """Rows `network,country` (a header row first; `#` lines are comments)."""
        networks: list[tuple[str, str]] = []
        with path.open(newline="") as lines:
            rows = csv.reader(line for line in lines if not line.startswith("#"))
            header = next(rows, None)
            if header != ["network", "country"]:
                raise RuleFileError(str(path), 1, "the header must be: network,country")
            for number, row in enumerate(rows, start=2):
                if len(row) != 2 or len(row[1]) != 2 or not row[1].isupper():
                    raise RuleFileError(str(path), number, f"not a network,country row: {row}")
                networks.append((row[0], row[1]))
        try:
            return cls(networks)
        except ValueError as error:
            raise RuleFileError(str(path), 0, str(error)) from error

    def country(self, ip: str) -> str | None:
        """Parsing an address costs more than a rule set's whole evaluation, and the same addresses come back:
        answers are cached (up to `CACHE_SIZE`, then the cache starts afresh)."""
        cached = self._cache.get(ip, _MISSING)
        if cached is not _MISSING:
            return cached
        if len(self._cache) >= CACHE_SIZE:
            self._cache.clear()
        country = self._cache[ip] = self._look_up(ip)
        return country

    def _look_up(self, ip: str) -> str | None:
        """`inet_pton` (C, strict: no leading zeros, no shorthand) parses several times faster than
        `ipaddress`, which matters when most addresses are new to the cache."""
        try:
            packed = socket.inet_pton(socket.AF_INET6 if ":" in ip else socket.AF_INET, ip)
        except (OSError, ValueError):
            return None
        version = 4 if len(packed) == 4 else 6
        value = int.from_bytes(packed, "big")
        index = bisect.bisect_right(self._starts[version], value) - 1
        if index < 0:
            return None
        _, last, country = self._ranges[version][index]
        return country if value <= last else None
