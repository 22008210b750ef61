"""The reader registry: which formats exist, how each is recognised, and the single entry point
that turns any failure inside a reader into a :class:`~spectra.errors.FileFormatError`.

It is also the one place where files are opened: :func:`open_regular` and :func:`read_bytes` accept
only regular files (a path naming, or linking to, a device, FIFO, socket or directory is refused
before anything is read, so ``/dev/zero`` or a FIFO can neither exhaust memory nor block) and never
read more than :data:`MAX_FILE_SIZE` bytes. Every reader opens its file through them.
"""
from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import xarray as xr

from ..errors import FileFormatError, SpectraError, UnknownFormatError

#: bytes handed to every sniffer
HEAD_SIZE = 8192
#: largest file (bytes) any reader reads; larger files are refused before reading. Change it with
#: ``spectra.io.set_max_file_size`` (or the environment variable ``SPECTRA_MAX_FILE_SIZE``, in bytes).
def _size_from_environment(default: int = 2 << 30) -> int:
    try:
        value = int(os.environ.get("SPECTRA_MAX_FILE_SIZE", default))
    except ValueError:
        return default
    return value if value > 0 else default


MAX_FILE_SIZE = _size_from_environment()

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"))


def _check_stat(path, st: os.stat_result) -> None:
    if not stat.S_ISREG(st.st_mode):
        kind = next((name for test, name in _KINDS if test(st.st_mode)), "not a regular file")
        raise FileFormatError(path, f"is {kind}, not a regular file: refused without reading", offset=0)
    if st.st_size > MAX_FILE_SIZE:
        raise FileFormatError(path, f"file is {st.st_size} bytes, more than the {MAX_FILE_SIZE}-byte limit "
                                    "(spectra.io.set_max_file_size raises it)", offset=MAX_FILE_SIZE)


def check_path(path: str | os.PathLike) -> None:
    """Refuse anything but a regular file of at most :data:`MAX_FILE_SIZE` bytes, without opening it.

    Symbolic links are followed (``os.stat``), so a link to ``/dev/zero`` is refused as a device.

    Parameters
    ----------
    path : str or PathLike
        The file.

    Raises
    ------
    FileNotFoundError, PermissionError
        As ``os.stat`` raises them.
    spectra.errors.FileFormatError
        ``path`` is a directory, device, FIFO or socket, a symbolic-link loop, or too large (offset 0,
        or the size limit for a file too large).
    """
    try:
        st = os.stat(path)
    except (FileNotFoundError, PermissionError):
        raise
    except OSError as exc:  # ELOOP (symbolic-link loop), ENAMETOOLONG, ...
        reason = "a symbolic-link loop" if exc.errno == errno.ELOOP else (exc.strerror or str(exc))
        raise FileFormatError(path, f"cannot be opened: {reason}", offset=0) from None
    _check_stat(path, st)


