"""Bruker / Siemens DIFFRAC RAW, versions 1 (``RAW ``), 2 (``RAW2``), 3 (``RAW1.01``) and 4 (``RAW4.00``).

Byte layouts: v1 and v2 as published for DIFFRAC-AT (and implemented in xylib); v3 from the
DIFFRAC^plus XCH manual, appendix A (712-byte file header, 304-byte range headers); v4 as
reverse-engineered in xylib and GSAS-II (61-byte header, tagged metadata segments until a segment
type 0 or 160 starts the ranges; 160-byte range headers followed by an extra header whose size is at
+140). Each range is one pattern; counts are per step (``counting_time`` is the time per step).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import FileFormatError
from ..dataarray import xrd_pattern
from ._binary import BinaryCursor
from ._registry import Reader, register

_MAX_STEPS = 50_000_000


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


def _pattern(start: float, step: float, counts: np.ndarray, attrs: dict, meta: dict, index: int):
    two_theta = start + step * np.arange(counts.size)
    return xrd_pattern(two_theta, counts, units="counts", metadata=meta, region=f"range {index + 1}", **attrs)


def _v1(c: BinaryCursor):
    out, pos, following = [], 4, 1
    while following:
        steps = c.one("<I", pos, "a range header")
        if out and steps == int.from_bytes(b"RAW ", "little"):  # later ranges may repeat the magic
            pos += 4
            steps = c.one("<I", pos, "a range header")
        time_per_step, step, scan_mode = c.unpack("<ffI", pos + 4)
        start, theta, chi, phi = c.unpack("<4f", pos + 20)
        sample = c.string(pos + 36, 32)
        ka1, ka2 = c.unpack("<2f", pos + 68)
        following = c.one("<I", pos + 148)
        if steps > _MAX_STEPS:
            raise FileFormatError(c.path, f"implausible step count {steps}", offset=pos)
        counts = c.array("<f4", pos + 152, steps)
        out.append(_pattern(start, step, counts,
                            {"sample": sample, "wavelength_ka1": ka1, "wavelength_ka2": ka2,
                             "counting_time": time_per_step},
                            {"version": 1, "scan_mode": scan_mode, "theta_start": theta, "chi_start": chi, "phi_start": phi}, len(out)))
        pos += 152 + 4 * steps
    return out


def _v2(c: BinaryCursor):
    n_ranges = c.one("<H", 4)
    date = c.string(168, 20)
    anode = c.string(188, 2)
    ka1, ka2, ratio = c.unpack("<3f", 190)
    out, pos = [], 256
    for index in range(n_ranges):
        header_len, steps = c.unpack("<HH", pos, "a range header")
        if header_len <= 48:
            raise FileFormatError(c.path, f"range header length {header_len} is too short", offset=pos)
        time_per_step, step, start = c.unpack("<3f", pos + 8)
        counts = c.array("<f4", pos + header_len, steps)
        out.append(_pattern(start, step, counts,
                            {"anode": anode, "wavelength_ka1": ka1, "wavelength_ka2": ka2, "ka2_ratio": ratio,
                             "counting_time": time_per_step, "acquired": date}, {"version": 2}, index))
        pos += header_len + 4 * steps
    return out


def _v3(c: BinaryCursor):
    status, n_ranges = c.unpack("<II", 8)
    if n_ranges > 10_000:
        raise FileFormatError(c.path, f"implausible range count {n_ranges}", offset=12)
    attrs = {"acquired": f"{c.string(16, 10)} {c.string(26, 10)}".strip(), "sample": c.string(326, 60),
             "anode": c.string(608, 4)}
    attrs["wavelength_ka1"], attrs["wavelength_ka2"], attrs["ka2_ratio"] = (c.one("<d", 624), c.one("<d", 632),
                                                                         c.one("<d", 648))
    meta = {"version": 3, "file_status": status, "user": c.string(36, 72), "site": c.string(108, 218),
            "comment": c.string(386, 160), "wavelength_average": c.one("<d", 616), "wavelength_kb": c.one("<d", 640)}
    out, pos = [], 712
    for index in range(n_ranges):
        header_len, steps = c.unpack("<II", pos, "a range header")
        if header_len != 304 or steps > _MAX_STEPS:
            raise FileFormatError(c.path, f"range header length {header_len} (expected 304) or step count "
                                          f"{steps} is wrong", offset=pos)
        start_2theta = c.one("<d", pos + 16)
        step = c.one("<d", pos + 176)
        time_per_step = c.one("<f", pos + 192)
        kv, ma = c.unpack("<II", pos + 224)
        supplementary = c.one("<I", pos + 256)
        data_at = pos + header_len + supplementary
        counts = c.array("<f4", data_at, steps)
        out.append(_pattern(start_2theta, step, counts, {**attrs, "counting_time": time_per_step},
                            {**meta, "generator_kv": kv, "generator_ma": ma, "theta_start": c.one("<d", pos + 8),
                             "used_wavelength": c.one("<d", pos + 240)}, index))
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
            raise FileFormatError(c.path, f"metadata segment of length {seg_len}", offset=pos)
        if seg_type == 10 and seg_len >= 36:
            meta[c.string(pos + 12, 24)] = c.string(pos + 36, seg_len - 36)
        elif seg_type == 30 and seg_len >= 120:
            avg, ka1, ka2, kb, ratio = c.unpack("<5d", pos + 72)
            attrs.update(wavelength_ka1=ka1, wavelength_ka2=ka2, ka2_ratio=ratio, anode=c.string(pos + 116, 4))
            meta.update(wavelength_average=avg, wavelength_kb=kb)
        pos += seg_len
    attrs["sample"] = meta.get("SAMPLEID")
    out = []
    while pos < len(c.data) and c.one("<I", pos, "a range header") in (0, 160):
        scan_type = c.string(pos + 32, 24)
        start, step = c.unpack("<dd", pos + 72)
        steps, time_per_step = c.unpack("<If", pos + 88)
        datum_size, extra = c.unpack("<II", pos + 136)
        if datum_size != 4 or steps > _MAX_STEPS:
            raise FileFormatError(c.path, f"range with {steps} steps of {datum_size}-byte data: only float32 "
                                          "counts are known", offset=pos + 136)
        data_at = pos + 160 + extra
        counts = c.array("<f4", data_at, steps)
        out.append(_pattern(start, step, counts, {**attrs, "counting_time": time_per_step},
                            {**meta, "scan_type": scan_type, "used_wavelength": c.one("<d", pos + 112)}, len(out)))
        pos = data_at + 4 * steps
        if pos + 4 > len(c.data):
            break
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
        anode, sample and ``counting_time`` (s per step) are attributes where the version records them.

    Raises
    ------
    spectra.errors.FileFormatError
        No RAW magic, a header or data block runs past the end of the file, or a header holds an
        implausible step, range or segment count (the error names the byte offset).
    """
    data = Path(path).read_bytes()
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
