"""The OFAC SDN CSV loader: the shipped sample parsed exactly, and the real files' tricky rows."""

from pathlib import Path

import pytest

from risk.screening import sdn
from risk.screening.errors import InvalidListFile
from tests.risk.screening.conftest import SAMPLE_DIR, sample_files, write_list

ROW = '{ent},"{name}","individual","SDGT","-0- ","-0- ","-0- ","-0- ","-0- ","-0- ","-0- ","{remarks}"\r\n'


def _sdn(*rows: str) -> bytes:
    return "".join(rows).encode("cp1252")


def test_the_sample_parses_every_column(sample: sdn.SdnList):
    assert sorted(sample.entries) == [9001, 9002, 9003, 9004, 9005, 9006, 9007]
    vessel = sample.entries[9004]
    assert (vessel.name, vessel.sdn_type, vessel.call_sign, vessel.vessel_type) == (
        "SEA WIND",
        "vessel",
        "UBCD7",
        "Crude Oil Tanker",
    )
    assert (vessel.tonnage, vessel.grt, vessel.vessel_flag, vessel.vessel_owner) == (
        "105,000",
        "58,000",
        "Illustria",
        "Kestrel Holdings Limited",
    )
    entity = sample.entries[9002]
    assert entity.sdn_type is None  # "-0- " (with OFAC's padding) is null
    assert entity.programs == ("IRGC", "NPWMD")
    assert entity.title is None
    assert entity.ibans == ("DE62370400440532013001",)
    assert [alias.name for alias in entity.aliases] == ["KESTREL TRADING FZE"]
    assert entity.aliases[0].alt_type == "fka"
    assert entity.addresses[0] == sdn.Address(
        90201, "Unit 4, 12 Harbour Road", "Port Kestrel 1204", "Illustria", None
    )
    assert sample.entries[9004].addresses == (sdn.Address(90401, None, None, None, None),)


def test_the_sample_is_windows_1252_and_its_accents_survive(sample: sdn.SdnList):
    assert "MÜLLER-ÅSTRÖM".encode("cp1252") in (SAMPLE_DIR / "SDN.CSV").read_bytes()
    assert sample.entries[9003].name == "MÜLLER-ÅSTRÖM, José Françoise"
    assert sample.entries[9003].title == "Director"


