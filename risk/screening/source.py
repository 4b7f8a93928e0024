"""The list in use, read from a directory of OFAC SDN CSV files and read again only when they change.

Every process that screens (the API, the payout worker) holds a `ListSource` on the same directory; a list
replaced there (by the API's list route, or by an operator copying OFAC's new files in) is picked up on the
next `current()`: the files' names, sizes and modification times are compared first (cheap, each call),
and only a change makes the list be parsed and indexed again. A malformed new list raises
`InvalidListFile` and the previous one stays in use.

`replace` writes a new list's files atomically (each file written under a temporary name, fsynced and
renamed; files of the old list the new one lacks removed), after parsing them, so a malformed list is
refused before it touches the directory.
"""

import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from risk.screening import sdn
from risk.screening.errors import InvalidListFile
from risk.screening.index import ListIndex

LIST_FILES: Final = (sdn.SDN_FILE, sdn.ALT_FILE, sdn.ADD_FILE, sdn.COMMENTS_FILE)

Stamp = tuple[tuple[str, int, int], ...]


def _stamp(directory: Path) -> Stamp:
    found = []
    for path in sorted(directory.iterdir()) if directory.is_dir() else ():
        if path.is_file() and path.name.upper() in LIST_FILES:
            status = path.stat()
            found.append((path.name, status.st_size, status.st_mtime_ns))
    return tuple(found)


class ListSource:
    """The list in `directory` (see the module docstring); thread-safe."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._stamp: Stamp | None = None
        self._index: ListIndex | None = None

    def current(self) -> ListIndex:
        """The list as the directory holds it now (parsed again only when its files changed)."""
        with self._lock:
            stamp = _stamp(self.directory)
            if self._index is None or stamp != self._stamp:
                try:
                    self._index = ListIndex(sdn.load(self.directory))
                except InvalidListFile:
                    if self._index is None:
                        raise
                    return self._index  # a half-copied or broken list: keep screening against the last
                self._stamp = stamp
            return self._index

    def replace(self, files: Mapping[str, bytes]) -> ListIndex:
        """Write a new list (`SDN.CSV` required; `ALT.CSV`, `ADD.CSV`, `SDN_COMMENTS.CSV` optional) and use
        it; refused (`InvalidListFile`, nothing written) when it does not parse."""
        unknown = sorted(set(files) - set(LIST_FILES))
        if unknown:
            raise InvalidListFile(f"unknown list files {unknown}", field=unknown[0])
        if sdn.SDN_FILE not in files:
            raise InvalidListFile(f"a list needs its {sdn.SDN_FILE}", field=sdn.SDN_FILE)
        parsed = sdn.parse(*(files.get(name, b"") for name in LIST_FILES))
        with self._lock:
            self.directory.mkdir(parents=True, exist_ok=True)
            for name in LIST_FILES:
                target = self.directory / name
                for stale in list(self.directory.iterdir()):
                    if stale.name.upper() == name and (stale.name != name or name not in files):
                        stale.unlink()
                if name in files:
                    partial = target.with_name(f".{name}.{os.getpid()}.tmp")
                    with partial.open("wb") as file:
                        file.write(files[name])
                        file.flush()
                        os.fsync(file.fileno())
                    os.replace(partial, target)
            self._index = ListIndex(parsed)
            self._stamp = _stamp(self.directory)
            return self._index
