"""The OFAC SDN list in its CSV distribution (https://ofac.treasury.gov/sdn-list-data-formats-data-schemas):
SDN.CSV (one row per entry), ALT.CSV (aliases), ADD.CSV (addresses) and SDN_COMMENTS.CSV (the rest of a
Remarks field OFAC cut at 1,000 characters), parsed exactly as OFAC ships them.

The files have no header row; every field but the numeric keys is double-quoted; a null is the literal
`-0-` (OFAC pads it with a trailing space); the text is Windows-1252 (bytes 1252 leaves undefined are read as
Latin-1, the superset OFAC's older files were written in); the last line may be a lone Ctrl-Z (0x1A), the
DOS end-of-file mark. Programs are written `SDGT] [IRGC` (the brackets of a list with its outer pair
stripped). Digital currency addresses appear only in Remarks, as `Digital Currency Address - ETH 0x...;`
(sometimes prefixed `alt.`); IBANs, where an entry carries one, as `IBAN DE89...;`. A list's version is the
SHA-256 of its files, so any change to any file, and nothing else, makes a new version.
"""

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from risk.screening.errors import InvalidListFile

NULL: Final = "-0-"
SDN_FILE: Final = "SDN.CSV"
ALT_FILE: Final = "ALT.CSV"
ADD_FILE: Final = "ADD.CSV"
COMMENTS_FILE: Final = "SDN_COMMENTS.CSV"
SDN_COLUMNS: Final = (
    "ent_num",
    "SDN_Name",
    "SDN_Type",
    "Program",
    "Title",
    "Call_Sign",
    "Vess_type",
    "Tonnage",
    "GRT",
    "Vess_flag",
    "Vess_owner",
    "Remarks",
)
ALT_COLUMNS: Final = ("ent_num", "alt_num", "alt_type", "alt_name", "alt_remarks")
ADD_COLUMNS: Final = ("ent_num", "add_num", "address", "city_state_postal", "country", "add_remarks")
COMMENTS_COLUMNS: Final = ("ent_num", "Remarks_Extended")
DOS_EOF: Final = "\x1a"
DIGITAL_CURRENCY = re.compile(r"Digital Currency Address - ([A-Za-z0-9]+)\s+([^\s;]+)")
IBAN_REMARK = re.compile(r"\bIBAN:?\s+([A-Za-z]{2}[0-9]{2}(?:\s?[A-Za-z0-9]){11,30})")


@dataclass(frozen=True, slots=True)
class Alias:
    """An ALT.CSV row: another name of an entry (`aka`, `fka`, `nka`) and whether OFAC calls it weak."""

    alt_num: int
    alt_type: str | None
    name: str
    remarks: str | None


@dataclass(frozen=True, slots=True)
class Address:
    """An ADD.CSV row: a postal address of an entry, each part null when OFAC gives none."""

    add_num: int
    address: str | None
    city_state_postal: str | None
    country: str | None
    remarks: str | None


@dataclass(frozen=True, slots=True)
class DigitalCurrencyAddress:
    """A `Digital Currency Address - <currency> <address>` of an entry's Remarks, as written there."""

    currency: str
    address: str


@dataclass(frozen=True, slots=True)
class SdnEntry:
    """An SDN.CSV row with its aliases and addresses, and the identifiers its Remarks name."""

    ent_num: int
    name: str
    sdn_type: str | None  # "individual", "vessel", "aircraft"; null for an entity
    programs: tuple[str, ...]
    title: str | None
    call_sign: str | None
    vessel_type: str | None
    tonnage: str | None
    grt: str | None
    vessel_flag: str | None
    vessel_owner: str | None
    remarks: str | None
    aliases: tuple[Alias, ...] = ()
    addresses: tuple[Address, ...] = ()
    digital_currency_addresses: tuple[DigitalCurrencyAddress, ...] = ()
    ibans: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SdnList:
    """A whole list: its entries by ent_num and its version (the SHA-256 of its files, hex)."""

    version: str
    entries: Mapping[int, SdnEntry]


def decode(data: bytes) -> str:
    """OFAC's bytes as text: Windows-1252, where it leaves a byte undefined the Latin-1 character."""
    return data.decode("cp1252", errors="latin1_fallback")


