"""Small helpers shared by the text readers: decoding, a line cursor with good error messages,
and number parsing that reports where it failed."""
from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np

from ..errors import FileFormatError
from ._registry import read_bytes

_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")


def decode(data: bytes, path: Path, *, encodings=_ENCODINGS) -> str:
    """Decode file bytes as text; a file with NUL bytes is not text.

    Parameters
    ----------
    data : bytes
        The file content.
    path : Path
        The file, for error messages.
    encodings : tuple of str
        Encodings tried in order (by default UTF-8 with optional BOM, cp1252, Latin-1).

    Returns
    -------
    str
        The decoded text.

    Raises
    ------
    spectra.errors.FileFormatError
        The data holds a NUL byte (the error names its offset), or no encoding decodes it.
    """
    nul = data.find(b"\x00")
    if nul >= 0:
        raise FileFormatError(path, "binary content (NUL byte) in a text format", offset=nul)
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileFormatError(path, "text is in no known encoding", offset=0)  # pragma: no cover - latin-1 decodes anything


def read_text(path: Path) -> str:
    """Read and decode a text file (a regular file within the size limit, see
    :func:`spectra.io._registry.read_bytes`).

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    str
        The decoded text (see :func:`decode`).

    Raises
    ------
    spectra.errors.FileFormatError
        The file is not a regular file or too large, or holds a NUL byte (the error names its offset).
    """
    return decode(read_bytes(path), path)


def to_float(token: str, path: Path, line: int) -> float:
    """Parse a number (Fortran ``D`` exponents allowed), or raise naming the line.

    Parameters
    ----------
    token : str
        The text to parse.
    path : Path
        The file, for error messages.
    line : int
        1-based line number of ``token``, for error messages.

    Returns
    -------
    float
        The value.

    Raises
    ------
    spectra.errors.FileFormatError
        ``token`` is not a number (the error names ``line``).
    """
    try:
        return float(token.replace("D", "E").replace("d", "e"))
    except ValueError:
        raise FileFormatError(path, f"expected a number, found {token.strip()[:40]!r}", line=line) from None


def optional_float(value) -> float | None:
    """``float(value)``, or ``None`` for a missing or non-numeric header value.

    Parameters
    ----------
    value : object
        Anything ``float`` may accept, or ``None``.

    Returns
    -------
    float or None
        The value, or ``None`` when ``float`` raises ``TypeError`` or ``ValueError``.
    """
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def to_int(token: str, path: Path, line: int) -> int:
    """Parse an integer (``12``, ``12.0`` and ``1.2e1`` accepted when whole), or raise naming the line.

    Parameters
    ----------
    token : str
        The text to parse.
    path : Path
        The file, for error messages.
    line : int
        1-based line number of ``token``, for error messages.

    Returns
    -------
    int
        The value.

    Raises
    ------
    spectra.errors.FileFormatError
        ``token`` is not a number, or not a finite whole number (the error names ``line``).
    """
    value = to_float(token, path, line)
    if not np.isfinite(value) or value != int(value):
        raise FileFormatError(path, f"expected a whole number, found {token.strip()[:40]!r}", line=line)
    return int(value)


