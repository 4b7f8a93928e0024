"""Name normalisation and fuzzy scoring: hits above the threshold, near-misses below it."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from risk.screening import names, sdn
from risk.screening.index import ListIndex
from risk.screening.model import HitKind
from risk.screening.sdn import SdnList
from tests.risk.screening.conftest import SAMPLE_DIR

THRESHOLD = 88


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("PUTIN, Vladimir", "putin vladimir"),
        ("vladimir   putin", "putin vladimir"),
        ("MÜLLER-ÅSTRÖM, José", "astrom jose muller"),
        ("Łukasz Straße", "lukasz strasse"),
        ("O'Neil_Smith", "neil o smith"),
        ("", ""),
    ],
)
def test_normalise_folds_case_accents_punctuation_and_order(written: str, normalised: str):
    assert names.normalise(written) == normalised


@given(st.lists(st.text(alphabet="abcdefghijéü", min_size=1, max_size=8), min_size=1, max_size=4))
def test_token_order_and_case_never_change_the_normal_form(tokens: list[str]):
    assert names.normalise(" ".join(tokens)) == names.normalise(", ".join(reversed(tokens)).upper())


@pytest.mark.parametrize(
    ("query", "ent_num", "kind"),
    [
        ("Teodor Ivanovich Morvane", 9001, HitKind.NAME),  # token order
        ("Teodor Morvane", 9001, HitKind.NAME),  # a subset of the listed tokens (two shared)
        ("Theodor Morvane", 9001, HitKind.ALIAS),  # a spelling variant, closest to the alias
        ("Fedor Morvan", 9001, HitKind.ALIAS),  # an alias only
        ("Jose Francoise Muller-Astrom", 9003, HitKind.NAME),  # accents stripped
        ("Kestrel Trading FZE", 9002, HitKind.ALIAS),
        ("Jon Smith", 9006, HitKind.NAME),  # a typo
    ],
)
def test_names_above_the_threshold_hit(sample: SdnList, query: str, ent_num: int, kind: HitKind):
    hits = ListIndex(sample).names(query, THRESHOLD)
    assert [(hit.ent_num, hit.kind) for hit in hits] == [(ent_num, kind)]
    assert hits[0].score >= THRESHOLD
    assert hits[0].programs == sample.entries[ent_num].programs


@pytest.mark.parametrize(
    "query",
    [
        "John",  # one shared token: no subset bonus
        "Smith",
        "Jane Smithers",
        "Teodora Marvin",
        "Kestrel",
        "Mary Jones",
        "",
        "---",
    ],
)
def test_near_misses_below_the_threshold_do_not_hit(sample: SdnList, query: str):
    assert ListIndex(sample).names(query, THRESHOLD) == []


def test_the_threshold_decides_a_borderline_name(sample: SdnList):
    index = ListIndex(sample)
    [hit] = index.names("Kestrel Holding Ltd", 80)
    assert 80 <= hit.score < 95
    assert index.names("Kestrel Holding Ltd", hit.score + 0.1) == []
    assert index.names("Kestrel Holding Ltd", hit.score)[0].ent_num == 9002


def test_one_hit_per_entry_its_best_name(sample: SdnList):
    hits = ListIndex(sample).names("Morvane Teodor", 80)
    assert [hit.ent_num for hit in hits] == [9001]
    assert hits[0].score == 100.0
    assert hits[0].kind is HitKind.NAME  # the primary name wins a tie with the alias "MORVANE, Teodor"


@given(st.text(max_size=40), st.text(max_size=40))
def test_scores_are_symmetric_and_bounded(a: str, b: str):
    left, right = names.normalise(a), names.normalise(b)
    assert names.score(left, right) == names.score(right, left)
    assert 0 <= names.score(left, right) <= 100


LISTED_WORDS = [
    "teodor",
    "morvane",
    "ivanovich",
    "kestrel",
    "holdings",
    "smith",
    "john",
    "jon",
    "hassan",
    "al",
]


@given(
    st.lists(st.sampled_from([*LISTED_WORDS, "morvan", "smyth", "x"]), min_size=1, max_size=4),
    st.integers(60, 100),
)
def test_the_index_finds_exactly_what_scoring_every_name_finds(words: list[str], threshold: int):
    """The vectorised preselection loses nothing: the hits are the entries a full scan scores at or above
    the threshold, each with its best score."""
    sample = sdn.load(SAMPLE_DIR)
    query = names.normalise(" ".join(words))
    expected: dict[int, float] = {}
    for entry in sample.entries.values():
        for listed in (entry.name, *(alias.name for alias in entry.aliases)):
            value = names.score(query, names.normalise(listed))
            if value >= threshold:
                expected[entry.ent_num] = max(value, expected.get(entry.ent_num, 0.0))
    found = {hit.ent_num: hit.score for hit in ListIndex(sample).names(" ".join(words), threshold)}
    assert found == expected
