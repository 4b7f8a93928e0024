"""The IP-to-country lookup: the shipped CIDR table, and a bad table refused with its line."""

from pathlib import Path

import pytest

from risk.engine import CidrTable, RuleFileError


@pytest.mark.parametrize(
    ("ip", "country"),
    [
        ("192.0.2.1", "DE"),
        ("192.0.2.255", "DE"),
        ("198.51.100.20", "FR"),
        ("203.0.113.200", "NG"),
        ("2.23.255.255", "FR"),  # the last address of 2.16.0.0/13
        ("2.24.0.0", None),  # the first after it
        ("2001:db8::1", "DE"),
        ("2001:db8:8000::1", "US"),
        ("100.64.0.1", None),
        ("1.0.0.1", None),  # before every network
        ("not an ip", None),
        ("192.0.2", None),  # no shorthand
        ("192.000.2.1", None),  # no leading zeros
        ("192.0.2.256", None),
        ("", None),
        ("2001:db8::g", None),
        ("::ffff:192.0.2.1", None),  # an IPv4-mapped IPv6 address is IPv6 to the table
    ],
)
def test_the_shipped_table(countries: CidrTable, ip: str, country: str | None) -> None:
    assert countries.country(ip) == country
    assert countries.country(ip) == country  # the cached answer is the same


@pytest.mark.parametrize(
    ("rows", "line", "problem"),
    [
        ("net,cc\n", 1, "header"),
        ("network,country\n192.0.2.0/24,de\n", 2, "not a network,country row"),
        ("network,country\n192.0.2.0/24\n", 2, "not a network,country row"),
        ("network,country\n192.0.2.0/24,DE\n192.0.2.128/25,FR\n", 0, "overlap"),
        ("network,country\n192.0.2.1/24,DE\n", 0, "host bits set"),
    ],
)
def test_a_bad_table_is_refused(tmp_path: Path, rows: str, line: int, problem: str) -> None:
    path = tmp_path / "ip.csv"
    path.write_text(rows)
    with pytest.raises(RuleFileError) as refused:
        CidrTable.from_csv(path)
    assert refused.value.line == line
    assert problem in refused.value.problem
