"""Exceptions raised by spectra.

Every error the package raises on purpose derives from :class:`SpectraError`, so callers can catch
one type. Reader errors name the file and, where it makes sense, the line or byte offset at which
the reader gave up.
"""
from __future__ import annotations

from os import PathLike


class SpectraError(Exception):
    """Base class of every error raised by spectra."""


class FileFormatError(SpectraError, ValueError):
    """A file could not be read as the format it claims (or was recognised as) to be.

    Parameters
    ----------
    path : str or PathLike
        The file.
    message : str
        What is wrong, in words a user can act on.
    line : int, optional
        1-based line number where reading failed (text formats).
    offset : int, optional
        0-based byte offset where reading failed (binary formats).
    """

    def __init__(self, path: str | PathLike, message: str, *, line: int | None = None,
                 offset: int | None = None):
        self.path = str(path)
        self.line = line
        self.offset = offset
        self.reason = message
        self.unanticipated = False
        where = ""
        if line is not None:
            where = f", line {line}"
        elif offset is not None:
            where = f", byte {offset}"
        super().__init__(f"{self.path}{where}: {message}")


class UnknownFormatError(SpectraError, ValueError):
    """No reader recognises a file.

    Parameters
    ----------
    path : str or PathLike
        The file (or, from :func:`spectra.io.read` with ``format=``, the unknown format name).
    known : list of str
        Names of the registered readers, listed in the message.
    """

    def __init__(self, path: str | PathLike, known: list[str]):
        self.path = str(path)
        self.known = list(known)
        super().__init__(f"{self.path}: not a file format spectra can read. "
                         f"Known formats: {', '.join(self.known)}")


class RegionError(SpectraError, LookupError):
    """A requested region is not in a file, or a file holds several and none was chosen."""


class RecipeError(SpectraError, ValueError):
    """A fit recipe is invalid."""


class FitError(SpectraError, RuntimeError):
    """A fit could not be carried out."""


class OptionalDependencyError(SpectraError, ImportError):
    """An optional dependency is missing; the message names the pip extra that installs it."""
