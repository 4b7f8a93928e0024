"""Device fingerprints: a keyed hash of normalized request attributes (nothing of them stored), and per
subject whether a sighting is new or a change: the signal the risk engine reads. SQLite and PostgreSQL."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from risk.devices.fingerprint import (
    Fingerprinter,
    FingerprintKeyError,
    RequestAttributes,
    network_of,
    observe,
)
from risk.devices.schema import fingerprints
from tests.risk.devices.conftest import ALICE, BOB, Clock

KEY = bytes(range(32))
PHONE = RequestAttributes("TPWallet/3.1 (iPhone; iOS 18.1)", "en-GB,en;q=0.9", "203.0.113.7", "771,4865-4866")
LAPTOP = RequestAttributes("Mozilla/5.0 (X11; Linux x86_64)", "de-DE", "2001:db8:1234:5678::1", None)


@pytest.mark.parametrize(
    ("ip", "network"),
    [
        ("203.0.113.7", "203.0.113.0/24"),
        ("203.0.113.250", "203.0.113.0/24"),
        ("2001:db8:1234:5678::1", "2001:db8:1234::/48"),
        ("::ffff:203.0.113.9", "203.0.113.0/24"),
        ("not an address", None),
        (None, None),
    ],
)
def test_addresses_count_by_their_network(ip: str | None, network: str | None) -> None:
    assert network_of(ip) == network


def test_the_fingerprint_is_keyed_and_ignores_what_does_not_identify_a_device() -> None:
    fingerprinter = Fingerprinter(KEY)
    same = fingerprinter.fingerprint(PHONE)
    assert len(same) == 64
    moved = RequestAttributes(PHONE.user_agent, " EN-gb,en;q=0.9 ", "203.0.113.200", PHONE.tls_fingerprint)
    assert fingerprinter.fingerprint(moved) == same
    assert Fingerprinter(bytes(32)).fingerprint(PHONE) != same
    for other in (
        LAPTOP,
        RequestAttributes(PHONE.user_agent, PHONE.accept_language, "203.0.114.7", PHONE.tls_fingerprint),
        RequestAttributes(PHONE.user_agent, PHONE.accept_language, PHONE.ip, None),
        RequestAttributes(PHONE.user_agent, None, PHONE.ip, PHONE.tls_fingerprint),
    ):
        assert fingerprinter.fingerprint(other) != same


_texts = st.one_of(
    st.none(), st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=12)
)


@given(st.tuples(_texts, _texts, _texts), st.tuples(_texts, _texts, _texts))
def test_attributes_never_run_into_each_other(
    first: tuple[str | None, str | None, str | None], second: tuple[str | None, str | None, str | None]
) -> None:
    fingerprinter = Fingerprinter(KEY)
    one = fingerprinter.fingerprint(RequestAttributes(first[0], first[1], None, first[2]))
    two = fingerprinter.fingerprint(RequestAttributes(second[0], second[1], None, second[2]))
    # what the fingerprint keeps: an empty attribute is no attribute; language and TLS are case-blind
    kept = [(a or None, (b or "").lower() or None, (c or "").lower() or None) for a, b, c in (first, second)]
    assert (one == two) == (kept[0] == kept[1])


def test_the_key_file_holds_64_hex_digits_and_errors_never_show_it(tmp_path: Path) -> None:
    path = tmp_path / "fingerprint.key"
    path.write_text(KEY.hex() + "\n")
    assert Fingerprinter.from_file(path).fingerprint(PHONE) == Fingerprinter(KEY).fingerprint(PHONE)
    assert KEY.hex() not in repr(Fingerprinter.from_file(path))
    path.write_text("secret-but-not-hex")
    with pytest.raises(FingerprintKeyError) as malformed:
        Fingerprinter.from_file(path)
    assert "secret-but-not-hex" not in str(malformed.value)
    with pytest.raises(FingerprintKeyError):
        Fingerprinter.from_file(tmp_path / "missing.key")


def test_sightings_say_new_and_changed_per_subject(sessions: sessionmaker[Session], clock: Clock) -> None:
    fingerprinter = Fingerprinter(KEY)
    phone, laptop = fingerprinter.fingerprint(PHONE), fingerprinter.fingerprint(LAPTOP)

    def seen(subject: str, fingerprint: str) -> tuple[bool, bool]:  # all within one second of the clock
        with sessions() as session:
            signal = observe(session, subject, fingerprint, clock())
            session.commit()
        return signal.is_new_device, signal.fingerprint_changed

    assert seen(ALICE, phone) == (True, False)  # the first sighting: new, nothing to change from
    assert seen(ALICE, phone) == (False, False)
    assert seen(ALICE, laptop) == (True, True)
    assert seen(ALICE, phone) == (False, True)  # back to a known device: not new, but a change
    assert seen(BOB, phone) == (True, False)  # another subject's history is its own
    with sessions() as session:
        rows = session.execute(select(fingerprints).where(fingerprints.c.subject_id == ALICE)).all()
    assert {row.fingerprint: row.seen_count for row in rows} == {phone: 3, laptop: 1}
