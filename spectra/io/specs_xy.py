"""SPECS SpecsLab2 and SpecsLab Prodigy ``.xy`` exports.

Comment lines (``#``) carry export settings, then per region a ``key: value`` header and one or more
data blocks (cycle/curve/scan) introduced by ``# ColumnLabels:``. The energy axis is binding or
kinetic as the export settings say (``Energy Axis`` in Prodigy, ``Kinetic Energy Axis`` in
SpecsLab2); intensity is counts/s or counts likewise. A region with several data blocks on the same
axis (separate scans or curves) becomes one 2-D array with leading dim ``scan``. Columns after the
intensity (``transmission``, ``scaling``) become extra coordinates: along the energy dim when every
block holds the same values (always so for one block), else along (``scan``, energy).

Energies and intensities must be finite, the energy axis not constant, and the header numbers
(excitation and pass energy, dwell time, number of scans, work function) finite numbers in range;
the error names the line.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..dataarray import xps_spectrum
from ..errors import FileFormatError
from . import _checks
from ._registry import Reader, register
from ._text import numeric_rows, optional_float, read_text

_KEY_VALUE = re.compile(r"^#\s*([^:=]+?):\s*(.*)$")


def sniff(head: bytes, path: Path) -> bool:
    """Recognise a SPECS SpecsLab2 / Prodigy ``.xy`` export.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (up to :data:`~spectra.io._registry.HEAD_SIZE`).
    path : Path
        The file (unused).

    Returns
    -------
    bool
        True when ``head`` starts with ``# Created by:`` and its first 200 bytes mention ``SpecsLab``.
    """
    return head.startswith(b"# Created by:") and b"SpecsLab" in head[:200]


def _header_number(meta: dict, lines: dict, key: str, check, path: Path):
    """A numeric header field checked with ``check`` (a :mod:`._checks` function), located at its line."""
    raw = meta.get(key)
    if raw is None or not raw.strip():
        return None
    value = optional_float(raw)
    if value is None:
        raise FileFormatError(path, f"{key} {raw[:40]!r} is not a number", line=lines.get(key, 1))
    return check(value, key, path, line=lines.get(key, 1))


def _finish(region: dict | None, settings: dict, path: Path, out: list) -> None:
    if region is None:
        return
    blocks = region["blocks"]
    if not blocks:
        raise FileFormatError(path, f"region {region['meta'].get('Region')!r} has no data", line=region["line"])
    meta, lines = region["meta"], region["lines"]
    first = blocks[0]
    energy = _checks.axis_values(first["data"][:, 0], path, limit=_checks.MAX_ENERGY, what="energy",
                                 line=first["line"])
    kinetic = _is_kinetic(settings, meta)
    cps = _is_cps(settings, first["labels"])
    for b in blocks[1:]:
        if b["data"].shape != first["data"].shape or not np.allclose(b["data"][:, 0], energy):
            raise FileFormatError(path, f"region {meta.get('Region')!r} has data blocks on different energy axes",
                                  line=b["line"])
    labels = first["labels"]
    extra, extra_2d = {}, {}
    for j in range(2, first["data"].shape[1]):
        name = re.sub(r"\W+", "_", labels[j] if j < len(labels) else f"column_{j + 1}").strip("_").lower()
        name = name or f"column_{j + 1}"
        columns = np.stack([b["data"][:, j] for b in blocks])
        if all(np.array_equal(c, columns[0], equal_nan=True) for c in columns[1:]):
            extra[name] = columns[0]
        else:
            extra_2d[name] = columns
    if len(blocks) == 1:
        y, leading = first["data"][:, 1], None
    else:
        y = np.stack([b["data"][:, 1] for b in blocks])
        leading = {"scan": np.arange(len(blocks))}
    hv = _header_number(meta, lines, "Excitation Energy", _checks.photon_energy, path)
    axis = "kinetic" if kinetic else "binding"
    if "constantfinalstate" in meta.get("Scan Mode", "").replace(" ", "").lower():
        axis = "photon"
    da = xps_spectrum(energy, y, energy_axis=axis, excitation_energy=hv,
                      units="counts/s" if cps else "counts", extra_coords=extra, leading=leading,
                      metadata={"settings": settings, **meta, "blocks": [b["title"] for b in blocks]},
                      region=meta.get("Region", ""), sample=meta.get("Group", settings.get("Group")),
                      pass_energy=_header_number(meta, lines, "Pass Energy", _checks.energy, path),
                      dwell_time=_header_number(meta, lines, "Dwell Time", _checks.duration, path),
                      n_scans=_header_number(meta, lines, "Number of Scans", _checks.scans, path),
                      acquired=meta.get("Acquisition Date"),
                      work_function=_header_number(meta, lines, "Eff. Workfunction", _checks.energy, path))
    if extra_2d:
        da = da.assign_coords({name: (("scan", da.dims[-1]), values) for name, values in extra_2d.items()})
    out.append(da)


def _is_kinetic(settings: dict, meta: dict) -> bool:
    axis = settings.get("Energy Axis")
    if axis:
        return axis.lower().startswith("kinetic")
    flag = settings.get("Kinetic Energy Axis")
    if flag:
        return flag.lower() == "yes"
    return "Kinetic Energy" in meta and "Binding Energy" not in meta


def _is_cps(settings: dict, labels: list[str]) -> bool:
    if len(labels) > 1:
        return "/s" in labels[1] or "cps" in labels[1].lower()
    said = (settings.get("Count Rate") or settings.get("Counts Per Second") or "").lower()
    return said.startswith(("counts per second", "yes"))


def read(path: Path):
    """Read every region of a SpecsLab2 / Prodigy ``.xy`` export.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    list of xarray.DataArray
        One XPS spectrum per ``# Region:``: dim ``binding_energy`` (eV; a kinetic axis is converted
        with the region's excitation energy when given, else stays ``kinetic_energy``) or
        ``photon_energy`` for constant-final-state scans; several data blocks become a leading dim
        ``scan``. Units ``counts/s`` or ``counts`` as the labels or export settings say. Columns after
        the intensity become extra coordinates: 1-D along the energy dim when all blocks agree on them,
        else 2-D along (``scan``, energy).

    Raises
    ------
    spectra.errors.FileFormatError
        Data come before any ``# Region:`` line, a region has no data or data blocks on different
        energy axes, a data row is not numeric, ragged or not finite, the energy axis is constant, or a
        header number is not a finite number in range (the error names the line).
    """
    lines = read_text(path).splitlines()
    settings: dict = {}
    region = None
    out: list = []
    i = 0
    in_settings = False
    while i < len(lines):
        line = lines[i].rstrip()
        if line.startswith("#"):
            m = _KEY_VALUE.match(line)
            key, value = (m.group(1).strip(), m.group(2).strip()) if m else (None, None)
            if key == "XY-Serializer Export Settings":
                in_settings = True
            elif key == "Region":
                in_settings = False
                _finish(region, settings, path, out)
                region = {"meta": {"Region": value, "Group": settings.get("Group")}, "blocks": [], "line": i + 1,
                          "title": "", "lines": {}}
            elif key == "Group":
                in_settings = False
                settings["Group"] = value
            elif key == "ColumnLabels":
                if region is None:
                    raise FileFormatError(path, "data block before any '# Region:' line", line=i + 1)
                j = i + 1
                while j < len(lines) and (not lines[j].strip() or lines[j].startswith("#")):
                    j += 1
                k = j
                while k < len(lines) and lines[k].strip() and not lines[k].startswith("#"):
                    k += 1
                data = numeric_rows(lines[j:k], path, first_line=j + 1)
                region["blocks"].append({"labels": value.split(), "data": data, "title": region["title"],
                                         "line": j + 1})
                i = k
                continue
            elif key and key.startswith("Cycle"):
                if region is not None:
                    region["title"] = line.lstrip("# ").strip()
            elif key and in_settings:
                settings[key] = value
            elif key and region is not None:
                region["meta"].setdefault(key, value)
                region["lines"].setdefault(key, i + 1)
        elif line.strip() and region is None:
            raise FileFormatError(path, "data before any '# Region:' line", line=i + 1)
        i += 1
    _finish(region, settings, path, out)
    if not out:
        raise FileFormatError(path, "no '# Region:' line", line=len(lines))
    return out


register(Reader("specs_xy", "xps", (".xy",), sniff, read,
                "SPECS SpecsLab2 / SpecsLab Prodigy .xy exports (KE or BE axis, transmission column)"))
