"""Scienta SES: text exports (``[Info]``/``[Region n]``/``[Info n]``/``[Data n]`` sections) and Igor
files (``.ibw`` binary waves, ``.pxt`` packed experiments) read through :mod:`igor2`.

In Igor files the energy scale is the wave's x scaling (``sfA``/``sfB``) and the region's settings
are ``key=value`` lines in the wave note.
"""
from __future__ import annotations

import io
import logging
import struct
from pathlib import Path

import numpy as np

from ..dataarray import xps_spectrum
from ..errors import FileFormatError
from . import _checks
from ._registry import Reader, read_bytes, register
from ._text import numeric_rows, optional_float, read_text


def sniff_txt(head: bytes, path: Path) -> bool:
    """Recognise a Scienta SES text export.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (up to :data:`~spectra.io._registry.HEAD_SIZE`).
    path : Path
        The file (unused).

    Returns
    -------
    bool
        True when ``head`` starts with ``[Info]`` (after an optional BOM) and mentions
        ``Number of Regions``.
    """
    return head.lstrip(b"\xef\xbb\xbf").startswith(b"[Info]") and b"Number of Regions" in head


def _sections(lines: list[str]) -> list[tuple[str, int, int]]:
    heads = [(line.strip()[1:-1], i) for i, line in enumerate(lines)
             if line.startswith("[") and line.strip().endswith("]")]
    return [(name, i, heads[k + 1][1] if k + 1 < len(heads) else len(lines)) for k, (name, i) in enumerate(heads)]


def _keys(lines: list[str], first_line: int = 1, where: dict | None = None) -> dict:
    """``key=value`` lines as a dict; ``where`` (when given) receives each key's 1-based line."""
    out = {}
    for i, line in enumerate(lines):
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip()] = value.strip()
            if where is not None:
                where[key.strip()] = first_line + i
    return out


def _spectrum(info: dict, energy, intensity, path: Path, *, leading=None, metadata=None, lines=None, offset=None):
    """Build one spectrum, checking the numbers taken from ``info`` (``lines`` maps a key to its line;
    ``offset`` is the byte offset of an Igor wave note)."""
    def at(key):
        return {"line": lines.get(key)} if lines is not None and key in lines else {"offset": offset}

    def value(key, check, *args):
        raw = info.get(key)
        number = optional_float(raw)
        if raw is not None and raw.strip() and number is None:
            raise FileFormatError(path, f"{key} {raw[:40]!r} is not a number", **_where(at(key)))
        return check(number, *args, path, **_where(at(key)))

    scale = info.get("Energy Scale", "Binding").lower()
    hv = value("Excitation Energy", _checks.photon_energy, "Excitation Energy")
    step_ms = value("Step Time", _checks.duration, "Step Time")
    return xps_spectrum(energy, intensity, energy_axis="kinetic" if scale.startswith("kinetic") else "binding",
                        excitation_energy=hv, units="counts", leading=leading, metadata=metadata or info,
                        region=info.get("Region Name", ""), sample=info.get("Sample"),
                        pass_energy=value("Pass Energy", _checks.energy, "Pass Energy"),
                        dwell_time=None if step_ms is None else step_ms / 1000.0,
                        n_scans=value("Number of Sweeps", _checks.scans, "Number of Sweeps"),
                        acquired=" ".join(filter(None, (info.get("Date"), info.get("Time")))) or None)


def _where(at: dict) -> dict:
    """Keep a line when there is one, else the offset (an error always gets a location)."""
    if at.get("line") is not None:
        return {"line": at["line"]}
    return {"offset": at.get("offset") if at.get("offset") is not None else 0}