class LineCursor:
    """Reads a text file line by line, keeping the line number for error messages.

    Parameters
    ----------
    lines : list of str
        The file's lines, without line ends.
    path : Path
        For error messages.
    start : int
        Index of the first line to read.
    """

    def __init__(self, lines: list[str], path: Path, start: int = 0):
        self.lines = lines
        self.path = path
        self.pos = start

    @property
    def line_number(self) -> int:
        """1-based number of the line read last."""
        return self.pos

    def error(self, message: str) -> FileFormatError:
        """Build (not raise) an error naming the line read last.

        Parameters
        ----------
        message : str
            What is wrong.

        Returns
        -------
        spectra.errors.FileFormatError
            The error, at line :attr:`line_number` (at least 1).
        """
        return FileFormatError(self.path, message, line=max(self.pos, 1))

    def next(self) -> str:
        """The next line, stripped of surrounding white space.

        Returns
        -------
        str
            The line.

        Raises
        ------
        spectra.errors.FileFormatError
            There is no next line (the error names the line after the last).
        """
        if self.pos >= len(self.lines):
            raise FileFormatError(self.path, "file ends too early", line=len(self.lines) + 1)
        line = self.lines[self.pos]
        self.pos += 1
        return line.strip()

    def next_float(self) -> float:
        """The next line as a number.

        Returns
        -------
        float
            The value.

        Raises
        ------
        spectra.errors.FileFormatError
            There is no next line, or it is not a number (the error names the line).
        """
        text = self.next()
        return to_float(text, self.path, self.pos)

    def next_int(self, *, minimum: int | None = 0, maximum: int | None = None) -> int:
        """The next line as a whole number within bounds (typically a count).

        Parameters
        ----------
        minimum : int or None
            Smallest value accepted (default 0); ``None`` for no lower bound.
        maximum : int or None
            Largest value accepted; ``None`` for no upper bound.

        Returns
        -------
        int
            The value.

        Raises
        ------
        spectra.errors.FileFormatError
            There is no next line, it is not a whole number, or it is out of bounds (the error names the line).
        """
        value = to_int(self.next(), self.path, self.pos)
        if minimum is not None and value < minimum:
            raise self.error(f"count {value} is below {minimum}")
        if maximum is not None and value > maximum:
            raise self.error(f"count {value} is larger than the file can hold ({maximum})")
        return value

    def take(self, n: int) -> list[str]:
        """The next ``n`` lines, each stripped.

        Parameters
        ----------
        n : int
            Number of lines.

        Returns
        -------
        list of str
            The lines.

        Raises
        ------
        spectra.errors.FileFormatError
            ``n`` is negative or the file ends first (the error names the line after the last).
        """
        if n < 0 or self.pos + n > len(self.lines):
            raise FileFormatError(self.path, f"file ends inside a list of {n} lines", line=len(self.lines) + 1)
        out = [s.strip() for s in self.lines[self.pos:self.pos + n]]
        self.pos += n
        return out

    def floats(self, n: int) -> np.ndarray:
        """The next ``n`` lines as numbers (numpy ignores the surrounding white space).

        Parameters
        ----------
        n : int
            Number of lines, one number each.

        Returns
        -------
        numpy.ndarray
            Shape ``(n,)``, float64.

        Raises
        ------
        spectra.errors.FileFormatError
            ``n`` is negative, the file ends first (the error names the line after the last), or a
            line is not a number (the error names that line).
        """
        start = self.pos
        if n < 0 or start + n > len(self.lines):
            raise FileFormatError(self.path, f"file ends inside a list of {n} values", line=len(self.lines) + 1)
        chunk = self.lines[start:start + n]
        self.pos += n
        try:
            return np.array(chunk, dtype=float)
        except ValueError:
            for i, token in enumerate(chunk):
                to_float(token, self.path, start + i + 1)
            raise  # pragma: no cover - to_float raises first


_NUMBER = re.compile(r"^[\s,;]*[-+]?(\d+\.?\d*|\.\d+)([eEdD][-+]?\d+)?")


