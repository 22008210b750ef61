"""Thermo Avantage "Export to Excel" workbooks (``.xlsx``; needs the ``thermo`` extra, openpyxl).

One sheet per region: a ``Binding Energy (E)`` (or kinetic) header row, a units row, then rows of
energy, counts/s and any fitted components, background and envelope (kept as extra coordinates).
The ``Elements=`` count on each sheet is checked against the rows read. The ``Peak Table``,
``Titles`` and ``Quantifications`` sheets go into every spectrum's metadata.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .._optional import require
from ..errors import FileFormatError
from ..dataarray import xps_spectrum
from ._registry import Reader, register
from ._zip import SafeZip, is_zip

_TABLE_SHEETS = ("Peak Table", "Titles", "Quantifications")


def sniff(head: bytes, path: Path) -> bool:
    """Recognise an Excel workbook (a candidate Thermo Avantage export).

    Parameters
    ----------
    head : bytes
        The first bytes of the file (up to :data:`~spectra.io._registry.HEAD_SIZE`).
    path : Path
        The file, whose extension is checked.

    Returns
    -------
    bool
        True for a zip whose extension is ``.xlsx`` or ``.xlsm``.
    """
    return is_zip(head) and path.suffix.lower() in (".xlsx", ".xlsm")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _sheet(title: str, rows: list[tuple], tables: dict, path: Path):
    header_at = next((i for i, r in enumerate(rows) if r and isinstance(r[0], str)
                      and re.match(r"(binding|kinetic) energy", r[0].strip(), re.IGNORECASE)), None)
    if header_at is None:
        return None
    header = rows[header_at]
    declared = next((r[3] for r in rows[:header_at] if r and len(r) > 3 and r[2] == "Elements="), None)
    data = []
    for row in rows[header_at + 2:]:
        if not row or not _is_number(row[0]):
            break
        data.append([v if _is_number(v) else np.nan for v in row])
    if not data:
        raise FileFormatError(path, f"sheet {title!r} has a header but no data rows", line=header_at + 3)
    width = max(len(r) for r in data)
    table = np.array([r + [np.nan] * (width - len(r)) for r in data], dtype=float)
    if declared is not None and _is_number(declared) and int(declared) != table.shape[0]:
        raise FileFormatError(path, f"sheet {title!r} declares {declared} points, has {table.shape[0]}")
    extra = {}
    for j in range(4, min(width, len(header))):
        name = re.sub(r"\W+", "_", str(header[j] or f"column_{j + 1}")).strip("_").lower()
        if not np.all(np.isnan(table[:, j])):
            extra[name] = table[:, j]
    source = next((r[0] for r in rows[:header_at] if r and isinstance(r[0], str) and r[0].upper().endswith(".VGD")), "")
    axis = "kinetic" if header[0].lower().startswith("kinetic") else "binding"
    return xps_spectrum(table[:, 0], table[:, 2], energy_axis=axis, units="counts/s", extra_coords=extra,
                        metadata={"sheet": title, "source_vgd": source, "columns": [str(h) for h in header], **tables},
                        region=re.sub(r"\s*Scan$", "", title).strip())


def read(path: Path):
    """Read every region sheet of a Thermo Avantage "Export to Excel" workbook.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    list of xarray.DataArray
        One XPS spectrum per sheet with a ``Binding Energy``/``Kinetic Energy`` header row, dim
        ``binding_energy`` or ``kinetic_energy`` (eV; no excitation energy is recorded, so a kinetic
        axis is not converted), units ``counts/s``, region the sheet name without a trailing ``Scan``;
        further non-empty columns are extra coordinates. An empty list when no sheet has such a header.

    Raises
    ------
    spectra.errors.FileFormatError
        The container is unreadable or unsafe, is not an Excel workbook, the workbook or a sheet is
        damaged, a sheet has a header but no data rows (the error names the row), or the row count
        differs from the sheet's ``Elements=``.
    spectra.errors.OptionalDependencyError
        openpyxl (the ``thermo`` extra) is not installed.
    """
    with SafeZip(path) as archive:
        if "xl/workbook.xml" not in archive.names:
            raise FileFormatError(path, "zip container is not an Excel workbook (no xl/workbook.xml)")
    openpyxl = require("openpyxl", "Reading Thermo Avantage .xlsx exports")
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types on damaged workbooks
        raise FileFormatError(path, f"damaged workbook: {type(exc).__name__}: {exc}") from None
    try:
        sheets = {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in workbook.worksheets}
    except Exception as exc:  # noqa: BLE001 - openpyxl parses sheets lazily and raises many types
        raise FileFormatError(path, f"damaged worksheet: {type(exc).__name__}: {exc}"[:300]) from None
    finally:
        workbook.close()
    tables = {name.lower().replace(" ", "_"): [[c for c in r if c is not None] for r in rows if any(c is not None for c in r)]
              for name, rows in sheets.items() if name in _TABLE_SHEETS}
    out = [s for title, rows in sheets.items() if (s := _sheet(title, rows, tables, path)) is not None]
    return out


register(Reader("thermo_xlsx", "xps", (".xlsx",), sniff, read,
                "Thermo Avantage Excel export (.xlsx; extra 'thermo')"))
