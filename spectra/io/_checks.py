"""Plausibility checks shared by the readers, each raising a located
:class:`~spectra.errors.FileFormatError`.

A header number that is NaN, infinite, zero where a step is meant, or absurdly large (1e308) would
otherwise become a NaN, infinite or constant axis, or a NaN weight in a fit. The readers call these
checks on every number they take from a header, with the line (text) or byte offset (binary) it
came from, before building an axis or allocating anything from it.

Limits (generous: an order of magnitude or more beyond any instrument):

* energies (axis values, steps, photon and pass energies, work functions): :data:`MAX_ENERGY` eV;
* angles (2θ and other goniometer positions): :data:`MAX_ANGLE` degrees;
* times (dwell, time per step): :data:`MAX_TIME` s; scan counts: :data:`MAX_SCANS`;
* wavelengths: :data:`MAX_WAVELENGTH` Å.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..errors import FileFormatError

MAX_ENERGY = 1e6
MAX_ANGLE = 1e4
MAX_TIME = 1e7
MAX_SCANS = 1e9
MAX_WAVELENGTH = 100.0


def _fail(path: Path, message: str, line: int | None, offset: int | None) -> FileFormatError:
    return FileFormatError(path, message, line=line, offset=offset)


def number(value, what: str, path: Path, *, line: int | None = None, offset: int | None = None,
           minimum: float | None = None, maximum: float | None = None, nonzero: bool = False,
           limit: float | None = None) -> float:
    """``value`` as a finite float within bounds, or a located error.

    Parameters
    ----------
    value : float
        The number read.
    what : str
        Its name in the file, for the message (e.g. ``"step"``).
    path : Path
        The file.
    line, offset : int, optional
        Where the value was read (1-based line or 0-based byte offset).
    minimum, maximum : float, optional
        Inclusive bounds.
    nonzero : bool
        Refuse 0 (a step).
    limit : float, optional
        Refuse ``abs(value) > limit``.

    Returns
    -------
    float
        The value.

    Raises
    ------
    spectra.errors.FileFormatError
        The value is not finite, is 0 when ``nonzero``, or is out of bounds.
    """
    try:
        x = float(value)
    except (TypeError, ValueError, OverflowError):
        raise _fail(path, f"{what} {value!r} is not a number", line, offset) from None
    if not math.isfinite(x):
        raise _fail(path, f"{what} is {x}: a finite number is needed", line, offset)
    if nonzero and x == 0:
        raise _fail(path, f"{what} is 0", line, offset)
    if limit is not None and abs(x) > limit:
        raise _fail(path, f"{what} {x:g} is implausible (beyond ±{limit:g})", line, offset)
    if minimum is not None and x < minimum:
        raise _fail(path, f"{what} {x:g} is below {minimum:g}", line, offset)
    if maximum is not None and x > maximum:
        raise _fail(path, f"{what} {x:g} is above {maximum:g}", line, offset)
    return x


def optional(value, what: str, path: Path, **bounds) -> float | None:
    """Like :func:`number`, but ``None`` stays ``None`` (a field the file does not give).

    Parameters
    ----------
    value : float or None
        The number read, or None.
    what : str
        Its name, for the message.
    path : Path
        The file.
    **bounds
        ``line``, ``offset``, ``minimum``, ``maximum``, ``nonzero``, ``limit`` as for :func:`number`.

    Returns
    -------
    float or None
        The checked value, or None.
    """
    return None if value is None else number(value, what, path, **bounds)


def energy(value, what: str, path: Path, **where) -> float | None:
    """An optional energy (eV): finite and within ±:data:`MAX_ENERGY`."""
    return optional(value, what, path, limit=MAX_ENERGY, **where)


def photon_energy(value, what: str, path: Path, **where) -> float | None:
    """An optional photon (excitation) energy: finite, 0 to :data:`MAX_ENERGY` eV."""
    return optional(value, what, path, minimum=0.0, maximum=MAX_ENERGY, **where)


def duration(value, what: str, path: Path, **where) -> float | None:
    """An optional time (s): finite, 0 to :data:`MAX_TIME`."""
    return optional(value, what, path, minimum=0.0, maximum=MAX_TIME, **where)


def scans(value, what: str, path: Path, **where) -> float | None:
    """An optional scan count: finite, 0 to :data:`MAX_SCANS`."""
    return optional(value, what, path, minimum=0.0, maximum=MAX_SCANS, **where)


def wavelength(value, what: str, path: Path, **where) -> float | None:
    """An optional wavelength (Å): finite, 0 to :data:`MAX_WAVELENGTH`."""
    return optional(value, what, path, minimum=0.0, maximum=MAX_WAVELENGTH, **where)


def regular_axis(start, step, n: int, path: Path, *, limit: float, what: str = "axis",
                 line: int | None = None, offset: int | None = None) -> np.ndarray:
    """``start + step * arange(n)`` after checking that start and step are finite, the step is not 0
    and both ends lie within ±``limit``.

    Parameters
    ----------
    start, step : float
        The header values.
    n : int
        Number of points (at least 1).
    path : Path
        The file.
    limit : float
        Largest plausible absolute axis value (:data:`MAX_ENERGY` or :data:`MAX_ANGLE`).
    what : str
        The axis name, for messages.
    line, offset : int, optional
        Where start and step were read.

    Returns
    -------
    numpy.ndarray
        The axis, shape ``(n,)``.

    Raises
    ------
    spectra.errors.FileFormatError
        A value is not finite, the step is 0 or below 1e-9 of the axis values (for more than one
        point: the points would coincide), or an end is implausible.
    """
    start = number(start, f"{what} start", path, line=line, offset=offset, limit=limit)
    step = number(step, f"{what} step", path, line=line, offset=offset, limit=limit, nonzero=n > 1)
    end = start + step * (n - 1)
    if abs(end) > limit:
        raise _fail(path, f"{what} from {start:g} in {n} steps of {step:g} ends at {end:g}, beyond ±{limit:g}",
                    line, offset)
    if n > 1 and abs(step) < 1e-9 * max(abs(start), abs(end), 1.0):
        raise _fail(path, f"{what} step {step:g} is too small for values near {start:g}: the points would coincide",
                    line, offset)
    return start + step * np.arange(n)


def first_bad(values: np.ndarray) -> int | None:
    """Index (into the flattened array) of the first non-finite value, or None."""
    bad = ~np.isfinite(np.asarray(values, dtype=float).ravel())
    return int(np.argmax(bad)) if bad.any() else None


def axis_values(values, path: Path, *, limit: float, what: str = "axis", lines=None,
                line: int | None = None, offset: int | None = None, itemsize: int | None = None) -> np.ndarray:
    """Check an axis listed point by point: finite, within ±``limit``, not constant.

    Parameters
    ----------
    values : array_like
        The axis values, in file order.
    path : Path
        The file.
    limit : float
        Largest plausible absolute value.
    what : str
        The axis name, for messages.
    lines : sequence of int, optional
        The 1-based line of each value (names the first bad one).
    line, offset : int, optional
        Where the list starts, when ``lines`` is not given; with ``offset`` and ``itemsize`` the
        byte offset of the first bad value is named.
    itemsize : int, optional
        Bytes per value in a binary list.

    Returns
    -------
    numpy.ndarray
        ``values`` as float.

    Raises
    ------
    spectra.errors.FileFormatError
        A value is not finite or implausible, or every value is the same (more than one point).
    """
    values = np.asarray(values, dtype=float)
    bad = ~np.isfinite(values) | (np.abs(np.nan_to_num(values, nan=0.0)) > limit)
    if bad.any():
        i = int(np.argmax(bad))
        raise _located(path, f"{what} value {float(values[i])!r} is not finite or implausible (beyond ±{limit:g})",
                       i, lines, line, offset, itemsize)
    if values.size > 1 and values.min() == values.max():
        raise _fail(path, f"{what} is constant ({values[0]:g} at all {values.size} points)", line or _at(lines, 0),
                    offset)
    return values


def finite_values(values, path: Path, *, what: str = "intensity", lines=None, line: int | None = None,
                  offset: int | None = None, itemsize: int | None = None) -> np.ndarray:
    """Refuse NaN or infinite values (intensities), naming the line or byte of the first.

    Parameters
    ----------
    values : array_like
        The values, in file order (flattened in C order when 2-D).
    path : Path
        The file.
    what : str
        What they are, for the message.
    lines : sequence of int, optional
        The 1-based line of each value (after flattening).
    line, offset, itemsize : int, optional
        As for :func:`axis_values`.

    Returns
    -------
    numpy.ndarray
        ``values`` as float.

    Raises
    ------
    spectra.errors.FileFormatError
        A value is NaN or infinite.
    """
    values = np.asarray(values, dtype=float)
    i = first_bad(values)
    if i is not None:
        count = int((~np.isfinite(values)).sum())
        raise _located(path, f"{what} value {float(values.ravel()[i])!r} ({count} non-finite values in all)", i, lines,
                       line, offset, itemsize)
    return values


def _at(lines, i: int) -> int | None:
    if lines is None:
        return None
    return int(lines[i])


def _located(path: Path, message: str, i: int, lines, line, offset, itemsize) -> FileFormatError:
    if lines is not None:
        return _fail(path, message, int(lines[i]), None)
    if offset is not None and itemsize:
        return _fail(path, message, None, offset + i * itemsize)
    return _fail(path, message + (f" (value {i + 1} of the list)" if line is not None or offset is not None else ""),
                 line, offset)