def numeric_rows(lines: list[str], path: Path, *, first_line: int = 1, delimiter: str | None = None,
                 min_columns: int = 2, finite: tuple[int, ...] | str | None = (0, 1)) -> np.ndarray:
    """Parse rows of numbers (whitespace, comma, semicolon or tab separated) into a 2-D array.

    Every row must have the same number of columns; the error names the first bad line. Blank
    lines are skipped. ``nan`` and ``inf`` (any case) parse, but the columns named by ``finite``
    must hold finite numbers (by default the first two: the axis and the intensity).

    Parameters
    ----------
    lines : list of str
        The data lines.
    path : Path
        The file, for error messages.
    first_line : int
        1-based line number of ``lines[0]`` in the file, for error messages.
    delimiter : str, optional
        Column separator; by default any run of white space, commas and semicolons. With an explicit
        delimiter every field must hold a number (``1,,2`` is an error, not two values).
    min_columns : int
        Fewest columns accepted.
    finite : tuple of int, "all" or None
        Columns (those that exist) whose values must be finite; ``"all"`` for every column, None
        for none.

    Returns
    -------
    numpy.ndarray
        Shape ``(rows, columns)``, float64.

    Raises
    ------
    spectra.errors.FileFormatError
        A value is not a number (or a field is empty), the first row has fewer than ``min_columns``
        columns, a row's width differs from the first's, a value in a ``finite`` column is NaN or
        infinite, or there are no data rows (the error names the line).
    """
    table = _fast_rows(lines, delimiter, min_columns)
    if table is None:
        table = _slow_rows(lines, path, first_line, delimiter, min_columns)
    if finite is not None and table.size:
        columns = range(table.shape[1]) if finite == "all" else [j for j in finite if j < table.shape[1]]
        for j in columns:
            bad = ~np.isfinite(table[:, j])
            if bad.any():
                row = int(np.argmax(bad))
                raise FileFormatError(path, f"column {j + 1} holds {float(table[row, j])!r}: a finite number is needed "
                                            f"({int(bad.sum())} such values)",
                                      line=_row_line(lines, first_line, row))
    return table


def _row_line(lines: list[str], first_line: int, row: int) -> int:
    """1-based file line of data row ``row`` (blank lines do not count as rows)."""
    seen = -1
    for i, line in enumerate(lines):
        if line.strip():
            seen += 1
            if seen == row:
                return first_line + i
    return first_line + len(lines)  # pragma: no cover - row is always in range


def _slow_rows(lines: list[str], path: Path, first_line: int, delimiter: str | None, min_columns: int) -> np.ndarray:
    """Parse row by row, naming the first line that is not numeric or not as wide as the first."""
    rows = []
    width = None
    for i, line in enumerate(lines):
        text = line.strip()
        if not text:
            continue
        parts = text.split(delimiter) if delimiter else re.split(r"[\s,;]+", text)
        parts = [p for p in parts if p.strip() != ""] if delimiter is None else [p.strip() for p in parts]
        if delimiter is not None and "" in parts:
            raise FileFormatError(path, f"empty field in {text[:60]!r}", line=first_line + i)
        try:
            row = [float(p) for p in parts]
        except ValueError:
            raise FileFormatError(path, f"expected {width or min_columns} numbers, found {text[:60]!r}",
                                  line=first_line + i) from None
        if width is None:
            width = len(row)
            if width < min_columns:
                raise FileFormatError(path, f"expected at least {min_columns} columns, found {width}",
                                      line=first_line + i)
        elif len(row) != width:
            raise FileFormatError(path, f"row has {len(row)} columns where earlier rows have {width}",
                                  line=first_line + i)
        rows.append(row)
    if not rows:
        raise FileFormatError(path, "no data rows", line=first_line)
    return np.array(rows, dtype=float)


def _fast_rows(lines: list[str], delimiter: str | None, min_columns: int) -> np.ndarray | None:
    """Parse a clean block in one numpy call; ``None`` when it is not clean (the slow path explains).

    ``numpy.loadtxt`` checks that every row has the same number of fields (so ragged rows whose
    total happens to fill a rectangle are not reshaped) and, with an explicit delimiter, that no
    field is empty.
    """
    body = [line for line in lines if line.strip()]
    if not body:
        return None
    text = "\n".join(body)
    if delimiter is None:
        text = text.replace(",", " ").replace(";", " ")
    try:
        table = np.loadtxt(io.StringIO(text), dtype=float, delimiter=delimiter, comments=None, ndmin=2)
    except (ValueError, TypeError):
        return None
    if table.shape[0] != len(body) or table.shape[1] < min_columns:
        return None
    return table


def looks_numeric(line: str) -> bool:
    """True when a line starts with a number.

    Parameters
    ----------
    line : str
        A line of text; leading white space, commas and semicolons are skipped.

    Returns
    -------
    bool
        Whether a number follows (anything may come after it).
    """
    return bool(_NUMBER.match(line)) and line.strip() != ""