def read_txt(path: Path):
    """Read every region of a Scienta SES text export.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    list of xarray.DataArray
        One XPS spectrum per region (``[Data n]`` section): dim ``binding_energy`` (eV; a kinetic
        ``Energy Scale`` is converted with the excitation energy when given, else stays
        ``kinetic_energy``), with a leading dim ``slice`` when the data have more than one intensity
        column; units ``counts``; ``pass_energy`` (eV), ``dwell_time`` (s, from ``Step Time`` in ms) and
        ``n_scans`` from the ``[Info n]`` section.

    Raises
    ------
    spectra.errors.FileFormatError
        ``Number of Regions`` is missing, not a whole number or not positive, a ``[Data n]`` section
        is missing, a data row is not numeric, ragged or not finite, the row count differs from
        ``Dimension 1 size``, the energy axis is constant, or a header number (excitation and pass
        energy, step time, sweeps) is not a finite number in range (the error names the line).
    """
    lines = read_text(path).splitlines()
    sections = {name: (a, b) for name, a, b in _sections(lines)}
    start, stop = sections.get("Info", (0, 0))
    info_lines: dict = {}
    info = _keys(lines[start + 1:stop], start + 2, info_lines)
    declared = info.get("Number of Regions")
    n = optional_float(declared)
    if n is None or not np.isfinite(n) or n != int(n) or n <= 0:
        raise FileFormatError(path, f"no regions ([Info] Number of Regions = {declared!r})",
                              line=info_lines.get("Number of Regions", 1))
    n = int(n)
    if n > len(lines):
        raise FileFormatError(path, f"Number of Regions {n} is more than the file can hold",
                              line=info_lines["Number of Regions"])
    out = []
    for r in range(1, n + 1):
        if f"Data {r}" not in sections:
            raise FileFormatError(path, f"no [Data {r}] section", line=len(lines))
        key_lines: dict = {}
        ra, rb = sections.get(f"Region {r}", (0, 0))
        region = _keys(lines[ra:rb], ra + 1, key_lines)
        ia, ib = sections.get(f"Info {r}", (0, 0))
        details = _keys(lines[ia:ib], ia + 1, key_lines)
        a, b = sections[f"Data {r}"]
        data = numeric_rows(lines[a + 1:b], path, first_line=a + 2, finite="all")
        _checks.axis_values(data[:, 0], path, limit=_checks.MAX_ENERGY, what="energy", line=a + 2)
        size = region.get("Dimension 1 size")
        if size is not None:
            declared_size = optional_float(size)
            if declared_size is None or declared_size != data.shape[0]:
                raise FileFormatError(path, f"region {r}: {data.shape[0]} data rows, header says {size!r}",
                                      line=key_lines.get("Dimension 1 size", a + 1))
        meta = {**region, **details}
        meta.pop("Dimension 1 scale", None)
        if data.shape[1] > 2:
            intensity = data[:, 1:].T
            leading = {"slice": np.arange(intensity.shape[0])}
        else:
            intensity, leading = data[:, 1], None
        out.append(_spectrum({**details, "Region Name": region.get("Region Name", details.get("Region Name"))},
                             data[:, 0], intensity, path, leading=leading, metadata={**info, **meta},
                             lines=key_lines))
    return out


# Igor binary waves (Igor Technical Note TN003) and packed experiments (PTN003).
#: binary-header size and the (name, offset) of its size fields, per wave version
_BIN_HEADERS = {
    1: (8, (("wfmSize", 2),)),
    2: (16, (("wfmSize", 2), ("noteSize", 6))),
    3: (20, (("wfmSize", 2), ("noteSize", 6), ("formulaSize", 10))),
    5: (64, (("wfmSize", 4), ("formulaSize", 8), ("noteSize", 12), ("dataEUnitsSize", 16),
             *((f"dimEUnitsSize[{k}]", 20 + 4 * k) for k in range(4)),
             *((f"dimLabelsSize[{k}]", 36 + 4 * k) for k in range(4)),
             ("sIndicesSize", 52), ("optionsSize1", 56), ("optionsSize2", 60))),
}
#: bytes of wave header counted in wfmSize before the data (v1-3 count 16 bytes more, see TN003)
_WAVE_HEADER = {1: 126, 2: 126, 3: 126, 5: 320}
#: item size of each Igor number type (bit 0 = complex, doubling it); 0 is a text wave
_ITEM_SIZE = {0: 1, 2: 4, 4: 8, 8: 1, 16: 2, 32: 4, 72: 1, 80: 2, 96: 4}
#: most records and folder depth read from a packed experiment
_MAX_RECORDS = 100_000
_MAX_DEPTH = 100
_WAVE_RECORD, _FOLDER_START, _FOLDER_END = 3, 9, 10


