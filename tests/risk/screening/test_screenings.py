"""Screenings recorded on both backends: outcomes, reviewer decisions, standing, re-screening on a list
change."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from risk.screening import sdn
from risk.screening.errors import DecisionRefused, InvalidIdentifier, InvalidListFile, NotFound
from risk.screening.index import ListIndex
from risk.screening.model import Decision, HitKind, ItemKind, Outcome, Standing, Trigger
from risk.screening.schema import items, lists, screenings
from risk.screening.screenings import Screener, ScreeningPolicy
from tests.risk.screening.conftest import Clock, sample_files, write_list

SUBJECT = "idn_" + "a1" * 16
OTHER = "idn_" + "b2" * 16
LISTED_ETH = "0xcA978112CA1bBDCAfac231b39a23dC4da786eff8"
NEW_ENTRY = (
    '9100,"DOE, Richard Roe","individual","SDGT","-0- ","-0- ","-0- ","-0- ","-0- ","-0- ","-0- ","-0- "\r\n'
)


def _count(engine: Engine, table: object) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(table)) or 0  # type: ignore[arg-type]


def _list_with(tmp_path: Path, extra_row: str = "", drop: bytes | None = None) -> ListIndex:
    """The sample list with `extra_row` added to SDN.CSV and the rows starting `drop` gone from every file."""
    files = sample_files()
    files["SDN.CSV"] = files["SDN.CSV"].rstrip(b"\x1a") + extra_row.encode("cp1252")
    if drop is not None:
        files = {
            name: b"".join(line for line in data.splitlines(keepends=True) if not line.startswith(drop))
            for name, data in files.items()
        }
    return ListIndex(sdn.load(write_list(tmp_path / "next", files)))


def test_a_clear_name_is_recorded_with_the_list_version(screener: Screener, engine: Engine, clock: Clock):
    screening = screener.screen_name(SUBJECT, "  Mary   Jones ", Trigger.ONBOARDING)
    assert (screening.outcome, screening.hits, screening.standing) == (Outcome.CLEAR, (), Standing.CLEAR)
    assert screening.value == "Mary Jones"
    assert screening.list_version == screener.index.version
    assert screening.created_at == clock.now
    assert screener.get(screening.id) == screening
    with engine.connect() as connection:
        assert connection.scalar(select(lists.c.entries)) == 7


def test_a_fuzzy_name_hit_waits_for_a_reviewer(screener: Screener):
    screening = screener.screen_name(SUBJECT, "Theodor Morvane", Trigger.ONBOARDING)
    assert screening.outcome is Outcome.POTENTIAL_MATCH
    assert [hit.ent_num for hit in screening.hits] == [9001]
    assert screener.standing(SUBJECT) is Standing.PENDING_REVIEW
    assert [queued.id for queued in screener.pending_review()] == [screening.id]
    assert screener.get(screening.id).hits == screening.hits  # stored and read back exactly


def test_a_reviewer_confirms_and_the_subject_is_blocked(screener: Screener, clock: Clock):
    screening = screener.screen_name(SUBJECT, "Theodor Morvane", Trigger.ONBOARDING)
    clock.now += 60_000
    decided = screener.decide(screening.id, Decision.CONFIRMED, reviewer="rev_alice", reason="DOB matches")
    assert (decided.decision, decided.reviewer, decided.reason, decided.decided_at) == (
        Decision.CONFIRMED,
        "rev_alice",
        "DOB matches",
        clock.now,
    )
    assert screener.standing(SUBJECT) is Standing.BLOCKED
    assert screener.pending_review() == []
    assert screener.standing(OTHER) is Standing.CLEAR  # another subject is untouched


def test_a_false_positive_clears_and_a_second_decision_is_refused(screener: Screener):
    screening = screener.screen_name(SUBJECT, "Jon Smith", Trigger.ONBOARDING)
    screener.decide(screening.id, Decision.FALSE_POSITIVE, reviewer="rev_bob", reason="different DOB")
    assert screener.standing(SUBJECT) is Standing.CLEAR
    with pytest.raises(DecisionRefused) as refused:
        screener.decide(screening.id, Decision.CONFIRMED, reviewer="rev_eve", reason="changed my mind")
    assert refused.value.field == "decision"
    assert screener.get(screening.id).reviewer == "rev_bob"


def test_decisions_on_clear_matches_and_unknown_screenings_are_refused(screener: Screener):
    clear = screener.screen_name(SUBJECT, "Mary Jones", Trigger.ONBOARDING)
    match = screener.screen_chain_address(SUBJECT, LISTED_ETH, Trigger.PAYOUT)
    for screening_id in (clear.id, match.id):
        with pytest.raises(DecisionRefused):
            screener.decide(screening_id, Decision.FALSE_POSITIVE, reviewer="rev", reason="r")
    with pytest.raises(NotFound) as missing:
        screener.decide("scr_missing", Decision.CONFIRMED, reviewer="rev", reason="r")
    assert missing.value.field == "screening_id"
    potential = screener.screen_name(SUBJECT, "Jon Smith", Trigger.ONBOARDING)
    for field, kwargs in (
        ("reviewer", {"reviewer": " ", "reason": "r"}),
        ("reason", {"reviewer": "r", "reason": ""}),
    ):
        with pytest.raises(InvalidIdentifier) as bad:
            screener.decide(potential.id, Decision.CONFIRMED, **kwargs)
        assert bad.value.field == field
    assert screener.get(potential.id).decision is None


def test_a_listed_address_or_iban_is_a_match_without_review(screener: Screener):
    address = screener.screen_chain_address(SUBJECT, LISTED_ETH.lower(), Trigger.PAYOUT)
    assert (address.outcome, address.kind, address.hits[0].kind) == (
        Outcome.MATCH,
        ItemKind.CHAIN_ADDRESS,
        HitKind.ADDRESS,
    )
    iban = screener.screen_iban(OTHER, "DE62 3704 0044 0532 0130 01", Trigger.PAYOUT)
    assert (iban.outcome, iban.value) == (Outcome.MATCH, "DE62370400440532013001")
    assert screener.standing(SUBJECT) is Standing.BLOCKED
    assert screener.standing(OTHER) is Standing.BLOCKED
    assert screener.pending_review() == []


def test_every_payout_screens_again_and_the_latest_stands(screener: Screener, engine: Engine):
    first = screener.screen_iban(SUBJECT, "DE89 3704 0044 0532 0130 00", Trigger.ONBOARDING)
    again = screener.screen_iban(SUBJECT, "de89370400440532013000", Trigger.PAYOUT)
    assert first.id != again.id
    assert _count(engine, items) == 1  # one known item, screened twice
    assert _count(engine, screenings) == 2
    assert [latest.id for latest in screener.latest(SUBJECT)] == [again.id]


def test_a_decided_false_positive_is_carried_to_the_next_payout(screener: Screener):
    first = screener.screen_name(SUBJECT, "Jon Smith", Trigger.ONBOARDING)
    screener.decide(first.id, Decision.FALSE_POSITIVE, reviewer="rev_bob", reason="different DOB")
    again = screener.screen_name(SUBJECT, "Jon Smith", Trigger.PAYOUT)
    assert (again.decision, again.reviewer, again.reason) == (
        Decision.FALSE_POSITIVE,
        "rev_bob",
        f"carried over from {first.id}",
    )
    assert screener.standing(SUBJECT) is Standing.CLEAR


def test_a_new_list_re_screens_known_subjects_once(screener: Screener, tmp_path: Path):
    screener.screen_name(SUBJECT, "Richard Doe", Trigger.ONBOARDING)  # not listed yet
    screener.screen_chain_address(OTHER, LISTED_ETH, Trigger.ONBOARDING)  # listed in both versions
    assert screener.standing(SUBJECT) is Standing.CLEAR
    new = _list_with(tmp_path, NEW_ENTRY)
    rescreened = screener.switch_list(new)
    assert {(s.subject_id, s.trigger, s.list_version) for s in rescreened} == {
        (SUBJECT, Trigger.LIST_CHANGE, new.version),
        (OTHER, Trigger.LIST_CHANGE, new.version),
    }
    assert screener.standing(SUBJECT) is Standing.PENDING_REVIEW
    assert [hit.ent_num for hit in screener.latest(SUBJECT)[0].hits] == [9100]
    assert screener.switch_list(new) == []  # the same version again: nothing to do


def test_a_delisted_entry_clears_on_the_list_change(screener: Screener, tmp_path: Path):
    screener.screen_chain_address(SUBJECT, LISTED_ETH, Trigger.ONBOARDING)
    assert screener.standing(SUBJECT) is Standing.BLOCKED
    screener.switch_list(_list_with(tmp_path, drop=b"9001,"))
    assert screener.standing(SUBJECT) is Standing.CLEAR


def test_a_new_listed_entry_needs_a_fresh_decision(screener: Screener, tmp_path: Path):
    extra = (
        '9101,"SMYTH, John","individual","SDGT","-0- ","-0- ","-0- ","-0- ","-0- ","-0- ","-0- ","-0- "\r\n'
    )
    first = screener.screen_name(SUBJECT, "John Smith", Trigger.ONBOARDING)
    screener.decide(first.id, Decision.FALSE_POSITIVE, reviewer="rev_bob", reason="different DOB")
    [again] = screener.switch_list(_list_with(tmp_path, extra))
    assert {hit.ent_num for hit in again.hits} == {9006, 9101}
    assert again.decision is None
    assert screener.standing(SUBJECT) is Standing.PENDING_REVIEW


def test_bad_inputs_are_refused_naming_the_field(screener: Screener, engine: Engine):
    cases = [
        (lambda: screener.screen_name(SUBJECT, "   ", Trigger.ONBOARDING), "name"),
        (lambda: screener.screen_name("x" * 65, "Mary Jones", Trigger.ONBOARDING), "subject_id"),
        (lambda: screener.screen_iban(SUBJECT, "DE00 0000", Trigger.PAYOUT), "iban"),
        (lambda: screener.screen_chain_address(SUBJECT, "0x 12", Trigger.PAYOUT), "address"),
    ]
    for call, field in cases:
        with pytest.raises(InvalidIdentifier) as refused:
            call()
        assert refused.value.field == field
    assert _count(engine, screenings) == 0


def test_the_threshold_is_a_policy(engine: Engine, sample: sdn.SdnList, clock: Clock):
    strict = Screener(engine, ListIndex(sample), clock=clock, policy=ScreeningPolicy(name_threshold=99))
    assert strict.screen_name(SUBJECT, "Jon Smith", Trigger.ONBOARDING).outcome is Outcome.CLEAR
    with pytest.raises(ValueError, match="name_threshold"):
        ScreeningPolicy(name_threshold=0)


def test_concurrent_first_screenings_of_one_item_share_it(screener: Screener, engine: Engine):
    """Two payouts screening a new IBAN at once: one item (the loser of the insert race reads the winner's
    row), both screenings kept, the item pointing at one of them."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = list(
            pool.map(
                lambda _: screener.screen_iban(SUBJECT, "DE89 3704 0044 0532 0130 00", Trigger.PAYOUT),
                range(8),
            )
        )
    assert _count(engine, items) == 1
    assert _count(engine, screenings) == 8
    assert _count(engine, lists) == 1
    [latest] = screener.latest(SUBJECT)
    assert latest.id in {screening.id for screening in done}


def test_refresh_re_screens_only_when_the_files_changed(screener: Screener, tmp_path: Path):
    directory = write_list(tmp_path / "lists", sample_files())
    screener.screen_name(SUBJECT, "Richard Doe", Trigger.ONBOARDING)
    assert screener.refresh(directory) == []  # the same files: the same version, nothing re-screened
    files = sample_files()
    files["SDN.CSV"] = files["SDN.CSV"].rstrip(b"\x1a") + NEW_ENTRY.encode("cp1252")
    write_list(directory, files)
    [rescreened] = screener.refresh(directory)
    assert (rescreened.trigger, rescreened.outcome) == (Trigger.LIST_CHANGE, Outcome.POTENTIAL_MATCH)
    assert screener.refresh(directory) == []


def test_a_malformed_new_list_keeps_the_current_one(screener: Screener, tmp_path: Path):
    version = screener.index.version
    directory = write_list(tmp_path / "lists", {"SDN.CSV": b'1,"broken\r\n'})
    with pytest.raises(InvalidListFile):
        screener.refresh(directory)
    assert screener.index.version == version
