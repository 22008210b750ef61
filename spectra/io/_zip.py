"""Zip containers (BRML, RASX, XLSX), opened with limits checked before anything is inflated."""
from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from ..errors import FileFormatError

#: largest total uncompressed size accepted (bytes)
MAX_TOTAL = 1 << 30
#: largest uncompressed/compressed ratio accepted for any member
MAX_RATIO = 200
#: most members accepted
MAX_MEMBERS = 100_000


class SafeZip:
    """A zip archive whose members are read only after size and ratio checks.

    Parameters
    ----------
    path : Path
        The container file.

    Attributes
    ----------
    path : Path
        The container file.
    zip : zipfile.ZipFile
        The open archive.
    names : list of str
        Member names in archive order.

    Raises
    ------
    spectra.errors.FileFormatError
        The file is not a readable zip, has more than :data:`MAX_MEMBERS` members, would inflate beyond
        :data:`MAX_TOTAL` bytes, or has a member over 1 MiB with a compression ratio above :data:`MAX_RATIO`.
    """

    def __init__(self, path: Path):
        self.path = path
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
            raise FileFormatError(path, f"not a readable zip container: {exc}") from None
        infos = self.zip.infolist()
        if len(infos) > MAX_MEMBERS:
            raise FileFormatError(path, f"zip container has {len(infos)} members (limit {MAX_MEMBERS})")
        total = sum(i.file_size for i in infos)
        if total > MAX_TOTAL:
            raise FileFormatError(path, f"zip container would inflate to {total} bytes (limit {MAX_TOTAL})")
        for info in infos:
            if info.file_size > 1 << 20 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise FileFormatError(path, f"zip member {info.filename!r} has a compression ratio above "
                                            f"{MAX_RATIO}: refused as a possible zip bomb")
        self.names = [i.filename for i in infos]

    def read(self, name: str) -> bytes:
        """Inflate one member, never more than its declared size.

        Parameters
        ----------
        name : str
            Member name.

        Returns
        -------
        bytes
            The member's content.

        Raises
        ------
        spectra.errors.FileFormatError
            There is no such member, it is damaged, or it inflates beyond its declared size.
        """
        try:
            info = self.zip.getinfo(name)
            with self.zip.open(info) as fh:
                data = fh.read(info.file_size + 1)
        except KeyError:
            raise FileFormatError(self.path, f"zip container has no member {name!r}") from None
        except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, NotImplementedError) as exc:
            raise FileFormatError(self.path, f"zip member {name!r} is damaged: {exc}") from None
        if len(data) > info.file_size:
            raise FileFormatError(self.path, f"zip member {name!r} inflates beyond its declared size")
        return data

    def find(self, suffix: str) -> list[str]:
        """Member names ending with ``suffix`` (case-insensitive), in archive order.

        Parameters
        ----------
        suffix : str
            The ending to look for, e.g. ``".xml"``.

        Returns
        -------
        list of str
            Matching member names.
        """
        return [n for n in self.names if n.lower().endswith(suffix.lower())]

    def close(self) -> None:
        """Close the archive."""
        self.zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def is_zip(head: bytes) -> bool:
    """True when the bytes start with a zip local-file-header signature (``PK\\x03\\x04``).

    Parameters
    ----------
    head : bytes
        The first bytes of a file.

    Returns
    -------
    bool
        Whether the file looks like a zip container.
    """
    return head[:4] == b"PK\x03\x04"