def _wave_version(data: bytes, base: int) -> tuple[int, str] | None:
    """(version, byte order) of a binary wave starting at ``base``, or None."""
    if len(data) < base + 2:
        return None
    for order in "<>":
        (version,) = struct.unpack_from(order + "h", data, base)
        if version in _BIN_HEADERS:
            return version, order
    return None


def _check_wave(data: bytes, base: int, end: int, path: Path) -> dict:
    """Check an Igor binary wave held in ``data[base:end]`` before igor2 sees it.

    Every size field of the binary header must be non-negative and, added to the others, fit in
    the bytes available; the wave header's point count, number type and dimensions must agree with
    the data size. Errors name the field and its absolute byte offset.
    """
    found = _wave_version(data, base)
    if found is None:
        raise FileFormatError(path, f"not an Igor binary wave: version field {data[base:base + 2]!r} is not "
                                    "1, 2, 3 or 5", offset=base)
    version, order = found
    header_size, fields = _BIN_HEADERS[version]
    wave_header = _WAVE_HEADER[version] - (16 if version < 5 else 0)
    if end - base < header_size + wave_header:
        raise FileFormatError(path, f"Igor v{version} wave needs {header_size + wave_header} header bytes, "
                                    f"{end - base} remain", offset=base)
    available = end - base - header_size
    used = 0
    sizes = {}
    for name, at in fields:
        (value,) = struct.unpack_from(order + "i", data, base + at)
        if value < 0 or used + value > available:
            raise FileFormatError(path, f"Igor header field {name} = {value}: {available - used} bytes remain "
                                        "in the file for it", offset=base + at)
        used += value
        sizes[name] = value
    wfm = sizes["wfmSize"]
    data_size = wfm - _WAVE_HEADER[version]
    if data_size < 0:
        raise FileFormatError(path, f"Igor header field wfmSize = {wfm} is smaller than the wave header",
                              offset=base + fields[0][1])
    wh = base + header_size
    if version == 5:
        npnts_at, type_at = wh + 12, wh + 16
        dims = struct.unpack_from(order + "4i", data, wh + 68)
        scale_at = wh + 84
    else:
        npnts_at, type_at = wh + 42, wh
        dims = None
        scale_at = wh + 48
    (npnts,) = struct.unpack_from(order + "i", data, npnts_at)
    (kind,) = struct.unpack_from(order + "h", data, type_at)
    item = _ITEM_SIZE.get(kind & ~1)
    if item is None or kind < 0:
        raise FileFormatError(path, f"Igor wave number type {kind} is unknown", offset=type_at)
    item *= 2 if kind & 1 else 1
    if npnts < 0 or (kind != 0 and npnts * item != data_size):
        raise FileFormatError(path, f"Igor wave of {npnts} points of {item} bytes does not fill its {data_size} "
                                    "data bytes (wfmSize)", offset=npnts_at)
    if dims is not None:
        if any(d < 0 for d in dims):
            raise FileFormatError(path, f"Igor wave dimensions {dims} include a negative size", offset=wh + 68)
        shape = [d for d in dims if d > 0]
        if shape and int(np.prod(shape, dtype=object)) != npnts:
            raise FileFormatError(path, f"Igor wave dimensions {dims} do not hold its {npnts} points",
                                  offset=wh + 68)
    note_at = base + header_size + wfm + (sizes.get("formulaSize", 0) if version == 5 else 0)
    return {"version": version, "order": order, "scale_at": scale_at, "note_at": note_at,
            "end": base + header_size + used}


