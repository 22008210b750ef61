"""PHI MultiPak ``.spe`` spectra and ``.pro`` depth profiles (ASCII header ``SOFH``...``EOFH``, then a
binary block).

The binary block starts with four little-endian int32 (group, number of spectra, length of the
spectrum headers, 16); each spectrum header is 24 int32 (96 bytes) of which we use: [0] spectrum
number, [5] points per curve, [6] curves (sputter cycles, for ``.pro``), bytes 72-75 the data type
(``f4``/``f8``), [19] the data length in bytes and [20] the data offset from the start of the block.
The energy axis of region *k* comes from the ``SpectralRegDef`` header line: binding energy from
``start`` in steps of ``step`` (negative steps descend). This layout was established on the three PHI
generations in the shared data (Quantum 2000, Model 5000 / VersaProbe, VersaProbe 4) and is checked
against the header at every read: point counts and byte lengths must agree, the binary header must
hold at least as many spectra as the text header defines regions, and every start, step, dwell time,
pass and photon energy must be a finite number in range (the error names the header line).

A ``.pro`` file gives one 2-D array per region, dims (``cycle``, ``binding_energy``); the profile
summary curves that follow the regions are not spectra and are not returned.
"""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from ..dataarray import xps_spectrum
from ..errors import FileFormatError
from . import _checks
from ._registry import Reader, read_bytes, register

_HEADER_END = b"EOFH"


def sniff(head: bytes, path: Path) -> bool:
    """Recognise a PHI MultiPak ``.spe``/``.pro`` file.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (up to :data:`~spectra.io._registry.HEAD_SIZE`).
    path : Path
        The file (unused).

    Returns
    -------
    bool
        True when ``head`` starts with ``SOFH``.
    """
    return head.startswith(b"SOFH")


def _header(text: str) -> tuple[dict, list[list[str]], list[int], dict]:
    """(fields, SpectralRegDef token lists, their 1-based lines, 1-based line of each field)."""
    meta: dict = {}
    regions, region_lines, key_lines = [], [], {}
    for number, line in enumerate(text.splitlines(), 1):
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        key_lines.setdefault(key, number)
        if key == "SpectralRegDef":
            regions.append(value.split())
            region_lines.append(number)
        elif key in meta:
            meta[key] = f"{meta[key]}; {value}"
        else:
            meta[key] = value
    return meta, regions, region_lines, key_lines


