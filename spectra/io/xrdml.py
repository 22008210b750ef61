"""PANalytical XRDML (schemas 1.0 to 2.3).

* y data from ``<intensities>`` (schema 1.x; already corrected for beam attenuation) or ``<counts>``
  (schema 2.x; raw). Beam attenuation factors are applied exactly once: raw ``<counts>`` are
  multiplied by them, ``<intensities>`` never are. The factors are kept as the coordinate
  ``attenuation_factor`` so Poisson weights can be formed from the raw counts.
* 2θ from ``startPosition``/``endPosition`` (evenly spaced) or ``listPositions``.
* One spectrum per scan. An area measurement (RSM) whose scans share one 2θ axis is one 2-D array
  with leading dim ``scan`` and the coordinate ``omega`` along it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import FileFormatError
from ..dataarray import xrd_pattern
from . import _xml
from ._registry import Reader, register


def sniff(head: bytes, path: Path) -> bool:
    """Recognise a PANalytical XRDML file.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (up to :data:`~spectra.io._registry.HEAD_SIZE`).
    path : Path
        The file (unused).

    Returns
    -------
    bool
        True for an XML document whose head contains ``<xrdMeasurements`` or the
        ``xrdml.com/XRDMeasurement`` namespace.
    """
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and (
        b"<xrdMeasurements" in head or b"xrdml.com/XRDMeasurement" in head)


def _floats(element, path: Path, what: str) -> np.ndarray:
    value = _xml.text(element, "")
    try:
        return np.array(value.split(), dtype=float)
    except ValueError:
        raise FileFormatError(path, f"non-numeric value in <{what}>") from None


def _positions(scan, axis: str, n: int, path: Path) -> np.ndarray | None:
    dp = scan.find("dataPoints")
    for pos in dp.findall("positions"):
        if pos.get("axis") != axis:
            continue
        listed = pos.find("listPositions")
        if listed is not None:
            values = _floats(listed, path, "listPositions")
            if values.size != n:
                raise FileFormatError(path, f"{values.size} {axis} positions for {n} data points")
            return values
        start, end = _xml.number(pos.find("startPosition")), _xml.number(pos.find("endPosition"))
        if start is not None and end is not None:
            return np.linspace(start, end, n)
        common = _xml.number(pos.find("commonPosition"))
        if common is not None:
            return np.full(n, common)
    return None


def _wavelengths(measurement) -> dict:
    wl = measurement.find("usedWavelength")
    out = {}
    if wl is not None:
        out = {"wavelength_ka1": _xml.number(wl.find("kAlpha1")), "wavelength_ka2": _xml.number(wl.find("kAlpha2")),
               "ka2_ratio": _xml.number(wl.find("ratioKAlpha2KAlpha1")),
               "wavelength_kb": _xml.number(wl.find("kBeta"))}
    out["anode"] = _xml.text(measurement.find("incidentBeamPath/xRayTube/anodeMaterial"))
    return out


def _scan(scan, path: Path) -> dict:
    dp = scan.find("dataPoints")
    if dp is None:
        raise FileFormatError(path, f"scan {scan.get('appendNumber')} has no <dataPoints>")
    y_el = dp.find("counts")
    corrected = False
    if y_el is None:
        y_el = dp.find("intensities")
        corrected = True
    if y_el is None:
        raise FileFormatError(path, f"scan {scan.get('appendNumber')} has neither <counts> nor <intensities>")
    y = _floats(y_el, path, y_el.tag)
    if y.size == 0:
        raise FileFormatError(path, f"scan {scan.get('appendNumber')} has no data points")
    att_el = dp.find("beamAttenuationFactors")
    attenuation = _floats(att_el, path, "beamAttenuationFactors") if att_el is not None else None
    if attenuation is not None and attenuation.size != y.size:
        raise FileFormatError(path, f"{attenuation.size} attenuation factors for {y.size} data points")
    two_theta = _positions(scan, "2Theta", y.size, path)
    if two_theta is None:
        raise FileFormatError(path, f"scan {scan.get('appendNumber')} has no 2Theta positions")
    unit = (y_el.get("unit") or "counts").lower()
    time = _xml.number(dp.find("commonCountingTime"))
    return {"y": y, "corrected": corrected, "attenuation": attenuation, "two_theta": two_theta,
            "omega": _positions(scan, "Omega", y.size, path), "time": time,
            "units": "counts/s" if unit in ("cps", "counts/s", "counts per second") else "counts",
            "scan_axis": scan.get("scanAxis"), "mode": scan.get("mode"),
            "started": _xml.text(scan.find("header/startTimeStamp")),
            "number": scan.get("appendNumber")}


def _intensity(s: dict) -> np.ndarray:
    if s["attenuation"] is not None and not s["corrected"]:
        return s["y"] * s["attenuation"]
    return s["y"]


def read(path: Path):
    """Read every scan of a PANalytical XRDML file.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    list of xarray.DataArray
        One XRD pattern per scan, dim ``two_theta`` (degrees), region ``"scan <appendNumber>"`` (a
        running number when the attribute is missing or empty), with the coordinate
        ``attenuation_factor`` when the scan has beam attenuation factors; an area measurement whose
        scans share one 2θ axis is instead one array with dims (``scan``, ``two_theta``), the
        coordinate ``omega`` (degrees) along ``scan``, region ``"area measurement <n>"``. Units
        ``counts`` or ``counts/s`` as the data element says; raw ``<counts>`` are multiplied by the
        attenuation factors, ``<intensities>`` are not.

    Raises
    ------
    spectra.errors.FileFormatError
        The XML is malformed or unsafe (the error names the line where known), the root is not
        ``<xrdMeasurements>``, or a scan lacks data points, 2θ positions, or has non-numeric values or
        mismatched position or attenuation counts.
    """
    root = _xml.parse(Path(path).read_bytes(), path)
    if root.tag != "xrdMeasurements":
        raise FileFormatError(path, f"root element is <{root.tag}>, not <xrdMeasurements>")
    sample = _xml.text(root.find("sample/name")) or _xml.text(root.find("sample/id"))
    comments = [e.text for e in root.findall("comment/entry") if e.text]
    out = []
    for m_index, measurement in enumerate(root.findall("xrdMeasurement")):
        scans = [_scan(s, path) for s in measurement.findall("scan")]
        if not scans:
            continue
        common = {"sample": sample, "acquired": scans[0]["started"], "counting_time": scans[0]["time"],
                  **_wavelengths(measurement)}
        metadata = {"measurement_type": measurement.get("measurementType"), "status": measurement.get("status"),
                    "sample_mode": measurement.get("sampleMode"), "comments": comments,
                    "schema": root.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation"),
                    "intensity_element": "intensities" if scans[0]["corrected"] else "counts",
                    "attenuation": ("already applied in <intensities>" if scans[0]["corrected"] else
                                    "raw <counts> multiplied by beamAttenuationFactors")}
        is_area = (measurement.get("measurementType") or "").lower().startswith("area")
        same_axis = all(s["two_theta"].shape == scans[0]["two_theta"].shape
                        and np.allclose(s["two_theta"], scans[0]["two_theta"]) for s in scans)
        if is_area and len(scans) > 1 and same_axis:
            omega = np.array([s["omega"][0] if s["omega"] is not None else np.nan for s in scans])
            out.append(xrd_pattern(scans[0]["two_theta"], np.stack([_intensity(s) for s in scans]),
                                   units=scans[0]["units"], leading={"scan": np.arange(len(scans))},
                                   metadata=metadata, region=f"area measurement {m_index + 1}", **common))
            out[-1] = out[-1].assign_coords(omega=("scan", omega, {"units": "degree"}))
            continue
        for s in scans:
            extra = {"attenuation_factor": s["attenuation"]} if s["attenuation"] is not None else {}
            out.append(xrd_pattern(s["two_theta"], _intensity(s), units=s["units"], extra_coords=extra,
                                   metadata={**metadata, "scan_axis": s["scan_axis"], "scan_mode": s["mode"]},
                                   region=f"scan {s['number'] or len(out) + 1}",
                                   **{**common, "acquired": s["started"], "counting_time": s["time"]}))
    return out


register(Reader("xrdml", "xrd", (".xrdml",), sniff, read,
                "PANalytical XRDML 1.0-2.3: intensities or counts, one or many scans, area/RSM"))
