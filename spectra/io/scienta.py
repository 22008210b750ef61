"""Scienta SES: text exports (``[Info]``/``[Region n]``/``[Info n]``/``[Data n]`` sections) and Igor
files (``.ibw`` binary waves, ``.pxt`` packed experiments) read through :mod:`igor2`.

In Igor files the energy scale is the wave's x scaling (``sfA``/``sfB``) and the region's settings
are ``key=value`` lines in the wave note.
"""
from __future__ import annotations

import logging
import struct
from pathlib import Path

import numpy as np

from ..errors import FileFormatError
from ..dataarray import xps_spectrum
from ._registry import Reader, register
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
    heads = [(line.strip()[1:-1], i) for i, line in enumerate(lines) if line.startswith("[") and line.strip().endswith("]")]
    return [(name, i, heads[k + 1][1] if k + 1 < len(heads) else len(lines)) for k, (name, i) in enumerate(heads)]


def _keys(lines: list[str]) -> dict:
    out = {}
    for line in lines:
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


def _spectrum(info: dict, energy, intensity, *, leading=None, metadata=None):
    scale = info.get("Energy Scale", "Binding").lower()
    hv = optional_float(info.get("Excitation Energy"))
    return xps_spectrum(energy, intensity, energy_axis="kinetic" if scale.startswith("kinetic") else "binding",
                        excitation_energy=hv, units="counts", leading=leading, metadata=metadata or info,
                        region=info.get("Region Name", ""), sample=info.get("Sample"),
                        pass_energy=optional_float(info.get("Pass Energy")),
                        dwell_time=_ms(info.get("Step Time")), n_scans=optional_float(info.get("Number of Sweeps")),
                        acquired=" ".join(filter(None, (info.get("Date"), info.get("Time")))) or None)



def _ms(value) -> float | None:
    number = optional_float(value)
    return None if number is None else number / 1000.0


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
        ``Number of Regions`` is missing or not positive, a ``[Data n]`` section is missing, a data row
        is not numeric or ragged, or the row count differs from ``Dimension 1 size`` (the error names
        the line).
    """
    lines = read_text(path).splitlines()
    sections = {name: (a, b) for name, a, b in _sections(lines)}
    info = _keys(lines[sections.get("Info", (0, 0))[0] + 1:sections.get("Info", (0, 0))[1]])
    n = int(optional_float(info.get("Number of Regions")) or 0)
    if n <= 0:
        raise FileFormatError(path, "no regions ([Info] Number of Regions)", line=1)
    out = []
    for r in range(1, n + 1):
        if f"Data {r}" not in sections:
            raise FileFormatError(path, f"no [Data {r}] section", line=len(lines))
        region = _keys(lines[slice(*sections.get(f"Region {r}", (0, 0)))])
        details = _keys(lines[slice(*sections.get(f"Info {r}", (0, 0)))])
        a, b = sections[f"Data {r}"]
        data = numeric_rows(lines[a + 1:b], path, first_line=a + 2)
        size = optional_float(region.get("Dimension 1 size"))
        if size is not None and int(size) != data.shape[0]:
            raise FileFormatError(path, f"region {r}: {data.shape[0]} data rows, header says {int(size)}", line=a + 1)
        meta = {**region, **details}
        meta.pop("Dimension 1 scale", None)
        if data.shape[1] > 2:
            intensity = data[:, 1:].T
            leading = {"slice": np.arange(intensity.shape[0])}
        else:
            intensity, leading = data[:, 1], None
        out.append(_spectrum({**details, "Region Name": region.get("Region Name", details.get("Region Name"))},
                             data[:, 0], intensity, leading=leading, metadata={**info, **meta}))
    return out


def _igor_waves(path: Path):
    """All waves in an Igor file; igor2's own errors on damaged files become FileFormatError."""
    from igor2 import binarywave, packed

    logging.getLogger("igor2").setLevel(logging.CRITICAL)  # igor2 logs every damaged record it meets
    try:
        return _load_waves(path, binarywave, packed)
    except (ValueError, TypeError, struct.error, IndexError, KeyError, EOFError, OverflowError,
            AssertionError) as exc:  # igor2 asserts on inconsistent wave headers
        raise FileFormatError(path, f"damaged Igor file: {exc}"[:300]) from None


def _load_waves(path: Path, binarywave, packed):
    if path.suffix.lower() == ".pxt" or _is_packed(path):
        _records, tree = packed.load(str(path))
        waves = []

        def _walk(node):
            for value in node.values():
                if isinstance(value, dict):
                    _walk(value)
                elif hasattr(value, "wave"):
                    waves.append(value.wave)
        _walk(tree)
        return waves
    return [binarywave.load(str(path))]


def _is_packed(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(2)
    return len(head) == 2 and head[0] == 0 and head[1] != 0  # packed files start with record type, version 1-5 start with version


def _note(wave: dict) -> dict:
    note = wave["wave"].get("note", b"")
    if isinstance(note, bytes):
        note = note.decode("latin-1")
    return _keys(note.replace("\r", "\n").splitlines())


def read_igor(path: Path):
    """Read every wave of an Igor binary wave (``.ibw``) or packed experiment (``.pxt``), as Scienta SES writes them.

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
        igor2 cannot parse the file (damaged), or a wave has more than two dims.
    """
    out = []
    for w in _igor_waves(path):
        header = w["wave"]["wave_header"]
        data = np.asarray(w["wave"]["wData"], dtype=float)
        if data.ndim == 0 or data.size == 0:
            continue
        note = _note(w)
        if data.ndim > 2:
            raise FileFormatError(path, f"{data.ndim}-D Igor wave: only 1-D and 2-D SES waves are read")
        n = data.shape[0]
        energy = header["sfB"][0] + header["sfA"][0] * np.arange(n)
        leading = None
        intensity = data
        if data.ndim == 2:
            intensity = data.T
            leading = {"slice": header["sfB"][1] + header["sfA"][1] * np.arange(data.shape[1])}
        name = header.get("bname", b"")
        if isinstance(name, bytes):
            name = name.decode("latin-1")
        note.setdefault("Region Name", name)
        out.append(_spectrum(note, energy, intensity, leading=leading, metadata={**note, "wave_name": name}))
    return out


def sniff_igor(head: bytes, path: Path) -> bool:
    """Recognise an Igor ``.ibw``/``.pxt`` file by its extension.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (up to :data:`~spectra.io._registry.HEAD_SIZE`).
    path : Path
        The file, whose extension is checked.

    Returns
    -------
    bool
        True when the extension is ``.ibw`` or ``.pxt`` and ``head`` has more than 8 bytes.
    """
    return path.suffix.lower() in (".ibw", ".pxt") and len(head) > 8


register(Reader("scienta_txt", "xps", (".txt",), sniff_txt, read_txt, "Scienta SES text export"))
register(Reader("igor", "xps", (".ibw", ".pxt"), sniff_igor, read_igor,
                "Igor binary wave (.ibw) and packed experiment (.pxt), as Scienta SES writes them"))