def open_regular(path: str | os.PathLike) -> BinaryIO:
    """Open a file for binary reading after :func:`check_path`, and check again what was opened.

    The file is opened non-blocking (a FIFO swapped in after the check cannot block the open) and the
    open descriptor is checked with ``fstat``, so what is read is what was checked.

    Parameters
    ----------
    path : str or PathLike
        The file.

    Returns
    -------
    BinaryIO
        The open file; the caller closes it.

    Raises
    ------
    FileNotFoundError, PermissionError
        As ``open`` raises them.
    spectra.errors.FileFormatError
        See :func:`check_path`.
    """
    check_path(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except (FileNotFoundError, PermissionError):
        raise
    except OSError as exc:
        raise FileFormatError(path, f"cannot be opened: {exc.strerror or exc}", offset=0) from None
    try:
        _check_stat(path, os.fstat(fd))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: str | os.PathLike) -> bytes:
    """The whole content of a regular file of at most :data:`MAX_FILE_SIZE` bytes.

    Parameters
    ----------
    path : str or PathLike
        The file.

    Returns
    -------
    bytes
        The content.

    Raises
    ------
    FileNotFoundError, PermissionError
        As ``open`` raises them.
    spectra.errors.FileFormatError
        See :func:`check_path`; also when the file grows beyond the limit while being read.
    """
    chunks, total = [], 0
    with open_regular(path) as fh:
        want = min(os.fstat(fh.fileno()).st_size, MAX_FILE_SIZE) + 1  # read(n) allocates n bytes up front
        while chunk := fh.read(want):
            chunks.append(chunk)
            total += len(chunk)
            if total > MAX_FILE_SIZE:
                raise FileFormatError(path, f"file is larger than the {MAX_FILE_SIZE}-byte limit",
                                      offset=MAX_FILE_SIZE)
            want = 1 << 20  # the file grew while being read
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


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
    by_extension : bool
        True when the sniffer relies on the extension rather than on content (a format with no
        recognisable magic); such readers are tried after every content sniffer, so a file whose
        content another reader recognises goes to that reader whatever its name.
    """

    name: str
    technique: str
    extensions: tuple[str, ...]
    sniff: Callable[[bytes, Path], bool]
    read: Callable[[Path], list[xr.DataArray]]
    description: str
    generic: bool = field(default=False)
    searches: bool = field(default=False)
    by_extension: bool = field(default=False)


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
    """All registered readers in sniffing order: magic prefixes, then pattern searches, then catch-alls,
    then readers whose sniffer goes by extension.

    Returns
    -------
    list of Reader
        Sorted by ``(by_extension, generic, searches)``; readers in the same group keep their
        registration order.
    """
    return sorted(_READERS.values(), key=lambda r: (r.by_extension, r.generic, r.searches))


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

    The first :data:`HEAD_SIZE` bytes are handed to each reader's sniffer in :func:`readers` order
    (content sniffers before those that go by extension); a sniffer that raises ``OSError`` or
    ``ValueError`` counts as a no. When no sniffer accepts the file, a catch-all reader claiming the
    extension is preferred, else the first specific one.

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
        ``path`` is not a regular file (a directory, device, FIFO, socket or link loop), is larger
        than :data:`MAX_FILE_SIZE`, or is empty (offset 0).
    spectra.errors.UnknownFormatError
        Neither content nor extension matches any reader.
    """
    with open_regular(path) as fh:
        head = fh.read(HEAD_SIZE)
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

    The path is checked first (:func:`check_path`: regular files within :data:`MAX_FILE_SIZE` only).
    ``SpectraError``, ``FileNotFoundError`` and ``PermissionError`` pass through unchanged; any other
    exception is wrapped (and the error marked ``unanticipated``). Every returned spectrum's axis must
    be finite and not constant, and its values finite; a reader that lets such a spectrum through is
    a reader bug, reported as an ``unanticipated`` error. Every returned DataArray gets ``source``,
    ``format`` and ``region`` attributes if the reader did not set them.

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
    check_path(path)
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
    for index, da in enumerate(spectra):
        _check_result(da, index, reader, path)
    for da in spectra:
        da.attrs.setdefault("source", os.fspath(path))
        da.attrs.setdefault("format", reader.name)
        da.attrs.setdefault("region", "")
    return spectra


def _check_result(da: xr.DataArray, index: int, reader: Reader, path: Path) -> None:
    """The last line of defence against silent garbage: readers check their own headers and data
    with locations; a spectrum reaching here with a non-finite or constant axis or non-finite values
    is a reader bug, reported as such (``unanticipated``)."""
    dim = da.dims[-1]
    axis = np.asarray(da[dim].values, dtype=float)
    problem = None
    if axis.size == 0:
        problem = "an empty axis"
    elif not np.isfinite(axis).all():
        problem = f"a non-finite {dim} value"
    elif axis.size > 1 and axis.min() == axis.max():
        problem = f"a constant {dim} axis"
    elif np.issubdtype(da.dtype, np.number) and not np.isfinite(da.values).all():
        problem = "a non-finite intensity"
    if problem:
        error = FileFormatError(path, f"spectrum {index + 1} ({da.attrs.get('region', '')!r}) of this {reader.name} "
                                      f"file has {problem}")
        error.unanticipated = True
        raise error


def set_max_file_size(size: int) -> int:
    """Set the largest file (bytes) the readers accept; returns the previous limit.

    Parameters
    ----------
    size : int
        The new limit, positive.

    Returns
    -------
    int
        The limit before the call.

    Raises
    ------
    ValueError
        ``size`` is not a positive integer.
    """
    global MAX_FILE_SIZE
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise ValueError(f"the file size limit must be a positive integer, not {size!r}")
    previous, MAX_FILE_SIZE = MAX_FILE_SIZE, size
    return previous
