"""The reader registry: which formats exist, how each is recognised, and the single entry point
that turns any failure inside a reader into a :class:`~spectra.errors.FileFormatError`."""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import xarray as xr

from ..errors import FileFormatError, SpectraError, UnknownFormatError

#: bytes handed to every sniffer
HEAD_SIZE = 8192


@dataclass(frozen=True)
class Reader:
    """One file format.

    Attributes
    ----------
    name : str
        Short unique name (``vamas``, ``xrdml``, ...).
    technique : str
        ``xps`` or ``xrd`` (what the format usually holds).
    extensions : tuple of str
        Lower-case extensions with the dot, used when content is not decisive.
    sniff : callable
        ``sniff(head: bytes, path: Path) -> bool``; True when the content is this format.
    read : callable
        ``read(path: Path) -> list[xarray.DataArray]``.
    description : str
        One line for :func:`spectra.io.formats`.
    generic : bool
        True for catch-all text readers, which are tried only after every specific one.
    searches : bool
        True when the sniffer searches the head for a pattern (slower, and less decisive than a
        magic prefix); such readers are tried after those that check a prefix.
    """

    name: str
    technique: str
    extensions: tuple[str, ...]
    sniff: Callable[[bytes, Path], bool]
    read: Callable[[Path], list[xr.DataArray]]
    description: str
    generic: bool = field(default=False)
    searches: bool = field(default=False)


_READERS: dict[str, Reader] = {}


def register(reader: Reader) -> Reader:
    """Add a reader to the registry (names are unique).

    Parameters
    ----------
    reader : Reader
        The reader to add.

    Returns
    -------
    Reader
        ``reader`` itself.

    Raises
    ------
    ValueError
        A reader of the same name is already registered.
    """
    if reader.name in _READERS:
        raise ValueError(f"reader {reader.name!r} registered twice")
    _READERS[reader.name] = reader
    return reader


def readers() -> list[Reader]:
    """All registered readers in sniffing order: magic prefixes, then pattern searches, then catch-alls.

    Returns
    -------
    list of Reader
        Sorted by ``(generic, searches)``; readers in the same group keep their registration order.
    """
    return sorted(_READERS.values(), key=lambda r: (r.generic, r.searches))


def get(name: str) -> Reader:
    """The registered reader called ``name``.

    Parameters
    ----------
    name : str
        A reader name (see :func:`readers`).

    Returns
    -------
    Reader
        The reader.

    Raises
    ------
    spectra.errors.UnknownFormatError
        No reader has that name; the message lists the known ones.
    """
    try:
        return _READERS[name]
    except KeyError:
        raise UnknownFormatError(name, sorted(_READERS)) from None


def detect(path: Path) -> Reader:
    """Pick the reader for ``path``: by content first, by extension second.

    The first :data:`HEAD_SIZE` bytes are handed to each reader's sniffer in :func:`readers` order;
    a sniffer that raises ``OSError`` or ``ValueError`` counts as a no. When no sniffer accepts the
    file, a catch-all reader claiming the extension is preferred, else the first specific one.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    Reader
        The chosen reader.

    Raises
    ------
    spectra.errors.FileFormatError
        ``path`` is a directory, or the file is empty (offset 0).
    spectra.errors.UnknownFormatError
        Neither content nor extension matches any reader.
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(HEAD_SIZE)
    except IsADirectoryError:
        raise FileFormatError(path, "is a directory, not a file") from None
    if not head:
        raise FileFormatError(path, "file is empty", offset=0)
    for reader in readers():
        try:
            if reader.sniff(head, path):
                return reader
        except (OSError, ValueError):
            continue
    # By extension: a catch-all text reader where one claims the extension, else the specific reader
    # (so a damaged .vms gets the VAMAS reader's precise error rather than "unknown format").
    candidates = [r for r in readers() if path.suffix.lower() in r.extensions]
    generic = [r for r in candidates if r.generic]
    if generic or candidates:
        return (generic or candidates)[0]
    raise UnknownFormatError(path, sorted(_READERS))


def run(reader: Reader, path: Path) -> list[xr.DataArray]:
    """Run ``reader`` on ``path``; any failure becomes a :class:`FileFormatError` naming the file.

    ``SpectraError``, ``FileNotFoundError`` and ``PermissionError`` pass through unchanged; any other
    exception is wrapped (and the error marked ``unanticipated``). Every returned DataArray gets
    ``source``, ``format`` and ``region`` attributes if the reader did not set them.

    Parameters
    ----------
    reader : Reader
        The reader to run.
    path : Path
        The file.

    Returns
    -------
    list of xarray.DataArray
        The reader's spectra, at least one.

    Raises
    ------
    spectra.errors.FileFormatError
        The reader failed, or found no spectrum.
    """
    try:
        spectra = reader.read(path)
    except SpectraError:
        raise
    except (FileNotFoundError, PermissionError):
        raise
    except Exception as exc:
        error = FileFormatError(path, f"not a readable {reader.name} file: {type(exc).__name__}: {exc}")
        error.unanticipated = True  # the reader did not foresee this damage (the fuzz tests count these)
        raise error from exc
    if not spectra:
        raise FileFormatError(path, f"no spectrum found in this {reader.name} file")
    for da in spectra:
        da.attrs.setdefault("source", os.fspath(path))
        da.attrs.setdefault("format", reader.name)
        da.attrs.setdefault("region", "")
    return spectra
