"""STOE WinXPOW binary ``.raw`` (magic ``RAW_1.06Powdat``).

No public specification exists. The layout below was established on the shared WinXPOW file and is
checked at every read: a 2048-byte file header (date at 16, title at 32); a range header at 2048 with
float32 2θ start (+44), ω start (+48), 2θ end (+52), ω end (+56), 2θ step (+60), ω step (+64) and
time per step (+68); int32 counts from byte 2560, as many as the 2θ grid implies, with only zeros
after them. Files that do not satisfy these checks are refused rather than misread.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..dataarray import xrd_pattern
from ..errors import FileFormatError
from . import _checks
from ._binary import BinaryCursor
from ._registry import Reader, read_bytes, register

#: the file starts with this prefix and names ``Powdat`` (:data:`MAGIC_TAG`) in its first 16 bytes;
#: the shared file reads ``RAW_1.06Powdat``
MAGIC_PREFIX = b"RAW_1."
MAGIC_TAG = b"Powdat"


def _has_magic(head: bytes) -> bool:
    return head.startswith(MAGIC_PREFIX) and MAGIC_TAG in head[:16]


def sniff(head: bytes, path: Path) -> bool:
    """Recognise a STOE WinXPOW ``.raw`` file.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (up to :data:`~spectra.io._registry.HEAD_SIZE`).
    path : Path
        The file (unused).

    Returns
    -------
    bool
        True when ``head`` starts with ``RAW_1.`` and its first 16 bytes contain ``Powdat``.
    """
    return _has_magic(head)


def read(path: Path):
    """Read the single range of a STOE WinXPOW binary ``.raw`` file.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    list of xarray.DataArray
        One XRD pattern: dim ``two_theta`` (degrees, from the range header's start, end and step),
        units ``counts``, ``counting_time`` (s per step), region the title (or ``"range 1"``).

    Raises
    ------
    spectra.errors.FileFormatError
        The file ends inside the range header or data, the 2θ range is unreadable or not a whole
        number of steps, or non-zero values follow the data (the error names the byte offset).
    """
    data = read_bytes(path)
    if not _has_magic(data):
        raise FileFormatError(path, f"no STOE magic ({MAGIC_PREFIX!r}...{MAGIC_TAG!r})", offset=0)
    c = BinaryCursor(data, path)
    start, omega0, end, omega1, step, omega_step, time_per_step = c.unpack("<7f", 2048 + 44, "the range header")
    if not (np.isfinite([start, end, step]).all() and step > 0 and end > start
            and max(abs(start), abs(end)) <= _checks.MAX_ANGLE):
        raise FileFormatError(path, f"unreadable 2θ range {start}..{end} step {step}", offset=2048 + 44)
    time_per_step = _checks.duration(time_per_step, "time per step", path, offset=2048 + 68)
    n = round((end - start) / step) + 1
    if abs(start + (n - 1) * step - end) > step * 1e-3 or n > 10_000_000:
        raise FileFormatError(path, f"2θ range {start}..{end} is not a whole number of {step}° steps",
                              offset=2048 + 44)
    counts = c.array("<i4", 2560, n, "the data")
    trailing = np.frombuffer(data, dtype="<i4", offset=2560 + 4 * n, count=(len(data) - 2560 - 4 * n) // 4)
    if trailing.any():
        raise FileFormatError(path, "non-zero values after the expected data: layout not recognised",
                              offset=2560 + 4 * n)
    return [xrd_pattern(start + step * np.arange(n), counts, units="counts", counting_time=time_per_step,
                        acquired=c.string(16, 16), region=c.string(32, 80) or "range 1",
                        metadata={"omega_start": omega0, "omega_end": omega1, "omega_step": omega_step,
                                  "title": c.string(32, 80)})]


register(Reader("stoe_raw", "xrd", (".raw",), sniff, read, "STOE WinXPOW binary .raw"))
