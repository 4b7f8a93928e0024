"""A list made searchable: every name and alias normalised for fuzzy search, every chain address and IBAN
in its compared form for exact lookup. Built once per list version, read by every screening."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from rapidfuzz import fuzz, process

from risk.screening import identifiers, names
from risk.screening.model import Hit, HitKind
from risk.screening.sdn import SdnList

PRIMARY_NAME: Final = "name"
PRESELECT_MARGIN: Final = 1.0


@dataclass(frozen=True, slots=True)
class _ListedName:
    ent_num: int
    listed: str
    source: str  # "name", or the alias's type ("aka", "fka", ...)


class ListIndex:
    """The queries a screening asks of one list version."""

    def __init__(self, sdn: SdnList) -> None:
        self.version = sdn.version
        self.entries = len(sdn.entries)
        self._entries = sdn.entries
        self._names: list[_ListedName] = []
        self._addresses: dict[str, list[tuple[int, str]]] = {}
        self._ibans: dict[str, list[tuple[int, str]]] = {}
        for entry in sdn.entries.values():
            self._names.append(_ListedName(entry.ent_num, entry.name, PRIMARY_NAME))
            self._names.extend(
                _ListedName(entry.ent_num, alias.name, alias.alt_type or "alias") for alias in entry.aliases
            )
            for found in entry.digital_currency_addresses:
                key = identifiers.chain_address(found.address)
                listed = f"{found.currency} {found.address}"
                self._addresses.setdefault(key, []).append((entry.ent_num, listed))
            for written in entry.ibans:
                self._ibans.setdefault(identifiers.listed_iban(written), []).append((entry.ent_num, written))
        self._normalised = [names.normalise(listed.listed) for listed in self._names]

    def _programs(self, ent_num: int) -> tuple[str, ...]:
        return self._entries[ent_num].programs

    def names(self, name: str, threshold: float) -> list[Hit]:
        """The listed names and aliases scoring at least `threshold` against `name`, best first, one hit per
        entry (its best-scoring name; the primary name on a tie, as it is listed before the aliases)."""
        query = names.normalise(name)
        if not query:
            return []
        scored: dict[int, float] = {}
        # rapidfuzz's vectorised search only preselects: its float cutoff can drop a score equal to it, so
        # it runs a point lower and the comparison with the threshold is made here, on `names.score`.
        preselect = max(threshold - PRESELECT_MARGIN, 0)
        for scorer in (fuzz.token_sort_ratio, fuzz.token_set_ratio):
            for _, _, position in process.extract(
                query, self._normalised, scorer=scorer, score_cutoff=preselect, limit=None
            ):
                scored[position] = names.score(query, self._normalised[position])
        best: dict[int, tuple[float, int]] = {}
        for position, value in scored.items():
            if value < threshold:
                continue
            ent = self._names[position].ent_num
            if ent not in best or (value, -position) > (best[ent][0], -best[ent][1]):
                best[ent] = (value, position)
        hits = [
            Hit(
                ent_num=ent,
                kind=HitKind.NAME if self._names[position].source == PRIMARY_NAME else HitKind.ALIAS,
                listed=self._names[position].listed,
                score=value,
                programs=self._programs(ent),
            )
            for ent, (value, position) in best.items()
        ]
        return sorted(hits, key=lambda hit: (-hit.score, hit.ent_num))

    def chain_address(self, address: str) -> list[Hit]:
        """The entries naming `address` (compared as `identifiers.chain_address` writes it)."""
        return self._exact(self._addresses.get(identifiers.chain_address(address), ()), HitKind.ADDRESS)

    def iban(self, iban: str) -> list[Hit]:
        """The entries naming `iban` (compact, checked by schwifty)."""
        return self._exact(self._ibans.get(identifiers.iban(iban), ()), HitKind.IBAN)

    def _exact(self, found: Sequence[tuple[int, str]], kind: HitKind) -> list[Hit]:
        """One hit per entry (an address listed under two currencies, ETH and USDT, is one hit), with the
        first mention."""
        first: dict[int, str] = {}
        for ent, listed in found:
            first.setdefault(ent, listed)
        return [
            Hit(ent_num=ent, kind=kind, listed=listed, score=100.0, programs=self._programs(ent))
            for ent, listed in sorted(first.items())
        ]
