"""Small helpers shared by the text readers: decoding, a line cursor with good error messages,
and number parsing that reports where it failed."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..errors import FileFormatError

_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")


def decode(data: bytes, path: Path, *, encodings=_ENCODINGS) -> str:
    """Decode file bytes as text; a file with NUL bytes is not text."""
    nul = data.find(b"\x00")
    if nul >= 0:
        raise FileFormatError(path, "binary content (NUL byte) in a text format", offset=nul)
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileFormatError(path, "text is in no known encoding")  # pragma: no cover - latin-1 decodes anything


def read_text(path: Path) -> str:
    """Read and decode a text file."""
    return decode(Path(path).read_bytes(), path)


def to_float(token: str, path: Path, line: int) -> float:
    """Parse a number (Fortran ``D`` exponents allowed), or raise naming the line."""
    try:
        return float(token.replace("D", "E").replace("d", "e"))
    except ValueError:
        raise FileFormatError(path, f"expected a number, found {token.strip()[:40]!r}", line=line) from None


def optional_float(value) -> float | None:
    """``float(value)``, or ``None`` for a missing or non-numeric header value."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def to_int(token: str, path: Path, line: int) -> int:
    """Parse an integer (``12``, ``12.0`` and ``1.2e1`` accepted when whole), or raise naming the line."""
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
        return FileFormatError(self.path, message, line=max(self.pos, 1))

    def next(self) -> str:
        if self.pos >= len(self.lines):
            raise FileFormatError(self.path, "file ends too early", line=len(self.lines) + 1)
        line = self.lines[self.pos]
        self.pos += 1
        return line.strip()

    def next_float(self) -> float:
        text = self.next()
        return to_float(text, self.path, self.pos)

    def next_int(self, *, minimum: int | None = 0, maximum: int | None = None) -> int:
        value = to_int(self.next(), self.path, self.pos)
        if minimum is not None and value < minimum:
            raise self.error(f"count {value} is below {minimum}")
        if maximum is not None and value > maximum:
            raise self.error(f"count {value} is larger than the file can hold ({maximum})")
        return value

    def take(self, n: int) -> list[str]:
        if n < 0 or self.pos + n > len(self.lines):
            raise FileFormatError(self.path, f"file ends inside a list of {n} lines", line=len(self.lines) + 1)
        out = [s.strip() for s in self.lines[self.pos:self.pos + n]]
        self.pos += n
        return out

    def floats(self, n: int) -> np.ndarray:
        """The next ``n`` lines as numbers (numpy ignores the surrounding white space)."""
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
                 min_columns: int = 2) -> np.ndarray:
    """Parse rows of numbers (whitespace, comma, semicolon or tab separated) into a 2-D array.

    Every row must have the same number of columns; the error names the first bad line.
    ``nan`` (any case) is accepted.
    """
    fast = _fast_rows(lines, delimiter, min_columns)
    if fast is not None:
        return fast
    rows = []
    width = None
    for i, line in enumerate(lines):
        text = line.strip()
        if not text:
            continue
        parts = text.split(delimiter) if delimiter else re.split(r"[\s,;]+", text)
        parts = [p for p in parts if p.strip() != ""] if delimiter is None else [p.strip() for p in parts]
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
    """Parse a clean block in one numpy call; ``None`` when it is not clean (the slow path explains)."""
    body = [line for line in lines if line.strip()]
    if not body:
        return None
    sep = delimiter if delimiter else None
    first = body[0].replace(",", " ").replace(";", " ").split() if sep is None else body[0].split(sep)
    width = len(first)
    if width < min_columns:
        return None
    text = "\n".join(body)
    if sep is None:
        text = text.replace(",", " ").replace(";", " ")
    else:
        text = text.replace(sep, " ")
    try:
        values = np.array(text.split(), dtype=float)
    except ValueError:
        return None
    if values.size != width * len(body):
        return None
    return values.reshape(len(body), width)


def looks_numeric(line: str) -> bool:
    """True when a line starts with a number."""
    return bool(_NUMBER.match(line)) and line.strip() != ""