def _latin1_fallback(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("latin1_fallback", _latin1_fallback)


def nullable(field: str) -> str | None:
    """A field's value, or None for OFAC's null `-0-` (with or without its padding) or an empty field."""
    value = field.strip()
    return None if value in ("", NULL) else value


def _rows(text: str, file: str, columns: tuple[str, ...]) -> Iterator[tuple[int, list[str]]]:
    """The rows of one file with their 1-based line numbers, checked for width; blank and Ctrl-Z lines
    skipped."""
    # A Ctrl-Z may also follow the last row directly, with no line end before it.
    reader = csv.reader(io.StringIO(text.rstrip(DOS_EOF + "\r\n"), newline=""), strict=True)
    try:
        for row in reader:
            if not row or (len(row) == 1 and row[0].strip(" \r\n" + DOS_EOF) == ""):
                continue
            if len(row) != len(columns):
                raise InvalidListFile(
                    f"{file} line {reader.line_num}: {len(row)} fields, the layout has {len(columns)}",
                    field=file,
                )
            yield reader.line_num, row
    except csv.Error as error:
        raise InvalidListFile(f"{file} line {reader.line_num}: {error}", field=file) from error


def _number(value: str, file: str, line: int, column: str) -> int:
    text = value.strip()
    if not text.isdigit():
        raise InvalidListFile(f"{file} line {line}: {column} {text!r} is not a number", field=file)
    return int(text)


def _required(value: str, file: str, line: int, column: str) -> str:
    text = nullable(value)
    if text is None:
        raise InvalidListFile(f"{file} line {line}: {column} is null", field=file)
    return text


def programs_of(field: str) -> tuple[str, ...]:
    """`SDGT] [IRGC` -> ("SDGT", "IRGC"): OFAC writes several programs as a bracketed list without its
    outer brackets."""
    text = nullable(field)
    if text is None:
        return ()
    return tuple(part.strip() for part in text.strip("[] ").split("] [") if part.strip())


def digital_currency_addresses(remarks: str | None) -> tuple[DigitalCurrencyAddress, ...]:
    """The `Digital Currency Address - <currency> <address>` mentions of a Remarks field, in order."""
    if remarks is None:
        return ()
    # The Remarks field ends with a full stop, which the last address would otherwise swallow.
    return tuple(DigitalCurrencyAddress(m[1], m[2].rstrip(".")) for m in DIGITAL_CURRENCY.finditer(remarks))


def ibans(remarks: str | None) -> tuple[str, ...]:
    """The `IBAN <iban>` mentions of a Remarks field, spaces removed and upper-cased."""
    if remarks is None:
        return ()
    return tuple(re.sub(r"\s", "", m[1]).upper() for m in IBAN_REMARK.finditer(remarks))


def parse(sdn: bytes, alt: bytes = b"", add: bytes = b"", comments: bytes = b"") -> SdnList:
    """A list from the four files' bytes (all but SDN may be empty); an alias, address or remark naming no
    entry is refused, since it means the files are from different publications."""
    version = _version({SDN_FILE: sdn, ALT_FILE: alt, ADD_FILE: add, COMMENTS_FILE: comments})
    overflow: dict[int, str] = {}
    for line, row in _rows(decode(comments), COMMENTS_FILE, COMMENTS_COLUMNS):
        ent = _number(row[0], COMMENTS_FILE, line, "ent_num")
        overflow[ent] = overflow.get(ent, "") + row[1]
    aliases: dict[int, list[Alias]] = {}
    for line, row in _rows(decode(alt), ALT_FILE, ALT_COLUMNS):
        ent = _number(row[0], ALT_FILE, line, "ent_num")
        alias = Alias(
            _number(row[1], ALT_FILE, line, "alt_num"),
            nullable(row[2]),
            _required(row[3], ALT_FILE, line, "alt_name"),
            nullable(row[4]),
        )
        aliases.setdefault(ent, []).append(alias)
    addresses: dict[int, list[Address]] = {}
    for line, row in _rows(decode(add), ADD_FILE, ADD_COLUMNS):
        ent = _number(row[0], ADD_FILE, line, "ent_num")
        address = Address(
            _number(row[1], ADD_FILE, line, "add_num"),
            nullable(row[2]),
            nullable(row[3]),
            nullable(row[4]),
            nullable(row[5]),
        )
        addresses.setdefault(ent, []).append(address)
    entries: dict[int, SdnEntry] = {}
    for line, row in _rows(decode(sdn), SDN_FILE, SDN_COLUMNS):
        ent = _number(row[0], SDN_FILE, line, "ent_num")
        if ent in entries:
            raise InvalidListFile(f"{SDN_FILE} line {line}: ent_num {ent} appears twice", field=SDN_FILE)
        remarks = nullable((nullable(row[11]) or "") + overflow.pop(ent, ""))
        entries[ent] = SdnEntry(
            ent_num=ent,
            name=_required(row[1], SDN_FILE, line, "SDN_Name"),
            sdn_type=nullable(row[2]),
            programs=programs_of(row[3]),
            title=nullable(row[4]),
            call_sign=nullable(row[5]),
            vessel_type=nullable(row[6]),
            tonnage=nullable(row[7]),
            grt=nullable(row[8]),
            vessel_flag=nullable(row[9]),
            vessel_owner=nullable(row[10]),
            remarks=remarks,
            aliases=tuple(aliases.pop(ent, ())),
            addresses=tuple(addresses.pop(ent, ())),
            digital_currency_addresses=digital_currency_addresses(remarks),
            ibans=ibans(remarks),
        )
    orphans = sorted(set(aliases) | set(addresses) | set(overflow))
    if orphans:
        raise InvalidListFile(
            f"ALT/ADD/COMMENTS rows name entries not in {SDN_FILE}: {orphans[:5]}", field=SDN_FILE
        )
    return SdnList(version, entries)


def _version(files: Mapping[str, bytes]) -> str:
    """SHA-256 over each file's name, length and bytes, in name order: a file moved between names or bytes
    moved between files changes it too."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(f"{name}\n{len(files[name])}\n".encode())
        digest.update(files[name])
    return digest.hexdigest()


def load(directory: Path) -> SdnList:
    """The list in `directory`: SDN.CSV (required), ALT.CSV, ADD.CSV and SDN_COMMENTS.CSV (optional), names
    matched case-insensitively as OFAC's downloads are upper-case and mirrors often are not."""
    if not directory.is_dir():
        raise InvalidListFile(f"{directory} is not a directory", field="directory")
    by_name = {path.name.upper(): path for path in directory.iterdir() if path.is_file()}
    if SDN_FILE not in by_name:
        raise InvalidListFile(f"{directory} holds no {SDN_FILE}", field="directory")

    def read(name: str) -> bytes:
        return by_name[name].read_bytes() if name in by_name else b""

    return parse(read(SDN_FILE), read(ALT_FILE), read(ADD_FILE), read(COMMENTS_FILE))
