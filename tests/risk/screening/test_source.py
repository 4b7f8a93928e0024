"""The list in use, from its directory: parsed again only when its files change, a broken change keeping
the last good list, and a replacement written whole or refused before it touches the directory."""

from pathlib import Path

import pytest

from risk.screening.errors import InvalidListFile
from risk.screening.source import ListSource
from tests.risk.screening.conftest import sample_files, write_list

EXTRA = (
    b'9100,"DOE, Jane Quinn","individual","SDGT","-0- ","-0- ","-0- ","-0- ","-0- ","-0- ","-0- ","-0- "\r\n'
)


def test_the_list_is_read_again_only_when_its_files_change(tmp_path: Path) -> None:
    source = ListSource(write_list(tmp_path / "list", sample_files()))
    first = source.current()
    assert source.current() is first  # unchanged files: the same index, not parsed again
    (tmp_path / "list" / "SDN.CSV").write_bytes(sample_files()["SDN.CSV"].rstrip(b"\x1a") + EXTRA)
    changed = source.current()
    assert (changed.version != first.version, changed.entries) == (True, first.entries + 1)


def test_a_broken_change_keeps_the_last_good_list(tmp_path: Path) -> None:
    source = ListSource(write_list(tmp_path / "list", sample_files()))
    good = source.current()
    (tmp_path / "list" / "SDN.CSV").write_bytes(b'1,"two fields"\r\n')
    assert source.current() is good


def test_no_list_at_all_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidListFile):
        ListSource(tmp_path / "nothing").current()


def test_a_replacement_is_written_whole_and_used(tmp_path: Path) -> None:
    directory = write_list(tmp_path / "list", {"sdn.csv": sample_files()["SDN.CSV"], "ALT.CSV": b""})
    source = ListSource(directory)
    files = {"SDN.CSV": sample_files()["SDN.CSV"].rstrip(b"\x1a") + EXTRA}
    replaced = source.replace(files)
    assert sorted(path.name for path in directory.iterdir()) == ["SDN.CSV"]  # the old case variant gone too
    assert source.current() is replaced
    assert replaced.names("Jane Quinn Doe", 88.0)[0].ent_num == 9100


@pytest.mark.parametrize(
    ("files", "field"),
    [
        ({"SDN.CSV": b'1,"two fields"\r\n'}, "SDN.CSV"),
        ({"ALT.CSV": b""}, "SDN.CSV"),
        ({"SDN.CSV": b"", "EXTRA.CSV": b""}, "EXTRA.CSV"),
    ],
)
def test_a_bad_replacement_changes_nothing(tmp_path: Path, files: dict[str, bytes], field: str) -> None:
    directory = write_list(tmp_path / "list", sample_files())
    source = ListSource(directory)
    before = source.current()
    with pytest.raises(InvalidListFile) as refused:
        source.replace(files)
    assert refused.value.field == field
    assert (directory / "SDN.CSV").read_bytes() == sample_files()["SDN.CSV"]
    assert source.current() is before
