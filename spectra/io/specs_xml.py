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

from ..dataarray import xps_spectrum
from ..errors import FileFormatError
from . import _checks, _xml
from ._registry import Reader, read_bytes, register


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


def _numbers(sequence, path: Path, root, *, limit: int | None = None) -> np.ndarray:
    if sequence is None:
        return np.array([])
    length = sequence.get("length")
    if limit is not None and length is not None and length.isdigit() and int(length) > limit:
        raise _xml.error(root, sequence, path, f"sequence {sequence.get('name')!r} declares {length} values, "
                                               f"more than the file can hold")
    parts = [(c.text or "") for c in sequence]
    try:
        values = np.array(" ".join(parts).split(), dtype=float)
    except ValueError:
        raise _xml.error(root, sequence, path, f"non-numeric value in <sequence name={sequence.get('name')!r}>") \
            from None
    if length is not None and length.isdigit() and sequence.find("struct") is None and values.size != int(length):
        raise _xml.error(root, sequence, path, f"sequence {sequence.get('name')!r} declares {length} values, "
                                               f"holds {values.size}")
    bad = _checks.first_bad(values)
    if bad is not None:
        raise _xml.error(root, sequence, path, f"value {bad + 1} of sequence {sequence.get('name')!r} is "
                                               f"{values[bad]}: a finite number is needed")
    return values


def _child(struct, name: str):
    """The child of ``struct`` called ``name``, or ``struct`` itself (for locating an error)."""
    return next((c for c in struct if c.get("name") == name), struct)


def _field(struct, name: str, path: Path, root, check, *args, default=None):
    """A numeric field of ``struct`` checked with ``check`` (a :mod:`._checks` function); its errors name
    the element and its line."""
    value = _value(struct, name, default)
    element = _child(struct, name)
    try:
        return check(value, *args, path)
    except FileFormatError as exc:
        raise _xml.error(root, element, path, exc.reason) from None


def _count(struct, name: str, path: Path, root, maximum: int) -> int:
    value = _value(struct, name, 0)
    element = _child(struct, name)
    if value is None or not np.isfinite(value) or value != int(value) or not 0 <= value <= maximum:
        raise _xml.error(root, element, path, f"{name} = {value!r}: a whole number from 0 to {maximum} is needed")
    return int(value)


def _region(rd, group: str, path: Path, root, size: int):
    name = _value(rd, "name", "")
    rdef = _named(rd, "struct", "region")
    if rdef is None:
        raise _xml.error(root, rd, path, f"region {name!r} has no definition")
    # every count needs at least two characters of text, so no count may exceed the file size
    n = _count(rdef, "values_per_curve", path, root, size)
    delta = _field(rdef, "scan_delta", path, root, _checks.energy, "scan_delta", default=0.0)
    ke0 = _field(rdef, "kinetic_energy", path, root, _checks.energy, "kinetic_energy", default=0.0)
    pass_energy = _field(rdef, "pass_energy", path, root, _checks.energy, "pass_energy", default=0.0)
    hv = _field(rdef, "excitation_energy", path, root, _checks.photon_energy, "excitation_energy")
    scan_mode = _named(rdef, "struct", "scan_mode")
    mode = _value(scan_mode, "name", "") if scan_mode is not None else ""
    head, tail = _count(rd, "mcd_head", path, root, size), _count(rd, "mcd_tail", path, root, size)
    info = _named(rd, "struct", "analyzer_info")
    detectors = _named(info, "sequence", "detectors") if info is not None else None
    shifts = (np.array([_field(d, "shift", path, root, _checks.number, "detector shift", default=0.0)
                        for d in detectors]) if detectors is not None else np.zeros(1))
    ndet = max(len(shifts), 1)
    if n <= 0:
        raise _xml.error(root, _child(rdef, "values_per_curve"), path, f"region {name!r}: {n} values per curve")
    if delta == 0:
        raise _xml.error(root, _child(rdef, "scan_delta"), path, f"region {name!r}: scan_delta is 0")
    raw_len = n + head + tail
    if ndet * raw_len > size:
        raise _xml.error(root, rd, path, f"region {name!r}: ({n} + {head} + {tail}) x {ndet} channels is more "
                                         "counts than the file can hold")
    _checks.regular_axis(ke0, delta, n, path, limit=_checks.MAX_ENERGY, what=f"region {name!r} energy",
                         line=_xml.locate(root, rdef)[1])
    scans = [s for s in rd.iter("struct") if s.get("type_name") == "ScanData"]
    if not scans:
        raise _xml.error(root, rd, path, f"region {name!r} has no scan data")
    total = np.zeros(ndet * raw_len)
    for scan in scans:
        counts = _numbers(_named(scan, "sequence", "counts"), path, root, limit=size)
        if counts.size != ndet * raw_len:
            raise _xml.error(root, scan, path, f"region {name!r}: a scan has {counts.size} counts, expected "
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
    _checks.axis_values(axis, path, limit=_checks.MAX_ENERGY, what=f"region {name!r} energy",
                        line=_xml.locate(root, rdef)[1])
    transmission = _numbers(_named(rd, "sequence", "transmission"), path, root, limit=size)
    extra = {"transmission": transmission} if transmission.size == axis.size else {}
    dwell = _field(rdef, "dwell_time", path, root, _checks.duration, "dwell_time")
    metadata = {"group": group, "scan_mode": mode, "mcd_head": head, "mcd_tail": tail,
                "detector_shifts": shifts.tolist(), "n_scan_records": len(scans),
                "analyser": _value(info, "name", "") if info is not None else "",
                "lens": _value(rdef, "analyzer_lens", ""), "slit": _value(rdef, "analyzer_slit", ""),
                "analysis_method": _value(rdef, "analysis_method", ""),
                "declared_scans": _value(rdef, "num_scans")}
    return xps_spectrum(axis, y, energy_axis="kinetic", excitation_energy=hv, units="counts",
                        extra_coords=extra, metadata=metadata, region=name, sample=group,
                        pass_energy=pass_energy, dwell_time=dwell, n_scans=len(scans),
                        work_function=_field(rdef, "effective_workfunction", path, root, _checks.energy,
                                             "effective_workfunction"))


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
        The XML is malformed or unsafe, there is no region, a region has no definition, no scans, a
        point count or detector head/tail that is not a whole number or more than the file can hold,
        a zero step, a start, step, energy, shift or dwell time that is not finite or out of range, a
        non-numeric or non-finite value, or a scan whose count total does not match
        ``(values_per_curve + mcd_head + mcd_tail) x channels`` (the error names the element and its
        line).
    """
    data = read_bytes(path)
    root = _xml.parse(data, path)
    out = []
    for group in root.iter("struct"):
        if group.get("type_name") != "RegionGroup":
            continue
        group_name = _value(group, "name", "")
        for rd in group.iter("struct"):
            if rd.get("type_name") == "RegionData":
                out.append(_region(rd, group_name, path, root, len(data)))
    if not out:
        raise _xml.error(root, root, path, "no RegionGroup with RegionData")
    return out


register(Reader("specs_xml", "xps", (".xml",), sniff, read, "SPECS SpecsLab2 XML (swept and snapshot)"))
