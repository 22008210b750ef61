"""Bruker / Siemens DIFFRAC RAW, versions 1 (``RAW ``), 2 (``RAW2``), 3 (``RAW1.01``) and 4 (``RAW4.00``).

Byte layouts: v1 and v2 as published for DIFFRAC-AT (and implemented in xylib); v3 from the
DIFFRAC^plus XCH manual, appendix A (712-byte file header, 304-byte range headers); v4 as
reverse-engineered in xylib and GSAS-II (61-byte header, tagged metadata segments until a segment
type 0 or 160 starts the ranges; 160-byte range headers followed by an extra header whose size is at
+140). The v4 data-point size is at +136: 4 bytes (a float32 count) or 8 bytes (a float32 count and a
uint32 flag, kept as the coordinate ``datum_flag``); the size is checked against the file before
anything is read. Each range is one pattern; counts are per step (``counting_time`` is the time per
step).

Every step count must be at least 1, every start and step finite (the step not 0) with both ends of
the 2θ axis within ±10⁴°, times and wavelengths finite and non-negative, and counts finite; anything
else is refused with the byte offset of the field.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..dataarray import xrd_pattern
from ..errors import FileFormatError
from . import _checks
from ._binary import BinaryCursor
from ._registry import Reader, read_bytes, register

_MAX_STEPS = 50_000_000
_MAX_RANGES = 10_000


def sniff(head: bytes, path: Path) -> bool:
    """Recognise a Bruker/Siemens RAW file (v1-v4) by its magic bytes.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (up to :data:`~spectra.io._registry.HEAD_SIZE`).
    path : Path
        The file (unused).

    Returns
    -------
    bool
        True when ``head`` starts with ``RAW ``, ``RAW2``, ``RAW1.01`` or ``RAW4.00``.
    """
    return head[:4] in (b"RAW ", b"RAW2") or head[:7] in (b"RAW1.01", b"RAW4.00")


def _steps(c: BinaryCursor, steps: int, at: int) -> int:
    if steps <= 0 or steps > _MAX_STEPS:
        raise FileFormatError(c.path, f"range with {steps} steps (1 to {_MAX_STEPS} expected)", offset=at)
    return steps


def _wavelengths(c: BinaryCursor, values: dict[str, tuple[float, int]]) -> dict:
    """Checked wavelengths (Å) and Kα2/Kα1 ratio; 0 means not recorded."""
    out = {}
    for name, (value, at) in values.items():
        checked = (_checks.number(value, name, c.path, offset=at, minimum=0.0, maximum=1e3) if name == "ka2_ratio"
                   else _checks.wavelength(value, name, c.path, offset=at))
        out[name] = checked or None
    return out


def _pattern(c: BinaryCursor, start: float, step: float, counts: np.ndarray, attrs: dict, meta: dict, index: int, *,
             axis_at: int, data_at: int, itemsize: int = 4, time: tuple[float, int] | None = None, extra=None):
    two_theta = _checks.regular_axis(start, step, counts.size, c.path, limit=_checks.MAX_ANGLE, what="2θ",
                                     offset=axis_at)
    _checks.finite_values(counts, c.path, what="count", offset=data_at, itemsize=itemsize)
    if time is not None:
        attrs = {**attrs, "counting_time": _checks.duration(time[0], "time per step", c.path, offset=time[1])}
    return xrd_pattern(two_theta, counts, units="counts", metadata=meta, region=f"range {index + 1}",
                       extra_coords=extra, **attrs)


def _v1(c: BinaryCursor):
    out, pos, following = [], 4, 1
    while following:
        if len(out) >= _MAX_RANGES:
            raise FileFormatError(c.path, f"more than {_MAX_RANGES} ranges", offset=pos)
        steps = c.one("<I", pos, "a range header")
        if out and steps == int.from_bytes(b"RAW ", "little"):  # later ranges may repeat the magic
            pos += 4
            steps = c.one("<I", pos, "a range header")
        _steps(c, steps, pos)
        time_per_step, step, scan_mode = c.unpack("<ffI", pos + 4)
        start, theta, chi, phi = c.unpack("<4f", pos + 20)
        sample = c.string(pos + 36, 32)
        ka1, ka2 = c.unpack("<2f", pos + 68)
        following = c.one("<I", pos + 148)
        counts = c.array("<f4", pos + 152, steps)
        attrs = {"sample": sample, **_wavelengths(c, {"wavelength_ka1": (ka1, pos + 68),
                                                      "wavelength_ka2": (ka2, pos + 72)})}
        out.append(_pattern(c, start, step, counts, attrs,
                            {"version": 1, "scan_mode": scan_mode, "theta_start": theta, "chi_start": chi,
                             "phi_start": phi}, len(out), axis_at=pos + 8, data_at=pos + 152,
                            time=(time_per_step, pos + 4)))
        pos += 152 + 4 * steps
    return out


def _v2(c: BinaryCursor):
    n_ranges = c.one("<H", 4)
    if n_ranges == 0:
        raise FileFormatError(c.path, "the file header declares no range", offset=4)
    date = c.string(168, 20)
    anode = c.string(188, 2)
    ka1, ka2, ratio = c.unpack("<3f", 190)
    attrs = {"anode": anode, "acquired": date,
             **_wavelengths(c, {"wavelength_ka1": (ka1, 190), "wavelength_ka2": (ka2, 194), "ka2_ratio": (ratio, 198)})}
    out, pos = [], 256
    for index in range(n_ranges):
        header_len, steps = c.unpack("<HH", pos, "a range header")
        if header_len <= 48:
            raise FileFormatError(c.path, f"range header length {header_len} is too short", offset=pos)
        _steps(c, steps, pos + 2)
        time_per_step, step, start = c.unpack("<3f", pos + 8)
        counts = c.array("<f4", pos + header_len, steps)
        out.append(_pattern(c, start, step, counts, attrs, {"version": 2}, index, axis_at=pos + 12,
                            data_at=pos + header_len, time=(time_per_step, pos + 8)))
        pos += header_len + 4 * steps
    return out


def _v3(c: BinaryCursor):
    status, n_ranges = c.unpack("<II", 8)
    if not 0 < n_ranges <= _MAX_RANGES:
        raise FileFormatError(c.path, f"implausible range count {n_ranges}", offset=12)
    attrs = {"acquired": f"{c.string(16, 10)} {c.string(26, 10)}".strip(), "sample": c.string(326, 60),
             "anode": c.string(608, 4)}
    attrs.update(_wavelengths(c, {"wavelength_ka1": (c.one("<d", 624), 624), "wavelength_ka2": (c.one("<d", 632), 632),
                                  "ka2_ratio": (c.one("<d", 648), 648)}))
    meta = {"version": 3, "file_status": status, "user": c.string(36, 72), "site": c.string(108, 218),
            "comment": c.string(386, 160), "wavelength_average": c.one("<d", 616), "wavelength_kb": c.one("<d", 640)}
    out, pos = [], 712
    for index in range(n_ranges):
        header_len, steps = c.unpack("<II", pos, "a range header")
        if header_len != 304:
            raise FileFormatError(c.path, f"range header length {header_len} (expected 304)", offset=pos)
        _steps(c, steps, pos + 4)
        start_2theta = c.one("<d", pos + 16)
        step = c.one("<d", pos + 176)
        time_per_step = c.one("<f", pos + 192)
        kv, ma = c.unpack("<II", pos + 224)
        supplementary = c.one("<I", pos + 256)
        data_at = pos + header_len + supplementary
        counts = c.array("<f4", data_at, steps)
        out.append(_pattern(c, start_2theta, step, counts, attrs,
                            {**meta, "generator_kv": kv, "generator_ma": ma, "theta_start": c.one("<d", pos + 8),
                             "used_wavelength": c.one("<d", pos + 240)}, index, axis_at=pos + 176, data_at=data_at,
                            time=(time_per_step, pos + 192)))
        pos = data_at + 4 * steps
    return out


def _v4(c: BinaryCursor):
    meta = {"version": 4}
    attrs = {"acquired": f"{c.string(12, 12)} {c.string(24, 10)}".strip()}
    pos = 61
    while True:
        seg_type = c.one("<I", pos, "a metadata segment")
        if seg_type in (0, 160):
            break
        seg_len = c.one("<I", pos + 4, "a metadata segment")
        if seg_len < 8:
            raise FileFormatError(c.path, f"metadata segment of length {seg_len}", offset=pos + 4)
        c.need(pos, seg_len, "a metadata segment")
        if seg_type == 10 and seg_len >= 36:
            meta[c.string(pos + 12, 24)] = c.string(pos + 36, seg_len - 36)
        elif seg_type == 30 and seg_len >= 120:
            avg, ka1, ka2, kb, ratio = c.unpack("<5d", pos + 72)
            attrs.update(_wavelengths(c, {"wavelength_ka1": (ka1, pos + 80), "wavelength_ka2": (ka2, pos + 88),
                                          "ka2_ratio": (ratio, pos + 104)}), anode=c.string(pos + 116, 4))
            meta.update(wavelength_average=avg, wavelength_kb=kb)
        pos += seg_len
    attrs["sample"] = meta.get("SAMPLEID")
    out = []
    while pos < len(c.data) and c.one("<I", pos, "a range header") in (0, 160):
        if len(out) >= _MAX_RANGES:
            raise FileFormatError(c.path, f"more than {_MAX_RANGES} ranges", offset=pos)
        c.need(pos, 160, "a range header")
        scan_type = c.string(pos + 32, 24)
        start, step = c.unpack("<dd", pos + 72)
        steps, time_per_step = c.unpack("<If", pos + 88)
        _steps(c, steps, pos + 88)
        datum_size, extra = c.unpack("<II", pos + 136)
        if datum_size not in (4, 8):
            raise FileFormatError(c.path, f"range with {datum_size}-byte data points: 4-byte (float32 count) and "
                                          "8-byte (float32 count + uint32 flag) points are known", offset=pos + 136)
        data_at = pos + 160 + extra
        c.need(data_at, steps * datum_size, f"the data of range {len(out) + 1} ({steps} points of {datum_size} bytes)")
        flags = None
        if datum_size == 4:
            counts = c.array("<f4", data_at, steps)
        else:
            records = np.frombuffer(c.data, dtype=[("count", "<f4"), ("flag", "<u4")], count=steps, offset=data_at)
            counts = records["count"].astype(float)
            flags = records["flag"].astype(np.int64)
        out.append(_pattern(c, start, step, counts, attrs,
                            {**meta, "scan_type": scan_type, "used_wavelength": c.one("<d", pos + 112),
                             "datum_size": datum_size}, len(out),
                            axis_at=pos + 72, data_at=data_at, itemsize=datum_size, time=(time_per_step, pos + 92),
                            extra={"datum_flag": flags} if flags is not None else None))
        pos = data_at + datum_size * steps
        if pos + 4 > len(c.data):
            break
    if not out:
        raise FileFormatError(c.path, "no range header (type 0 or 160) after the metadata segments", offset=pos)
    return out


def read(path: Path):
    """Read every range of a Bruker/Siemens DIFFRAC RAW file (v1, v2, v3 or v4).

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    list of xarray.DataArray
        One XRD pattern per range, in file order: dim ``two_theta`` (degrees, from the range's start
        and step), units ``counts`` (per step), region ``"range <n>"`` (1-based). Wavelengths (Å),
        anode, sample and ``counting_time`` (s per step) are attributes where the version records them
        (a wavelength of 0 means not recorded). v4 ranges with 8-byte points carry ``datum_flag``.

    Raises
    ------
    spectra.errors.FileFormatError
        No RAW magic, a header or data block runs past the end of the file, a header holds an
        implausible step (0 included), range or segment count, a start, step, time or wavelength that
        is not finite or out of range, an unknown v4 data-point size, or a count is not finite (the
        error names the byte offset).
    """
    data = read_bytes(path)
    c = BinaryCursor(data, path)
    if data[:7] == b"RAW1.01":
        return _v3(c)
    if data[:7] == b"RAW4.00":
        return _v4(c)
    if data[:4] == b"RAW2":
        return _v2(c)
    if data[:4] == b"RAW ":
        return _v1(c)
    raise FileFormatError(path, "no Bruker RAW magic (RAW , RAW2, RAW1.01, RAW4.00)", offset=0)


register(Reader("bruker_raw", "xrd", (".raw",), sniff, read, "Bruker/Siemens DIFFRAC RAW v1-v4"))
