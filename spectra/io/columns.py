"""Plain column text: ``.xy .xye .dat .csv .asc .txt`` (x, y and optional σ or further columns).

Handles header lines starting with ``#``, ``!``, ``;`` or ``'`` (Bruker EVA's quoted header), a
label row (e.g. ``BE/eV,<name>`` as LG4X writes, ``2th_deg I`` as pyFAI writes) and the pyFAI
``# Wavelength: ... m`` line.

An XPS photon energy is taken from a header line naming ``hv``, ``h nu``, ``photon energy`` or
``excitation energy`` with a value in eV, or from LG4X's label row ``KE/eV,PE: <hv> eV``; elsewhere
``PE`` is not read as a photon energy (it usually means pass energy).

What the axis is comes from the labels: binding or kinetic energy (XPS) or 2θ (XRD). A file whose
axis carries no label is read as an XRD pattern in 2θ degrees, and ``metadata['axis']`` says so; use
:func:`read_columns` with ``technique=`` to say otherwise.

A third column is σ when its header says so (or the file is ``.xye``); a last column that equals
the sum of the columns between the axis and it, to within one count per channel (multi-channel
detector files), is the intensity and the channels become coordinates ``channel_<n>``.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..dataarray import xps_spectrum, xrd_pattern
from ..errors import FileFormatError
from . import _checks
from ._registry import Reader, register
from ._text import looks_numeric, numeric_rows, read_text, to_float
from .write import restore

_COMMENT = ("#", "!", ";", "'", "//")
#: photon energy in a header line; "PE" is not one of the names (it usually means pass energy)...
_HV = re.compile(r"(?:\bhv|\bh\\?nu|photon energy|excitation energy)\s*[:=]?\s*([0-9.eE+-]+)\s*eV", re.IGNORECASE)
#: ...except in LG4X's label row, ``KE/eV,PE: 600 eV``, where LG4X writes the photon energy as "PE"
_LG4X_HV = re.compile(r"^[KB]E/eV\s*[,;\t]\s*PE\s*:\s*([0-9.eE+-]+)\s*eV\s*$", re.IGNORECASE)
_WAVELENGTH = re.compile(r"Wavelength:\s*([0-9.eE+-]+)\s*m\b")


def sniff(head: bytes, path: Path) -> bool:
    """Never claim a file by content: plain columns are the fallback chosen by extension.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (unused).
    path : Path
        The file (unused).

    Returns
    -------
    bool
        Always False.
    """
    return False  # never claimed by content: columns are the fallback by extension


def _axis_kind(label: str) -> str | None:
    text = label.lower()
    if re.search(r"\b(be|b\.e\.|binding)", text):
        return "binding"
    if re.search(r"\b(ke|k\.e\.|kinetic|e_kin|ekin)", text):
        return "kinetic"
    if re.search(r"2th|2-?theta|two.?theta|angle|deg", text):
        return "two_theta"
    return None


def read_columns(path: str | Path, *, technique: str | None = None, energy_axis: str | None = None,
                 excitation_energy: float | None = None):
    """Read a column text file, optionally saying what the axis is.

    Parameters
    ----------
    path : str or Path
        The file.
    technique : {"xps", "xrd"}, optional
        Overrides what the labels say (or the XRD default for unlabelled files).
    energy_axis : {"binding", "kinetic"}, optional
        For XPS: what the first column is.
    excitation_energy : float, optional
        Photon energy (eV) for converting a kinetic axis.

    Returns
    -------
    list of xarray.DataArray
        One spectrum: an XPS spectrum (dim ``binding_energy`` or ``kinetic_energy``, eV) when
        ``technique="xps"`` or the axis label names an energy, else an XRD pattern (dim ``two_theta``,
        degrees). Units are ``counts``. Further columns (σ, channels, named columns) become extra
        coordinates along the axis.

    Raises
    ------
    spectra.errors.FileFormatError
        No numeric rows, a non-numeric or ragged row, fewer than two columns, a NaN or infinite axis
        or intensity value (σ and other columns may hold NaN), a constant axis, or a photon energy or
        wavelength out of range (the error names the line).
    """
    path = Path(path)
    lines = read_text(path).splitlines()
    header: list[str] = []
    header_lines: list[int] = []
    first = 0
    while first < len(lines) and not looks_numeric(lines[first]):
        if lines[first].strip():
            header.append(lines[first].strip())
            header_lines.append(first + 1)
        first += 1
    if first == len(lines):
        raise FileFormatError(path, "no numeric data rows", line=1)
    end = len(lines)
    while end > first and not lines[end - 1].strip():
        end -= 1
    # comment lines among the data are blanked, not removed, so every error names the file's own line
    body = ["" if line.lstrip().startswith(_COMMENT) else line for line in lines[first:end]]
    data = numeric_rows(body, path, first_line=first + 1)
    row_lines = [first + 1 + i for i, line in enumerate(body) if line.strip()]
    _checks.axis_values(data[:, 0], path, limit=max(_checks.MAX_ENERGY, _checks.MAX_ANGLE), what="axis",
                        lines=row_lines)
    label_row = next((h for h in reversed(header) if not h.startswith(_COMMENT[1:]) and
                      not looks_numeric(h.lstrip("#")) and
                      len(re.split(r"[\t,;]|\s{2,}|\s", h.lstrip("#").strip())) >= 2), "")
    labels = [p for p in re.split(r"[\t,;]+|\s+", label_row.lstrip("#").strip()) if p]
    kind = _axis_kind(labels[0]) if labels else None
    if kind is None and header:
        kind = _axis_kind(header[0].lstrip("#'").split(",")[0])
    metadata = {"header": header, "labels": labels}
    y, extra = _intensity(data, labels, path)
    _checks.finite_values(y, path, lines=row_lines)
    if technique == "xps" or (technique is None and kind in ("binding", "kinetic")):
        axis = energy_axis or (kind if kind in ("binding", "kinetic") else "binding")
        hv = excitation_energy
        if hv is None:
            for text, number in zip(header, header_lines):
                m = _HV.search(text) or _LG4X_HV.match(text)
                if m:
                    hv = _checks.photon_energy(to_float(m.group(1), path, number), "photon energy", path, line=number)
                    break
        return [xps_spectrum(data[:, 0], y, energy_axis=axis, excitation_energy=hv, units="counts",
                             extra_coords=extra, metadata=metadata,
                             region=labels[1] if len(labels) > 1 and axis == "binding" else "")]
    if kind is None and technique is None:
        metadata["axis"] = "no axis label: read as 2θ in degrees (XRD)"
    attrs = _xrd_header(header, header_lines, path)
    return [xrd_pattern(data[:, 0], y, units="counts", extra_coords=extra, metadata=metadata, **attrs)]


def _intensity(data: np.ndarray, labels: list[str], path: Path):
    ncol = data.shape[1]
    extra = {}
    # each channel may be rounded on output, so the sum may be off by up to one count per channel
    if ncol >= 4 and np.allclose(data[:, 1:-1].sum(axis=1), data[:, -1], rtol=0, atol=ncol - 2):
        for j in range(1, ncol - 1):
            extra[f"channel_{j}"] = data[:, j]
        return data[:, -1], extra
    is_sigma = path.suffix.lower() == ".xye" or (len(labels) > 2
                                                 and re.search(r"sig|err|esd|sd", labels[2], re.IGNORECASE))
    for j in range(2, ncol):
        name = "sigma" if (j == 2 and is_sigma) else (re.sub(r"\W+", "_", labels[j]).strip("_").lower()
                                                      if j < len(labels) else f"column_{j + 1}")
        extra[name or f"column_{j + 1}"] = data[:, j]
    return data[:, 1], extra


def _xrd_header(header: list[str], header_lines: list[int], path: Path) -> dict:
    attrs = {}
    for text, number in zip(header, header_lines):
        m = _WAVELENGTH.search(text)
        if m:
            attrs["wavelength_ka1"] = _checks.wavelength(to_float(m.group(1), path, number) * 1e10, "Wavelength",
                                                         path, line=number)
            break
    header_text = "\n".join(header)
    m = re.search(r"Anode:\s*(\w+)", header_text)
    if m:
        attrs["anode"] = m.group(1)
    return attrs


def read(path: Path):
    """Read a plain column text file, restoring the attributes spectra's own writer stored.

    As :func:`read_columns` with no overrides; a ``# spectra-attrs: {...}`` line among the first
    three lines, as :func:`spectra.io.write.write_columns` writes it, restores attrs, coordinates
    and the axis name.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    list of xarray.DataArray
        One spectrum (see :func:`read_columns`).

    Raises
    ------
    spectra.errors.FileFormatError
        No numeric rows, a non-numeric or ragged row, or fewer than two columns (the error names the
        line).
    """
    spectra = read_columns(path)
    header = "\n".join(line.lstrip("# ") for line in read_text(path).splitlines()[:3] if line.startswith("#"))
    return [restore(da, header) for da in spectra]


register(Reader("columns", "xrd", (".xy", ".xye", ".dat", ".csv", ".asc", ".txt", ".qye"), sniff, read,
                "plain column text (x y [σ ...]); EVA, pyFAI and LG4X headers", generic=True))
