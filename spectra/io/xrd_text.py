"""Text exports of diffraction software: PANalytical HighScore/Data Viewer ``.csv`` and Fit2D
``.chi`` (chiplot)."""
from __future__ import annotations

from pathlib import Path

from ..dataarray import xrd_pattern
from ..errors import FileFormatError
from . import _checks
from ._registry import Reader, read_bytes, register
from ._text import decode, numeric_rows, read_text, to_int

_PANALYTICAL_KEYS = {"Anode material": "anode", "K-Alpha1 wavelength": "wavelength_ka1",
                     "K-Alpha2 wavelength": "wavelength_ka2", "Ratio K-Alpha2/K-Alpha1": "ka2_ratio",
                     "Time per step": "counting_time", "File date and time": "acquired",
                     "Sample identification": "sample"}
def _ratio(value, what, path, **at):
    return _checks.number(value, what, path, minimum=0.0, maximum=1e3, **at)


_NUMBER_CHECKS = {"wavelength_ka1": _checks.wavelength, "wavelength_ka2": _checks.wavelength, "ka2_ratio": _ratio,
                  "counting_time": _checks.duration}


def sniff_panalytical_csv(head: bytes, path: Path) -> bool:
    """Recognise a PANalytical HighScore / Data Viewer CSV export.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (up to :data:`~spectra.io._registry.HEAD_SIZE`).
    path : Path
        The file (unused).

    Returns
    -------
    bool
        True when ``head`` starts (after an optional BOM) with ``[Measurement conditions]``.
    """
    return head.lstrip(b"\xef\xbb\xbf").startswith(b"[Measurement conditions]")


def read_panalytical_csv(path: Path):
    """Read a PANalytical HighScore / Data Viewer CSV export.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    list of xarray.DataArray
        One XRD pattern: dim ``two_theta`` (degrees; first column), units ``counts``; anode,
        wavelengths (Å), ``ka2_ratio``, ``counting_time`` (s per step), ``acquired`` and ``sample`` from
        the ``[Measurement conditions]`` section.

    Raises
    ------
    spectra.errors.FileFormatError
        No ``[Scan points]`` section, a non-numeric or ragged data row (these name the line), or a
        point count that differs from ``No. of points``.
    """
    lines = read_text(path).splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip().startswith("[Scan points]"))
    except StopIteration:
        raise FileFormatError(path, "no [Scan points] section", line=len(lines)) from None
    meta, attrs, where = {}, {}, {}
    for number, line in enumerate(lines[1:start], 2):
        key, _, value = line.partition(",")
        value = value.strip().strip('"')
        meta[key.strip()] = value
        where[key.strip()] = number
        if key.strip() in _PANALYTICAL_KEYS and value:
            name = _PANALYTICAL_KEYS[key.strip()]
            if name in ("anode", "acquired", "sample"):
                attrs[name] = value
                continue
            try:
                attrs[name] = _NUMBER_CHECKS[name](float(value), key.strip(), path, line=number)
            except ValueError:
                pass  # not a number: kept in the metadata only
    data = numeric_rows(lines[start + 2:], path, first_line=start + 3)
    n = meta.get("No. of points")
    if n and n.strip().isdigit() and int(n) != data.shape[0]:
        raise FileFormatError(path, f"header says {n.strip()} points, the file has {data.shape[0]}",
                              line=where.get("No. of points", 1))
    two_theta = _checks.axis_values(data[:, 0], path, limit=_checks.MAX_ANGLE, what="2θ", line=start + 3)
    return [xrd_pattern(two_theta, data[:, 1], units="counts", metadata=meta, **attrs)]


def sniff_chi(head: bytes, path: Path) -> bool:
    """Recognise a Fit2D / chiplot ``.chi`` file.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (up to :data:`~spectra.io._registry.HEAD_SIZE`).
    path : Path
        The file, whose extension is checked.

    Returns
    -------
    bool
        True when the extension is ``.chi``, there are more than four lines and the fourth is an
        integer.
    """
    lines = head.splitlines()
    return (path.suffix.lower() == ".chi" and len(lines) > 4 and lines[3].strip().isdigit())


def read_chi(path: Path):
    """Read a Fit2D / chiplot ``.chi`` file whose x axis is 2θ.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    list of xarray.DataArray
        One XRD pattern: dim ``two_theta`` (degrees), units ``counts``, region the title line.

    Raises
    ------
    spectra.errors.FileFormatError
        Fewer than five lines, a point count that is not a whole number or differs from the data, a
        non-numeric or ragged data row, or an x label that does not mention ``theta``/``2th`` (the
        error names the line).
    """
    # Fit2D pads the (often empty) y-axis label line with NUL bytes.
    raw = read_bytes(path)
    head_end = raw.find(b"\n", raw.find(b"\n") + 1) + 1
    third_end = raw.find(b"\n", head_end)
    if third_end > 0:
        raw = raw[:head_end] + raw[head_end:third_end].replace(b"\x00", b" ") + raw[third_end:]
    lines = decode(raw, path).splitlines()
    if len(lines) < 5:
        raise FileFormatError(path, "a .chi file needs a 4-line header", line=len(lines) + 1)
    n = to_int(lines[3], path, 4)
    data = numeric_rows(lines[4:], path, first_line=5)
    if data.shape[0] != n:
        raise FileFormatError(path, f"header says {n} points, the file has {data.shape[0]}", line=4)
    x_label = lines[1].strip()
    if "theta" not in x_label.lower() and "2th" not in x_label.lower():
        raise FileFormatError(path, f"x axis is {x_label!r}, not 2θ: only 2θ .chi files are read", line=2)
    two_theta = _checks.axis_values(data[:, 0], path, limit=_checks.MAX_ANGLE, what="2θ", line=5)
    return [xrd_pattern(two_theta, data[:, 1], units="counts",
                        metadata={"title": lines[0].strip(), "x_label": x_label, "y_label": lines[2].strip()},
                        region=lines[0].strip())]


register(Reader("panalytical_csv", "xrd", (".csv",), sniff_panalytical_csv, read_panalytical_csv,
                "PANalytical HighScore / Data Viewer CSV export"))
register(Reader("chi", "xrd", (".chi",), sniff_chi, read_chi, "Fit2D / chiplot .chi (2θ)"))
