"""CasaXPS text exports: "Export to text" (per-region blocks with K.E./B.E./Counts/CPS columns and a
component table) and "Export to spreadsheet" (``.txt``/``.csv``; columns ``KE_<region>``,
``BE_<region>``, ``CPS_<region>``, one column per fitted component, ``Background_*``, ``Envelope_*``).

The fitted-component, background and envelope columns are kept as extra coordinates along the
energy dim; the component table rows (Name, Position, FWHM, Area, Lineshape) go into ``metadata``.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..dataarray import xps_spectrum
from ..errors import FileFormatError
from . import _checks
from ._registry import Reader, register
from ._text import looks_numeric, read_text

MARK = "Characteristic Energy eV"
_COMPONENT_ROWS = ("Name", "Position", "FWHM", "Area", "Lineshape", "%Conc", "Area/(RSF*T*MFP)")


def sniff(head: bytes, path: Path) -> bool:
    """Recognise a CasaXPS text or spreadsheet export.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (up to :data:`~spectra.io._registry.HEAD_SIZE`).
    path : Path
        The file (unused).

    Returns
    -------
    bool
        True when a line starts (after tabs, commas or spaces) with ``Characteristic Energy eV``.
    """
    return re.search(rb"^[\t, ]*Characteristic Energy eV", head, re.MULTILINE) is not None


def _cells(line: str, sep: str) -> list[str]:
    return [c.strip() for c in line.split(sep)]


def _column_name(header: str) -> str:
    name = re.sub(r"[^0-9A-Za-z]+", "_", header).strip("_").lower()
    return name or "column"


def _role(header: str) -> str | None:
    h = header.replace(".", "").upper()
    for prefix, role in (("BE", "be"), ("KE", "ke"), ("CPS", "cps"), ("COUNTS", "counts")):
        if h == prefix or h.startswith(prefix + "_"):
            return role
    return None


def _region(lines: list[str], mark_index: int, sep: str, header: list[str]) -> str:
    for line in reversed(lines[max(0, mark_index - 3):mark_index]):
        text = line.strip().strip(sep).strip()
        if text and sep not in text and not looks_numeric(text):
            return text
    for h in header:
        if _role(h) in ("be", "ke", "cps") and "_" in h:
            return h.split("_", 1)[1]
    return ""


def _block(lines: list[str], start: int, stop: int, sep: str, path: Path, source_path: str):
    mark = _cells(lines[start], sep)
    cells = [c for c in mark if c]
    info = {cells[i]: cells[i + 1] for i in range(0, len(cells) - 1, 2)}
    try:
        hv = float(info.get(MARK, "nan"))
        acq_time = float(info.get("Acquisition Time s", "nan"))
    except ValueError:
        raise FileFormatError(path, "unreadable characteristic energy or acquisition time", line=start + 1) from None
    # an empty cell (NaN) means not given; anything else must be a finite number in range
    if not np.isnan(hv):
        _checks.photon_energy(hv, MARK, path, line=start + 1)
    if not np.isnan(acq_time):
        _checks.duration(acq_time, "Acquisition Time s", path, line=start + 1)
    components: dict[str, list[str]] = {}
    i = start + 1
    header = None
    while i < stop:
        cells = _cells(lines[i], sep)
        if cells and cells[0] in _COMPONENT_ROWS:
            components[cells[0]] = [c for c in cells[1:] if c]
        elif any(cells) and not looks_numeric(lines[i]):
            header = cells
            i += 1
            break
        i += 1
    if header is None:
        raise FileFormatError(path, "no column header after the characteristic-energy line", line=start + 1)
    end = i
    while end < stop and looks_numeric(lines[end]):
        end += 1
    if end == i:
        raise FileFormatError(path, "no data rows under the column header", line=i + 1)
    raw = [_cells(line, sep) for line in lines[i:end]]
    width = len(header)
    rows = []
    for k, row in enumerate(raw):
        if len(row) < width:
            row = row + [""] * (width - len(row))
        try:
            rows.append([float(c) if c else np.nan for c in row[:width]])
        except ValueError:
            raise FileFormatError(path, f"non-numeric cell in {row!r}"[:100], line=i + k + 1) from None
    table = np.array(rows, dtype=float)
    keep = [j for j, h in enumerate(header) if h and not np.all(np.isnan(table[:, j]))]
    roles = {_role(header[j]): j for j in keep if _role(header[j])}
    if "be" in roles:
        energy, axis = table[:, roles["be"]], "binding"
    elif "ke" in roles:
        energy, axis = table[:, roles["ke"]], "kinetic"
    else:
        raise FileFormatError(path, "no B.E. or K.E. column", line=i)
    if "counts" in roles:
        y, units = table[:, roles["counts"]], "counts"
    elif "cps" in roles:
        y, units = table[:, roles["cps"]], "counts/s"
    else:
        raise FileFormatError(path, "no Counts or CPS column", line=i)
    row_lines = range(i + 1, end + 1)
    _checks.axis_values(energy, path, limit=_checks.MAX_ENERGY, what="energy", lines=row_lines)
    _checks.finite_values(y, path, lines=row_lines)
    region = _region(lines, start, sep, header)
    suffix = f"_{region}" if region else ""
    extra = {}
    for j in keep:
        if _role(header[j]) in ("be", "counts") or (_role(header[j]) == "ke" and axis == "kinetic"):
            continue
        if _role(header[j]) == "cps" and units == "counts/s":
            continue
        label = header[j][:-len(suffix)] if suffix and header[j].endswith(suffix) else header[j]
        name = {"ke": "kinetic_energy", "cps": "cps"}.get(_role(header[j]), _column_name(label))
        while name in extra:
            name += "_"
        extra[name] = table[:, j]
    metadata = {"characteristic_energy": info, "component_table": components, "columns": header,
                "source_file": source_path}
    return xps_spectrum(energy, y, energy_axis=axis, excitation_energy=hv if np.isfinite(hv) else None,
                        units=units, extra_coords=extra, metadata=metadata, region=region,
                        dwell_time=acq_time if np.isfinite(acq_time) else None)


def read(path: Path):
    """Read every region block of a CasaXPS text or spreadsheet export.

    Blocks start at each ``Characteristic Energy eV`` line; the separator (comma or tab) is taken
    from the first such line.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    list of xarray.DataArray
        One XPS spectrum per block: dim ``binding_energy`` (eV) when a B.E. column exists, else the
        K.E. column (converted with the characteristic energy when it is given); intensity from the
        Counts column (units ``counts``) or else CPS (``counts/s``). Component, background and envelope
        columns are extra coordinates along the energy dim; region from the line above the block or
        the column headers; ``dwell_time`` from ``Acquisition Time s``.

    Raises
    ------
    spectra.errors.FileFormatError
        No ``Characteristic Energy eV`` line, an unreadable or out-of-range energy or acquisition
        time, no column header, no data rows, a non-numeric cell, no energy or intensity column, an
        empty or non-finite energy or intensity cell, or a constant energy axis (the error names the
        line).
    """
    lines = read_text(path).splitlines()
    marks = [k for k, line in enumerate(lines) if MARK in line]
    if not marks:
        raise FileFormatError(path, f"no {MARK!r} line: not a CasaXPS export", line=len(lines) or 1)
    sep = "," if "," in lines[marks[0]] and "\t" not in lines[marks[0]] else "\t"
    first = lines[0].strip().strip(sep)
    source_path = first if (first and not looks_numeric(first) and (":" in first or "/" in first)) else ""
    bounds = marks + [len(lines)]
    return [_block(lines, bounds[k], bounds[k + 1], sep, path, source_path) for k in range(len(marks))]


_PEAK_TABLE = re.compile(rb"^Name\tPosition\tFWHM\tRaw Area", re.MULTILINE)


def sniff_peak_table(head: bytes, path: Path) -> bool:
    """Recognise a CasaXPS peak/quantification table.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (up to :data:`~spectra.io._registry.HEAD_SIZE`).
    path : Path
        The file (unused).

    Returns
    -------
    bool
        True when a line starts with ``Name<TAB>Position<TAB>FWHM<TAB>Raw Area``.
    """
    return _PEAK_TABLE.search(head) is not None


def read_peak_table(path: str | Path) -> list[dict]:
    """Read a CasaXPS peak/quantification table (``Name Position FWHM Raw Area ...`` rows).

    The table is tab-separated and starts at the first line beginning ``Name<TAB>Position<TAB>FWHM``;
    it ends at the first blank line or line with fewer than three cells.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    list of dict
        One per component, with ``name`` and those numeric columns the header has (``position`` and
        ``fwhm`` in eV, ``raw_area``, ``area_rsf_t_mfp``, ``at_conc`` in %) as floats; a column missing
        from the header, or a row too short to reach it, leaves its key out.

    Raises
    ------
    spectra.errors.FileFormatError
        No ``Name Position FWHM`` header, a numeric column holds a non-number (including an empty
        cell; the error names the line), or the table has no rows.
    """
    path = Path(path)
    lines = read_text(path).splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith("Name\tPosition\tFWHM"))
    except StopIteration:
        raise FileFormatError(path, "no 'Name Position FWHM' header: not a CasaXPS peak table",
                              line=len(lines) or 1) from None
    keys = {"Position": "position", "FWHM": "fwhm", "Raw Area": "raw_area",
            "Area/(RSF*T*MFP)": "area_rsf_t_mfp", "%At Conc": "at_conc"}
    header = lines[start].split("\t")
    rows = []
    for k, line in enumerate(lines[start + 1:], start + 2):
        cells = line.split("\t")
        if not line.strip() or len(cells) < 3:
            break
        row = {"name": cells[0].strip()}
        for title, cell in zip(header[1:], cells[1:]):
            if title in keys:
                try:
                    row[keys[title]] = float(cell)
                except ValueError:
                    raise FileFormatError(path, f"non-numeric {title} {cell!r}", line=k) from None
        rows.append(row)
    if not rows:
        raise FileFormatError(path, "peak table without rows", line=start + 2)
    return rows


def _refuse_peak_table(path: Path):
    lines = read_text(path).splitlines()
    line = next((i for i, text in enumerate(lines, 1) if text.startswith("Name\tPosition\tFWHM")), 1)
    raise FileFormatError(path, "a CasaXPS peak/quantification table, not a spectrum: "
                                "read it with spectra.io.casaxps.read_peak_table", line=line)


register(Reader("casaxps_export", "xps", (".txt", ".csv"), sniff, read,
                "CasaXPS text and spreadsheet exports, with fitted-component columns", searches=True))
register(Reader("casaxps_peak_table", "xps", (), sniff_peak_table, _refuse_peak_table,
                "CasaXPS peak table (recognised; read with spectra.io.casaxps.read_peak_table)", searches=True))
