"""Thermo Avantage "Export to Excel" workbooks (``.xlsx``; needs the ``thermo`` extra, openpyxl).

One sheet per region: a ``Binding Energy (E)`` (or kinetic) header row, a units row, then rows of
energy, counts/s and any fitted components, background and envelope (kept as extra coordinates).
The ``Elements=`` count on each sheet is checked against the rows read. The ``Peak Table``,
``Titles`` and ``Quantifications`` sheets go into every spectrum's metadata.

Every worksheet the workbook declares must be present in the container (a missing part is an error,
not a missing spectrum). Sheets are read in openpyxl's read-only mode with the declared
``<dimension>`` ignored, so only the cells the sheet holds are read (a sheet claiming
``A1:XFD1048576`` is not padded); at most :data:`MAX_ROWS` rows and :data:`MAX_COLUMNS` columns per
sheet. Energies and intensities must be finite numbers and the energy axis not constant; errors name
the sheet and its row (as the line).
"""
from __future__ import annotations

import posixpath
import re
from pathlib import Path

import numpy as np

from .._optional import require
from ..dataarray import xps_spectrum
from ..errors import FileFormatError
from . import _checks, _xml
from ._registry import Reader, open_regular, register
from ._zip import SafeZip, is_zip

_TABLE_SHEETS = ("Peak Table", "Titles", "Quantifications")
#: most rows read from one sheet, and most columns in a row (Avantage exports have a few thousand
#: rows and a dozen columns); a sheet beyond either is refused rather than padded
MAX_ROWS = 100_000
MAX_COLUMNS = 1024
_WORKSHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"


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
    if width < 3:
        raise FileFormatError(path, f"sheet {title!r} has no intensity column", line=header_at + 3)
    table = np.array([r + [np.nan] * (width - len(r)) for r in data], dtype=float)
    if declared is not None and _is_number(declared) and int(declared) != table.shape[0]:
        raise FileFormatError(path, f"sheet {title!r} declares {declared} points, has {table.shape[0]}",
                              line=header_at + 3 + table.shape[0])
    row_lines = range(header_at + 3, header_at + 3 + table.shape[0])  # sheet rows, 1-based
    try:
        energy = _checks.axis_values(table[:, 0], path, limit=_checks.MAX_ENERGY, what="energy", lines=row_lines)
        _checks.finite_values(table[:, 2], path, lines=row_lines)
    except FileFormatError as exc:
        raise FileFormatError(path, f"sheet {title!r}: {exc.reason}", line=exc.line) from None
    extra = {}
    for j in range(4, min(width, len(header))):
        name = re.sub(r"\W+", "_", str(header[j] or f"column_{j + 1}")).strip("_").lower()
        if not np.all(np.isnan(table[:, j])):
            extra[name] = table[:, j]
    source = next((r[0] for r in rows[:header_at] if r and isinstance(r[0], str) and r[0].upper().endswith(".VGD")), "")
    axis = "kinetic" if header[0].lower().startswith("kinetic") else "binding"
    return xps_spectrum(energy, table[:, 2], energy_axis=axis, units="counts/s", extra_coords=extra,
                        metadata={"sheet": title, "source_vgd": source, "columns": [str(h) for h in header], **tables},
                        region=re.sub(r"\s*Scan$", "", title).strip())


def _check_parts(archive: SafeZip, path: Path) -> None:
    """Every worksheet the workbook declares has its part in the container."""
    if "xl/workbook.xml" not in archive.names:
        raise FileFormatError(path, "zip container is not an Excel workbook (no xl/workbook.xml)", offset=0)
    rels_name = "xl/_rels/workbook.xml.rels"
    if rels_name not in archive.names:
        raise FileFormatError(path, f"workbook without {rels_name}", offset=archive.offset("xl/workbook.xml"))
    book = _xml.parse(archive.read("xl/workbook.xml"), path, member="xl/workbook.xml")
    rels = _xml.parse(archive.read(rels_name), path, member=rels_name)
    targets = {r.get("Id"): (r.get("Target") or "", r.get("Type")) for r in rels.iter("Relationship")}
    for sheet in book.iter("sheet"):
        rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id") or k == "id"), None)
        name = sheet.get("name")
        if rid not in targets:
            raise _xml.error(book, sheet, path, f"sheet {name!r} names relationship {rid!r}, which {rels_name} "
                                                "does not define")
        target, kind = targets[rid]
        if kind != _WORKSHEET:
            continue  # chart sheets hold no cells
        member = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        if member not in archive.names:
            raise _xml.error(book, sheet, path, f"sheet {name!r}: its part {member} is missing from the container")


def _rows(ws, path: Path) -> list[tuple]:
    """The cells of one read-only worksheet, ignoring its declared dimension, padded to the widest row."""
    ws.reset_dimensions()  # read the cells present, not the (possibly absurd) <dimension ref=...>
    rows = []
    for number, row in enumerate(ws.iter_rows(values_only=True), 1):
        if number > MAX_ROWS:
            raise FileFormatError(path, f"sheet {ws.title!r} has more than {MAX_ROWS} rows", line=number)
        if len(row) > MAX_COLUMNS:
            raise FileFormatError(path, f"sheet {ws.title!r} row {number} has a cell in column {len(row)} "
                                        f"(limit {MAX_COLUMNS})", line=number)
        rows.append(tuple(row))
    width = max((len(r) for r in rows), default=0)
    return [r + (None,) * (width - len(r)) for r in rows]


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
        further non-empty columns are extra coordinates.

    Raises
    ------
    spectra.errors.FileFormatError
        The container is unreadable or unsafe, is not an Excel workbook, no sheet has an energy header
        row, a declared worksheet's part
        is missing (the error names the sheet), the workbook or a sheet is damaged, a sheet has more
        than :data:`MAX_ROWS` rows or a cell beyond :data:`MAX_COLUMNS`, a sheet has a header but no
        data rows, an energy or intensity cell is empty or not finite, the energy axis is constant
        (these name the row), or the row count differs from the sheet's ``Elements=``.
    spectra.errors.OptionalDependencyError
        openpyxl (the ``thermo`` extra) is not installed.
    """
    with SafeZip(path) as archive:
        _check_parts(archive, path)
    openpyxl = require("openpyxl", "Reading Thermo Avantage .xlsx exports")
    with open_regular(path) as fh:
        try:
            workbook = openpyxl.load_workbook(fh, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many types on damaged workbooks
            raise FileFormatError(path, f"damaged workbook: {type(exc).__name__}: {exc}"[:300], offset=0) from None
        try:
            sheets = {}
            for ws in workbook.worksheets:
                try:
                    sheets[ws.title] = _rows(ws, path)
                except FileFormatError:
                    raise
                except Exception as exc:  # noqa: BLE001 - openpyxl parses sheets lazily and raises many types
                    raise FileFormatError(path, f"damaged worksheet {ws.title!r}: {type(exc).__name__}: {exc}"[:300],
                                          offset=0) from None
        finally:
            workbook.close()
    tables = {name.lower().replace(" ", "_"): [[c for c in r if c is not None] for r in rows
                                                if any(c is not None for c in r)]
              for name, rows in sheets.items() if name in _TABLE_SHEETS}
    out = [s for title, rows in sheets.items() if (s := _sheet(title, rows, tables, path)) is not None]
    if not out:
        raise FileFormatError(path, "no sheet with a 'Binding Energy' or 'Kinetic Energy' header row", offset=0)
    return out


register(Reader("thermo_xlsx", "xps", (".xlsx",), sniff, read,
                "Thermo Avantage Excel export (.xlsx; extra 'thermo')"))
