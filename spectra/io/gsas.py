"""GSAS powder data: STD and ESD fixed-width files (``.gsa .gsas .gss .xra``) and free-format FXYE
(``.fxye``), constant-step banks (``CONST``/``CONS``), positions in centidegrees.

STD: ten 8-character fields per line; a field's first two characters may give the number of
counters (blank = 1), the intensity is the rest. ESD: five (intensity, σ) pairs of 8-character
fields. FXYE: free-format ``x y σ`` rows, x in centidegrees. Each bank is one pattern; σ, where the
file gives it, is kept as the coordinate ``sigma``.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..dataarray import xrd_pattern
from ..errors import FileFormatError
from . import _checks
from ._registry import Reader, register
from ._text import numeric_rows, read_text, to_float, to_int

_BANK = re.compile(rb"^BANK\s+\d+\s+\d+\s+\d+\s+\w+", re.MULTILINE)


def sniff(head: bytes, path: Path) -> bool:
    """Recognise a GSAS powder data file.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (up to :data:`~spectra.io._registry.HEAD_SIZE`).
    path : Path
        The file (unused).

    Returns
    -------
    bool
        True when a line starts ``BANK <n> <nchan> <nrec> <BINTYP>``.
    """
    return bool(_BANK.search(head))


def _fields(line: str, width: int, count: int) -> list[str]:
    line = line.rstrip("\r\n").ljust(width * count)
    return [line[i * width:(i + 1) * width] for i in range(count)]


def _bank(lines: list[str], at: int, path: Path, title: str, comments: list[str]):
    parts = lines[at].split()
    if len(parts) < 5:
        raise FileFormatError(path, "BANK line needs: BANK n nchan nrec BINTYP start step ...", line=at + 1)
    number, nchan = parts[1], to_int(parts[2], path, at + 1)
    bintyp = parts[4].upper()
    kind = parts[-1].upper() if parts[-1].upper() in ("STD", "ESD", "ALT", "FXYE") else "STD"
    if bintyp not in ("CONST", "CONS"):
        raise FileFormatError(path, f"bank binning {bintyp!r}: only constant-step (CONST) banks are read", line=at + 1)
    if len(parts) < 7:
        raise FileFormatError(path, "CONST BANK line needs: BANK n nchan nrec CONST start step ...", line=at + 1)
    start, step = to_float(parts[5], path, at + 1), to_float(parts[6], path, at + 1)
    if nchan <= 0 or nchan > 50_000_000:
        raise FileFormatError(path, f"implausible channel count {nchan}", line=at + 1)
    end = at + 1
    while end < len(lines) and not lines[end].startswith("BANK"):
        end += 1
    body = [line for line in lines[at + 1:end] if line.strip() and not line.startswith("#")]
    sigma = None
    if kind == "FXYE":
        rows = numeric_rows(body, path, first_line=at + 2, min_columns=3)
        if rows.shape[0] != nchan:
            raise FileFormatError(path, f"bank {number} declares {nchan} points, has {rows.shape[0]}", line=at + 1)
        two_theta = _checks.axis_values(rows[:, 0], path, limit=100 * _checks.MAX_ANGLE, what="2θ (centidegrees)",
                                        line=at + 2) / 100.0
        y, sigma = rows[:, 1], rows[:, 2]
    elif kind in ("STD", "ESD"):
        width, per_line = 8, 10
        values, value_lines = [], []
        data_lines = [k for k, line in enumerate(lines[at + 1:end], at + 2)
                      if line.strip() and not line.startswith("#")]
        for k, line in zip(data_lines, body):
            for field in _fields(line, width, per_line):
                if field.strip():
                    counters = kind == "STD" and field[:2].strip().isdigit() and field[2:].strip()
                    text = field[2:] if counters else field
                    values.append(to_float(text, path, k))
                    value_lines.append(k)
        values = _checks.finite_values(values, path, lines=value_lines)
        # centidegrees: the limit is 100 times the angle limit
        two_theta = _checks.regular_axis(start, step, nchan, path, limit=100 * _checks.MAX_ANGLE,
                                         what="2θ (centidegrees)", line=at + 1) / 100.0
        if kind == "ESD":
            if values.size < 2 * nchan:
                raise FileFormatError(path, f"bank {number}: {values.size // 2} (I, σ) pairs for {nchan} channels",
                                      line=end)
            y, sigma = values[0:2 * nchan:2], values[1:2 * nchan:2]
        else:
            if values.size < nchan:
                raise FileFormatError(path, f"bank {number}: {values.size} values for {nchan} channels", line=end)
            y = values[:nchan]
    else:
        raise FileFormatError(path, f"bank type {kind!r} is not read (STD, ESD and FXYE are)", line=at + 1)
    extra = {"sigma": sigma} if sigma is not None else {}
    wavelength = None
    for line_number, c in comments:
        m = re.search(r"wavelength\s*=\s*([0-9.eE+-]+)", c, re.IGNORECASE)
        if m:
            wavelength = _checks.wavelength(to_float(m.group(1), path, line_number), "wavelength", path,
                                            line=line_number)
    return xrd_pattern(two_theta, y, units="counts", extra_coords=extra, region=f"bank {number}",
                       wavelength_ka1=wavelength,
                       metadata={"title": title, "comments": [c for _, c in comments], "bank_line": lines[at].strip(),
                                 "type": kind}), end


def read(path: Path):
    """Read every constant-step bank of a GSAS STD, ESD or FXYE powder data file.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    list of xarray.DataArray
        One XRD pattern per ``BANK``: dim ``two_theta`` (degrees, converted from centidegrees), units
        ``counts``, region ``"bank <n>"``, the coordinate ``sigma`` for ESD and FXYE banks, and
        ``wavelength_ka1`` (Å) from the last ``wavelength=`` comment when there is one.

    Raises
    ------
    spectra.errors.FileFormatError
        The file is empty, has no ``BANK`` line, a bank is not constant-step or of an unread type
        (e.g. ``ALT``), declares an implausible channel count or a start or step that is not finite
        (or a step of 0), holds too few, non-numeric or non-finite values, or a wavelength comment is
        out of range (the error names the line).
    """
    lines = read_text(path).splitlines()
    if not lines:
        raise FileFormatError(path, "empty file", line=1)
    title = lines[0].strip()
    comments = [(k, line.strip()) for k, line in enumerate(lines[1:], 2)
                if line.startswith(("#", "Instrument parameter"))]
    out = []
    i = 0
    while i < len(lines):
        if lines[i].startswith("BANK"):
            pattern, i = _bank(lines, i, path, title, comments)
            out.append(pattern)
        else:
            i += 1
    if not out:
        raise FileFormatError(path, "no BANK line", line=len(lines))
    return out


register(Reader("gsas", "xrd", (".gsa", ".gsas", ".gss", ".xra", ".fxye", ".gda"), sniff, read,
                "GSAS powder data: STD, ESD and FXYE constant-step banks", searches=True))
