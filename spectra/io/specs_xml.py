"""SPECS SpecsLab2 XML (CORBA serialisation of region groups, regions, cycles and scans).

Each ``RegionData`` holds the region definition (start kinetic energy, step ``scan_delta``, points
``values_per_curve``, pass energy, excitation energy), the multichannel detector (``mcd_head``,
``mcd_tail`` and per-channel ``shift`` in units of the pass energy) and the raw counts of every scan,
detector-channel fastest.

Raw counts are placed on the energy axis physically: detector *d* at raw step *i* sees
``E = KE + (i - mcd_head)·delta + shift_d·E_pass``.

* Swept scans: each count is added to the nearest point of the nominal grid ``KE + k·delta``
  (k < ``values_per_curve``); counts are conserved, none are interpolated.
* Snapshot scans (no head or tail; channels tile the range): every channel of every value is its own
  point, sorted by energy.

Scans are summed (``units = counts``; ``dwell_time`` and ``n_scans`` are recorded). SpecsLab's own
exports divide by dwell and scans and apply a detector calibration that the XML does not carry, so
their counts/s differ channel by channel from a plain division of these sums.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import FileFormatError
from ..dataarray import xps_spectrum
from . import _xml
from ._registry import Reader, register


def sniff(head: bytes, path: Path) -> bool:
    """Recognise a SPECS SpecsLab2 XML (CORBA serialisation) file.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (up to :data:`~spectra.io._registry.HEAD_SIZE`).
    path : Path
        The file (unused).

    Returns
    -------
    bool
        True for an XML document mentioning ``CORBA XML document`` in its first 400 bytes or
        ``IDL:specs.de/Serializer`` anywhere in ``head``.
    """
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and (
        b"CORBA XML document" in head[:400] or b"IDL:specs.de/Serializer" in head)


def _named(struct, tag: str, name: str):
    for child in struct:
        if child.tag == tag and child.get("name") == name:
            return child
    return None


def _value(struct, name: str, default=None):
    for child in struct:
        if child.get("name") == name and child.tag in ("double", "ulong", "long", "string", "boolean"):
            text = child.text or ""
            if child.tag == "string":
                return text
            try:
                return float(text)
            except ValueError:
                return default
    return default


def _numbers(sequence, path: Path) -> np.ndarray:
    if sequence is None:
        return np.array([])
    parts = [(c.text or "") for c in sequence]
    try:
        values = np.array(" ".join(parts).split(), dtype=float)
    except ValueError:
        raise FileFormatError(path, f"non-numeric value in <sequence name={sequence.get('name')!r}>") from None
    length = sequence.get("length")
    if length is not None and length.isdigit() and sequence.find("struct") is None and values.size != int(length):
        raise FileFormatError(path, f"sequence {sequence.get('name')!r} declares {length} values, holds {values.size}")
    return values


def _region(rd, group: str, path: Path):
    name = _value(rd, "name", "")
    rdef = _named(rd, "struct", "region")
    if rdef is None:
        raise FileFormatError(path, f"region {name!r} has no definition")
    n = int(_value(rdef, "values_per_curve", 0))
    delta = _value(rdef, "scan_delta", 0.0)
    ke0 = _value(rdef, "kinetic_energy", 0.0)
    pass_energy = _value(rdef, "pass_energy", 0.0)
    hv = _value(rdef, "excitation_energy")
    mode = _value(_named(rdef, "struct", "scan_mode"), "name", "") if _named(rdef, "struct", "scan_mode") is not None else ""
    head, tail = int(_value(rd, "mcd_head", 0)), int(_value(rd, "mcd_tail", 0))
    info = _named(rd, "struct", "analyzer_info")
    detectors = _named(info, "sequence", "detectors") if info is not None else None
    shifts = np.array([_value(d, "shift", 0.0) for d in detectors]) if detectors is not None else np.zeros(1)
    ndet = max(len(shifts), 1)
    if n <= 0 or delta == 0:
        raise FileFormatError(path, f"region {name!r}: {n} values per curve with step {delta}")
    scans = [s for s in rd.iter("struct") if s.get("type_name") == "ScanData"]
    if not scans:
        raise FileFormatError(path, f"region {name!r} has no scan data")
    raw_len = n + head + tail
    total = np.zeros(ndet * raw_len)
    for scan in scans:
        counts = _numbers(_named(scan, "sequence", "counts"), path)
        if counts.size != ndet * raw_len:
            raise FileFormatError(path, f"region {name!r}: a scan has {counts.size} counts, expected "
                                        f"({n} + {head} + {tail}) x {ndet} channels")
        total += counts
    raw = total.reshape(raw_len, ndet)
    step = np.arange(raw_len)[:, None] - head
    energy = ke0 + step * delta + shifts[None, :] * pass_energy
    snapshot = "snapshot" in mode.lower()
    if snapshot:
        order = np.argsort(energy.ravel(), kind="stable")
        axis, y = energy.ravel()[order], raw.ravel()[order]
    else:
        k = np.rint((energy - ke0) / delta).astype(int)
        inside = (k >= 0) & (k < n)
        y = np.bincount(k[inside], weights=raw[inside], minlength=n)
        axis = ke0 + delta * np.arange(n)
    transmission = _numbers(_named(rd, "sequence", "transmission"), path)
    extra = {"transmission": transmission} if transmission.size == axis.size else {}
    dwell = _value(rdef, "dwell_time")
    metadata = {"group": group, "scan_mode": mode, "mcd_head": head, "mcd_tail": tail,
                "detector_shifts": shifts.tolist(), "n_scan_records": len(scans),
                "analyser": _value(info, "name", "") if info is not None else "",
                "lens": _value(rdef, "analyzer_lens", ""), "slit": _value(rdef, "analyzer_slit", ""),
                "analysis_method": _value(rdef, "analysis_method", ""),
                "declared_scans": _value(rdef, "num_scans")}
    return xps_spectrum(axis, y, energy_axis="kinetic", excitation_energy=hv, units="counts",
                        extra_coords=extra, metadata=metadata, region=name, sample=group,
                        pass_energy=pass_energy, dwell_time=dwell, n_scans=len(scans),
                        work_function=_value(rdef, "effective_workfunction"))


def read(path: Path):
    """Read every region of a SpecsLab2 XML file, summing its scans.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    list of xarray.DataArray
        One XPS spectrum per ``RegionData`` of every ``RegionGroup``: a kinetic-energy axis (eV)
        converted to ``binding_energy`` when the region gives an excitation energy, else kept as
        ``kinetic_energy``; units ``counts`` (summed over scans); region the region's name, sample the
        group's; the coordinate ``transmission`` when its length matches the axis.

    Raises
    ------
    spectra.errors.FileFormatError
        The XML is malformed or unsafe (the error names the line where known), a region has no
        definition, no scans, a non-positive point count or zero step, a non-numeric value, or a scan
        whose count total does not match ``(values_per_curve + mcd_head + mcd_tail) x channels``.
    """
    root = _xml.parse(Path(path).read_bytes(), path)
    out = []
    for group in root.iter("struct"):
        if group.get("type_name") != "RegionGroup":
            continue
        group_name = _value(group, "name", "")
        for rd in group.iter("struct"):
            if rd.get("type_name") == "RegionData":
                out.append(_region(rd, group_name, path))
    return out


register(Reader("specs_xml", "xps", (".xml",), sniff, read, "SPECS SpecsLab2 XML (swept and snapshot)"))