def test_digital_currency_addresses_come_from_the_remarks(sample: sdn.SdnList):
    assert sample.entries[9001].digital_currency_addresses == (
        sdn.DigitalCurrencyAddress("ETH", "0xcA978112CA1bBDCAfac231b39a23dC4da786eff8"),
        sdn.DigitalCurrencyAddress("XBT", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"),  # an "alt." one too
    )
    # The last address of a Remarks field is followed by its closing full stop, not part of the address.
    assert sample.entries[9003].digital_currency_addresses[-1].address == "TXq7ZBmNFMjRuD8kxvXi2sRhXHXuXnGLCm"


def test_remarks_cut_by_ofac_continue_in_sdn_comments(sample: sdn.SdnList):
    garnet = sample.entries[9007]
    assert [(found.currency, found.address) for found in garnet.digital_currency_addresses] == [
        ("XBT", "1GarnetXq3eZ9v8wS7rT6yU5iO4pA3sD2f"),
        ("ETH", "0x2E7d2C03a9507AE265ecF5b5356885a53393A202"),
        ("USDT", "0x2E7d2C03a9507AE265ecF5b5356885a53393A202"),
    ]


def test_a_quoted_quote_and_a_comma_inside_a_field():
    entry = sdn.parse(
        _sdn(ROW.format(ent=1, name="DOE, Jane", remarks='a.k.a. ""JD""; Gender Female, tall.'))
    ).entries[1]
    assert entry.remarks == 'a.k.a. "JD"; Gender Female, tall.'
    assert entry.name == "DOE, Jane"


def test_bytes_windows_1252_leaves_undefined_read_as_latin_1():
    entry = sdn.parse(
        b'1,"A\x81B","-0- ","SDGT","-0- ","-0- ","-0- ","-0- ","-0- ","-0- ","-0- ","-0- "'
    ).entries[1]
    assert entry.name == "A\x81B"
    euro = sdn.parse(b'1,"\x80 FUND","-0- ","SDGT","-0- ","-0- ","-0- ","-0- ","-0- ","-0- ","-0- ","-0- "')
    assert euro.entries[1].name == "€ FUND"


def test_programs_are_split_on_the_bracket_separator():
    assert sdn.programs_of("SDGT] [IRGC] [IFSR") == ("SDGT", "IRGC", "IFSR")
    assert sdn.programs_of("-0- ") == ()


def test_a_ctrl_z_and_blank_lines_end_the_file_quietly():
    data = _sdn(ROW.format(ent=7, name="X", remarks="-0- "), "\r\n") + b"\x1a"
    assert list(sdn.parse(data).entries) == [7]
    right_after_the_row = _sdn(ROW.format(ent=8, name="Y", remarks="-0- ")).rstrip(b"\r\n") + b"\x1a"
    assert list(sdn.parse(right_after_the_row).entries) == [8]


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b'1,"X","-0- "\r\n', "3 fields"),
        (
            b'one,"X","-0- ","SDGT","-0- ","-0- ","-0- ","-0- ","-0- ","-0- ","-0- ","-0- "\r\n',
            "not a number",
        ),
        (
            b'1,"-0- ","-0- ","SDGT","-0- ","-0- ","-0- ","-0- ","-0- ","-0- ","-0- ","-0- "\r\n',
            "SDN_Name is null",
        ),
        (b'1,"X,"-0- ","SDGT","-0- ","-0- ","-0- ","-0- ","-0- ","-0- ","-0- ","-0- "\r\n', "SDN.CSV line"),
    ],
)
def test_malformed_rows_are_refused_with_their_line(data: bytes, needle: str):
    with pytest.raises(InvalidListFile, match=needle) as refused:
        sdn.parse(data)
    assert refused.value.field == "SDN.CSV"


def test_an_entry_twice_and_rows_of_no_entry_are_refused():
    row = ROW.format(ent=1, name="X", remarks="-0- ")
    with pytest.raises(InvalidListFile, match="appears twice"):
        sdn.parse(_sdn(row, row))
    with pytest.raises(InvalidListFile, match=r"not in SDN\.CSV"):
        sdn.parse(_sdn(row), alt=b'2,20,"aka","Y","-0- "\r\n')
    with pytest.raises(InvalidListFile, match=r"not in SDN\.CSV"):
        sdn.parse(_sdn(row), comments=b'3,"more remarks"\r\n')


def test_the_version_is_the_files_content_hash(tmp_path: Path):
    files = sample_files()
    same = sdn.load(write_list(tmp_path / "copy", files))
    assert same.version == sdn.load(SAMPLE_DIR).version
    changed = dict(files, **{"ALT.CSV": files["ALT.CSV"].replace(b"ABU KARIM", b"ABU KARIME")})
    assert sdn.load(write_list(tmp_path / "changed", changed)).version != same.version
    # The same bytes split differently between two files are another list too.
    assert sdn._version({"SDN.CSV": b"ab", "ALT.CSV": b""}) != sdn._version(
        {"SDN.CSV": b"a", "ALT.CSV": b"b"}
    )


def test_lower_case_file_names_and_missing_optional_files_load(tmp_path: Path):
    directory = tmp_path / "list"
    directory.mkdir()
    (directory / "sdn.csv").write_bytes(sample_files()["SDN.CSV"])
    loaded = sdn.load(directory)
    assert len(loaded.entries) == 7
    assert loaded.entries[9001].aliases == ()
    # Without SDN_COMMENTS.CSV the remarks stop where OFAC cut them, mid-address.
    assert loaded.entries[9007].digital_currency_addresses[-1].address == "0x2E7d2C03a9507AE2"


def test_a_directory_without_sdn_csv_is_refused(tmp_path: Path):
    with pytest.raises(InvalidListFile, match=r"holds no SDN\.CSV"):
        sdn.load(tmp_path)
