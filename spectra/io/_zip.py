"""Zip containers (BRML, RASX, XLSX), opened with limits checked before anything is inflated.

Limits (module constants, in force for every container):

* :data:`MAX_MEMBERS` members at most, checked from the end-of-central-directory record before the
  directory is parsed;
* :data:`MAX_TOTAL` bytes inflated in all;
* every member, whatever its size, inflates at most :data:`MAX_RATIO` times its compressed size
  (real BRML, RASX and XLSX members stay below 15);
* encrypted members are refused.

Errors name the member and the byte offset of its local header where there is one.
"""
from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

from ..errors import FileFormatError
from ._registry import open_regular

#: largest total uncompressed size accepted (bytes)
MAX_TOTAL = 512 << 20
#: largest uncompressed/compressed ratio accepted for any member
MAX_RATIO = 100
#: most members accepted
MAX_MEMBERS = 4096
#: largest central directory accepted (bytes)
MAX_DIRECTORY = 16 << 20

_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"


def _directory_size(fh, path: Path) -> None:
    """Check the member count and directory size the end-of-central-directory record declares."""
    fh.seek(0, 2)
    size = fh.tell()
    tail_size = min(size, 22 + 65535)
    fh.seek(size - tail_size)
    tail = fh.read(tail_size)
    at = tail.rfind(_EOCD)
    if at < 0 or at + 22 > len(tail):
        return  # zipfile reports the damage
    entries, directory = struct.unpack_from("<HI", tail, at + 10)
    where = size - tail_size + at
    locator = tail.rfind(_EOCD64_LOCATOR, 0, at)
    if (entries == 0xFFFF or directory == 0xFFFFFFFF) and locator >= 0 and locator + 20 <= len(tail):
        (record_at,) = struct.unpack_from("<Q", tail, locator + 8)
        if 0 <= record_at <= size - 56:
            fh.seek(record_at)
            record = fh.read(56)
            if record[:4] == b"PK\x06\x06":
                entries, directory = struct.unpack_from("<QQ", record, 32)
                where = record_at
    if entries > MAX_MEMBERS:
        raise FileFormatError(path, f"zip container declares {entries} members (limit {MAX_MEMBERS})", offset=where)
    if directory > MAX_DIRECTORY:
        raise FileFormatError(path, f"zip central directory of {directory} bytes (limit {MAX_DIRECTORY})",
                              offset=where)


class SafeZip:
    """A zip archive whose members are read only after size, ratio and encryption checks.

    Parameters
    ----------
    path : Path
        The container file (a regular file within the size limit).

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
        The file is not a readable zip, has more than :data:`MAX_MEMBERS` members or a central
        directory over :data:`MAX_DIRECTORY` bytes, would inflate beyond :data:`MAX_TOTAL` bytes, or
        has a member with a compression ratio above :data:`MAX_RATIO`. The file is closed when a
        check fails.
    """

    def __init__(self, path: Path):
        self.path = path
        self._fh = open_regular(path)
        self.zip = None
        try:
            _directory_size(self._fh, path)
            self._fh.seek(0)
            try:
                self.zip = zipfile.ZipFile(self._fh)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, struct.error) as exc:
                raise FileFormatError(path, f"not a readable zip container: {exc}", offset=0) from None
            infos = self.zip.infolist()
            if len(infos) > MAX_MEMBERS:
                raise FileFormatError(path, f"zip container has {len(infos)} members (limit {MAX_MEMBERS})",
                                      offset=self.zip.start_dir)
            total = 0
            for info in infos:
                total += info.file_size
                if total > MAX_TOTAL:
                    raise FileFormatError(path, f"zip container would inflate to more than {MAX_TOTAL} bytes "
                                                f"(at member {info.filename!r})", offset=info.header_offset)
                if info.file_size > MAX_RATIO * max(info.compress_size, 1):
                    raise FileFormatError(path, f"zip member {info.filename!r} has a compression ratio above "
                                                f"{MAX_RATIO} ({info.file_size} bytes from {info.compress_size}): "
                                                "refused as a possible zip bomb", offset=info.header_offset)
            self.names = [i.filename for i in infos]
        except BaseException:
            self.close()
            raise

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
            There is no such member, it is encrypted or damaged, or it inflates beyond its declared
            size (the error names the member and the byte offset of its local header).
        """
        try:
            info = self.zip.getinfo(name)
        except KeyError:
            raise FileFormatError(self.path, f"zip container has no member {name!r} (byte offset: its member "
                                             "directory)", offset=self.zip.start_dir) from None
        if info.flag_bits & 0x1:
            raise FileFormatError(self.path, f"zip member {name!r} is encrypted", offset=info.header_offset)
        try:
            with self.zip.open(info) as fh:
                data = fh.read(info.file_size + 1)
        except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, NotImplementedError, RuntimeError,
                struct.error) as exc:
            raise FileFormatError(self.path, f"zip member {name!r} is damaged: {exc}",
                                  offset=info.header_offset) from None
        if len(data) > info.file_size:
            raise FileFormatError(self.path, f"zip member {name!r} inflates beyond its declared size",
                                  offset=info.header_offset)
        return data

    def offset(self, name: str) -> int | None:
        """Byte offset of a member's local header in the container, or None for an unknown name."""
        try:
            return self.zip.getinfo(name).header_offset
        except KeyError:
            return None

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
        """Close the archive and its file."""
        if self.zip is not None:
            self.zip.close()
        self._fh.close()

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