def _packed_waves(data: bytes, path: Path) -> list[tuple[int, int]]:
    """(start, end) of every current wave record of a packed experiment, records checked as walked."""
    if len(data) < 8:
        raise FileFormatError(path, "file ends inside the first packed-experiment record header", offset=0)
    (first,) = struct.unpack_from("<H", data, 0)
    order = "<" if (first & 0x7FFF) < 256 else ">"
    waves, pos, depth, count = [], 0, 0, 0
    while pos < len(data):
        if pos + 8 > len(data):
            raise FileFormatError(path, "file ends inside a packed-experiment record header", offset=pos)
        rtype, _version, size = struct.unpack_from(order + "Hhi", data, pos)
        if size < 0 or pos + 8 + size > len(data):
            raise FileFormatError(path, f"packed-experiment record declares {size} data bytes, "
                                        f"{len(data) - pos - 8} remain", offset=pos + 4)
        count += 1
        if count > _MAX_RECORDS:
            raise FileFormatError(path, f"more than {_MAX_RECORDS} packed-experiment records", offset=pos)
        kind = rtype & 0x7FFF
        if kind == _FOLDER_START:
            depth += 1
            if depth > _MAX_DEPTH:
                raise FileFormatError(path, f"data folders nested more than {_MAX_DEPTH} deep", offset=pos)
        elif kind == _FOLDER_END:
            depth -= 1
            if depth < 0:
                raise FileFormatError(path, "data-folder end record without a start", offset=pos)
        elif kind == _WAVE_RECORD and not rtype & 0x8000:  # bit 15: superseded by a later record
            waves.append((pos + 8, pos + 8 + size))
        pos += 8 + size
    return waves


def _is_packed(path: Path, data: bytes) -> bool:
    return path.suffix.lower() == ".pxt" or _wave_version(data, 0) is None


def _igor_waves(path: Path):
    """(wave, layout) of every wave in an Igor file: sizes checked against the file first, then each
    wave parsed by igor2 from its own bytes; igor2's errors become located FileFormatErrors."""
    from igor2 import binarywave

    logging.getLogger("igor2").setLevel(logging.CRITICAL)  # igor2 logs every damaged record it meets
    data = read_bytes(path)
    spans = _packed_waves(data, path) if _is_packed(path, data) else [(0, len(data))]
    out = []
    for start, end in spans:
        layout = _check_wave(data, start, end, path)
        try:
            wave = binarywave.load(io.BytesIO(data[start:layout["end"]]))
        except (ValueError, TypeError, struct.error, IndexError, KeyError, EOFError, OverflowError,
                AssertionError, RecursionError, MemoryError) as exc:  # igor2 asserts on inconsistent headers
            raise FileFormatError(path, f"damaged Igor wave: {type(exc).__name__}: {exc}"[:300], offset=start) from None
        out.append((wave, {**layout, "start": start}))
    return out


def _note(wave: dict) -> dict:
    note = wave["wave"].get("note", b"")
    if isinstance(note, bytes):
        note = note.decode("latin-1")
    return _keys(note.replace("\r", "\n").splitlines())


def _scaling(header: dict, axis: int) -> tuple[float, float]:
    if "sfA" in header:
        return header["sfA"][axis], header["sfB"][axis]
    return header["hsA"], header["hsB"]  # version 1-3 waves: x scaling only