def read(path: Path):
    """Read every region of a PHI MultiPak ``.spe`` spectrum or ``.pro`` depth-profile file.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    list of xarray.DataArray
        One XPS spectrum per ``SpectralRegDef`` region, dim ``binding_energy`` (eV) or, for a depth
        profile, dims (``cycle``, ``binding_energy``); units ``counts/s``; region the region's name;
        ``pass_energy`` (eV), ``dwell_time``, excitation energy (eV, from ``XraySource``) and
        ``work_function`` (eV) as attributes.

    Raises
    ------
    spectra.errors.FileFormatError
        No ``SOFH``...``EOFH`` header, the binary header or data run past the end of the file, an
        implausible spectrum count (or fewer spectra than regions), an unknown data type, an unreadable
        ``SpectralRegDef`` or one whose start, step, dwell or pass energy is not finite or in range
        (the error names its line), binary and text headers that disagree, a non-finite count, or
        several curves in a non-profile file (the error names the byte offset).
    """
    data = read_bytes(path)
    end = data.find(_HEADER_END)
    if not data.startswith(b"SOFH") or end < 0:
        raise FileFormatError(path, "no SOFH...EOFH header", offset=0)
    meta, regions, region_lines, key_lines = _header(data[:end].decode("latin-1"))
    start = end + len(_HEADER_END)
    while data[start:start + 1] in (b"\r", b"\n"):
        start += 1
    if len(data) < start + 16:
        raise FileFormatError(path, "file ends before the binary data header", offset=len(data))
    _group, n_spectra, _hlen, _ = struct.unpack_from("<4i", data, start)
    if not 0 <= n_spectra <= 10_000 or len(data) < start + 16 + 96 * n_spectra:
        raise FileFormatError(path, f"implausible number of spectra ({n_spectra}) in the binary header",
                              offset=start + 4)
    if not regions:
        raise FileFormatError(path, "no SpectralRegDef line in the header", line=1)
    n_spectra = n_spectra or len(regions)  # Model 5000 files write 0 here
    if len(regions) > n_spectra:
        raise FileFormatError(path, f"the text header defines {len(regions)} regions, the binary header "
                                    f"{n_spectra} spectra", offset=start + 4)
    if len(data) < start + 16 + 96 * n_spectra:
        raise FileFormatError(path, "file ends inside the spectrum headers", offset=len(data))
    source = meta.get("XraySource", "").split()
    hv = None
    if len(source) > 1:
        hv = _checks.photon_energy(_number(source[1]), "XraySource energy", path,
                                   line=key_lines.get("XraySource", 1))
    work_function = _checks.energy(_number(meta.get("AnalyserWorkFcn")), "AnalyserWorkFcn", path,
                                   line=key_lines.get("AnalyserWorkFcn", 1))
    is_profile = "DEPTHPRO" in meta.get("FileType", "")
    out = []
    for k, region in enumerate(regions):  # the spectra after the regions (profile summaries) are not read
        at = start + 16 + 96 * k
        line = region_lines[k]
        ints = struct.unpack_from("<24i", data, at)
        dtype = data[at + 72:at + 74]
        if dtype not in (b"f4", b"f8"):
            raise FileFormatError(path, f"unknown data type {dtype!r} for region {k + 1}", offset=at + 72)
        npts, ncurves, nbytes, offset = ints[5], ints[6], ints[19], ints[20]
        size = 4 if dtype == b"f4" else 8
        try:
            name, n_header, step, e_start = region[2], int(region[4]), float(region[5]), float(region[6])
            dwell, pass_energy = float(region[10]), float(region[11])
        except (IndexError, ValueError):
            raise FileFormatError(path, f"unreadable SpectralRegDef for region {k + 1}", line=line) from None
        if npts != n_header or npts <= 0 or ncurves <= 0 or nbytes != npts * ncurves * size:
            raise FileFormatError(path, f"region {name}: binary header ({npts} points x {ncurves} curves, "
                                        f"{nbytes} bytes) disagrees with the text header ({n_header} points)",
                                  offset=at)
        begin = start + offset
        if begin < start or begin + nbytes > len(data):
            raise FileFormatError(path, f"region {name}: data runs past the end of the file", offset=begin)
        if ncurves > 1 and not is_profile:
            raise FileFormatError(path, f"region {name}: {ncurves} curves in a SPECTRUM file", offset=at)
        energy = _checks.regular_axis(e_start, step, npts, path, limit=_checks.MAX_ENERGY,
                                      what=f"region {name} energy", line=line)
        dwell = _checks.duration(dwell, f"region {name} dwell time", path, line=line)
        pass_energy = _checks.energy(pass_energy, f"region {name} pass energy", path, line=line)
        values = np.frombuffer(data, dtype="<" + dtype.decode(), count=npts * ncurves, offset=begin)
        intensity = _checks.finite_values(values, path, offset=begin, itemsize=size)
        leading = None
        if is_profile:
            intensity = intensity.reshape(ncurves, npts)
            leading = {"cycle": np.arange(ncurves)}
        out.append(xps_spectrum(energy, intensity, energy_axis="binding", excitation_energy=hv,
                                units="counts/s", leading=leading,
                                metadata={**meta, "SpectralRegDef": " ".join(region)},
                                region=name, pass_energy=pass_energy, dwell_time=dwell, anode=" ".join(source),
                                sample=meta.get("SampleID") or meta.get("FileDesc"),
                                acquired=meta.get("AcqFileDate") or meta.get("FileDate"),
                                work_function=work_function))
    return out


def _number(text: str | None) -> float | None:
    try:
        return float((text or "").split()[0])
    except (IndexError, ValueError):
        return None


register(Reader("phi", "xps", (".spe", ".pro"), sniff, read,
                "PHI MultiPak .spe spectra and .pro depth profiles"))
