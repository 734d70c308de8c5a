"""Exports delivered as one zip archive (an ERP's nightly drop on a file server): unpacked into a
folder and read as the export folder it holds.

The archive's files are the export's, in its root or in the one folder it holds; the folders a Mac
adds to an archive (``__MACOSX``) are left out. A member whose name would land outside the folder
(an absolute path, ``..``) stops the unpacking, as does a file that is not a zip archive.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path, PurePosixPath

from contracts.errors import ContractError

ARCHIVE_SUFFIX = ".zip"
# What an archiver adds beside the files it was given: a Mac's resource forks.
_ADDED_BY_ARCHIVERS = "__MACOSX"


def is_archive(path: Path) -> bool:
    """Whether ``path`` is a zip archive of exports rather than an export folder."""
    return path.suffix.lower() == ARCHIVE_SUFFIX and not path.is_dir()


def unpack_exports(archive: Path, into: Path) -> Path:
    """Unpack ``archive`` into ``into`` (emptied first) and return the export folder: ``into``, or
    the one folder the archive holds when it holds nothing else."""
    if not archive.is_file():
        raise ContractError(f"archive {archive} does not exist")
    try:
        with zipfile.ZipFile(archive) as book:
            members = [m for m in book.infolist() if PurePosixPath(m.filename).parts[:1] != (_ADDED_BY_ARCHIVERS,)]
            for member in members:
                name = PurePosixPath(member.filename)
                if name.is_absolute() or ".." in name.parts:
                    raise ContractError(f"{archive.name}: member {member.filename!r} would be written outside "
                                        "the folder it is unpacked into")
            if into.exists():
                shutil.rmtree(into)
            into.mkdir(parents=True)
            book.extractall(into, members)
    except zipfile.BadZipFile as error:
        raise ContractError(f"{archive.name}: not a zip archive ({error})") from error
    entries = list(into.iterdir())
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else into