def read_igor(path: Path):
    """Read every wave of an Igor binary wave (``.ibw``) or packed experiment (``.pxt``), as Scienta SES writes them.

    Before igor2 parses anything, every size field of every wave header and packed-experiment record
    is checked against the bytes the file holds (a 4 KB file claiming a 2 GB note is refused at once).

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    list of xarray.DataArray
        One XPS spectrum per non-empty wave: the energy axis from the wave's x scaling (binding, or
        kinetic when the note's ``Energy Scale`` says so, converted with its ``Excitation Energy``); a
        2-D wave gets the leading dim ``slice`` from its y scaling. Units ``counts``; the wave note's
        ``key=value`` lines become metadata and the SES attributes; region from the note's
        ``Region Name``, else the wave name.

    Raises
    ------
    spectra.errors.FileFormatError
        A header size field, record size, point count, number type or dimension does not fit the file
        (the error names the field and its byte offset); igor2 cannot parse a wave (the offset of the
        wave); a wave has more than two dims, a non-finite value, a non-finite, zero or implausible
        scaling, or a note number out of range.
    """
    out = []
    for w, layout in _igor_waves(path):
        header = w["wave"]["wave_header"]
        data = np.asarray(w["wave"]["wData"])
        if data.ndim == 0 or data.size == 0:
            continue
        if not np.issubdtype(data.dtype, np.number) or np.iscomplexobj(data):
            raise FileFormatError(path, f"Igor wave of type {data.dtype}: only real numeric waves are spectra",
                                  offset=layout["start"])
        data = data.astype(float)
        note = _note(w)
        if data.ndim > 2:
            raise FileFormatError(path, f"{data.ndim}-D Igor wave: only 1-D and 2-D SES waves are read",
                                  offset=layout["start"])
        _checks.finite_values(data, path, offset=layout["start"])
        n = data.shape[0]
        a, b = _scaling(header, 0)
        energy = _checks.regular_axis(b, a, n, path, limit=_checks.MAX_ENERGY, what="x scaling",
                                      offset=layout["scale_at"])
        leading = None
        intensity = data
        if data.ndim == 2:
            intensity = data.T
            a1, b1 = _scaling(header, 1)
            leading = {"slice": _checks.regular_axis(b1, a1, data.shape[1], path, limit=_checks.MAX_ENERGY,
                                                     what="y scaling", offset=layout["scale_at"] + 8)}
        name = header.get("bname", b"")
        if isinstance(name, bytes):
            name = name.decode("latin-1")
        note.setdefault("Region Name", name)
        out.append(_spectrum(note, energy, intensity, path, leading=leading,
                             metadata={**note, "wave_name": name}, offset=layout["note_at"]))
    if not out:
        raise FileFormatError(path, "no non-empty numeric wave in the file", offset=0)
    return out


def sniff_igor(head: bytes, path: Path) -> bool:
    """Recognise an Igor ``.ibw``/``.pxt`` file: the extension, and a header that fits it.

    Igor files have no magic, so the extension is needed; but the header must fit too (a binary wave
    version 1, 2, 3 or 5, or a packed-experiment record header whose size fits the head or the file),
    and the reader is tried after every content sniffer: a ``.ibw`` holding VAMAS is read as VAMAS.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (up to :data:`~spectra.io._registry.HEAD_SIZE`).
    path : Path
        The file, whose extension is checked.

    Returns
    -------
    bool
        True when the extension is ``.ibw`` or ``.pxt`` and the first bytes look like an Igor header.
    """
    suffix = path.suffix.lower()
    if suffix not in (".ibw", ".pxt") or len(head) <= 8:
        return False
    if suffix == ".ibw":
        return _wave_version(head, 0) is not None
    (first,) = struct.unpack_from("<H", head, 0)
    order = "<" if (first & 0x7FFF) < 256 else ">"
    rtype, _version, size = struct.unpack_from(order + "Hhi", head, 0)
    return (rtype & 0x7FFF) < 256 and size >= 0


register(Reader("scienta_txt", "xps", (".txt",), sniff_txt, read_txt, "Scienta SES text export"))
register(Reader("igor", "xps", (".ibw", ".pxt"), sniff_igor, read_igor,
                "Igor binary wave (.ibw) and packed experiment (.pxt), as Scienta SES writes them",
                by_extension=True))
