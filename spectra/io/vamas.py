"""VAMAS (ISO 14976) surface-analysis files: ``.vms`` and PHI MultiPak's ``.npl``.

Handles REGULAR and IRREGULAR scans, the NORM, SDP and MAP experiment modes, many blocks, leading
blank lines (Kratos ESCApe), and CasaXPS saves: block comments are kept verbatim in ``metadata``
(``block_comment``) and CasaXPS regions and components are parsed into ``casa_regions`` and
``casa_components``.

Kinetic-energy blocks are converted with ``BE = hv - KE`` (CasaXPS convention, no work function).

Numbers are checked: the abscissa start and increment (REGULAR) or values (IRREGULAR) must be
finite, the increment not 0 and the axis within ±10⁶; the excitation and pass energies, work
function, collection time and scan count must be finite and in range unless they are ISO 14976's
"no value" 1E37; every ordinate value must be finite. Errors name the line.

Old Omicron EIS exports omit the per-block sample identifier, which ISO 14976 requires, and may
declare more blocks than they hold. When the strict read fails, the file is read again leniently:
a block whose identifier line is followed directly by a date gets an empty sample name, and reading
stops at ``end of experiment``. The lenient read emits a :class:`UserWarning` saying what it did; if
it fails too, the strict read's error is raised.
"""
from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np

from ..dataarray import xps_spectrum
from ..errors import FileFormatError
from . import _checks
from ._registry import Reader, read_bytes, register
from ._text import LineCursor, decode
from .write import restore

MAGIC = "VAMAS Surface Chemical Analysis Standard Data Transfer Format"
_SPUTTER_TECHNIQUES = {"FABMS", "FABMS energy spec", "ISS", "SIMS", "SIMS energy spec", "SNMS",
                       "SNMS energy spec"}
_SPUTTER_SOURCE_TECHNIQUES = {"AES diff", "AES dir", "EDX", "ELS", "UPS", "XPS", "XRF"}
_TECHNIQUE_NAMES = {"XPS": "xps", "UPS": "ups", "AES diff": "aes", "AES dir": "aes"}
_CASA_NAME = re.compile(r"\(\*(.*?)\*\)")


def sniff(head: bytes, path: Path) -> bool:
    """Recognise a VAMAS (ISO 14976) file.

    Parameters
    ----------
    head : bytes
        The first bytes of the file (up to :data:`~spectra.io._registry.HEAD_SIZE`).
    path : Path
        The file (unused).

    Returns
    -------
    bool
        True when ``head`` starts, after blank lines and an optional BOM, with the VAMAS format
        identifier.
    """
    return head.lstrip(b"\r\n \t\xef\xbb\xbf")[:60].startswith(MAGIC[:40].encode())


def _experiment_header(cur: LineCursor) -> dict:
    h = {}
    h["format_identifier"] = cur.next()
    if not h["format_identifier"].startswith(MAGIC[:20]):
        raise cur.error("not a VAMAS file: the format identifier line is missing")
    h["institution"] = cur.next()
    h["instrument_model"] = cur.next()
    h["operator"] = cur.next()
    h["experiment"] = cur.next()
    n_comment = cur.next_int(maximum=len(cur.lines))
    h["comment"] = "\n".join(cur.take(n_comment))
    h["experiment_mode"] = cur.next()
    h["scan_mode"] = cur.next()
    if h["scan_mode"] not in ("REGULAR", "IRREGULAR"):
        raise cur.error(f"scan mode {h['scan_mode']!r} is not REGULAR or IRREGULAR")
    if h["experiment_mode"] in ("MAP", "MAPDP", "NORM", "SDP"):
        h["n_regions"] = cur.next_int()
    if h["experiment_mode"] in ("MAP", "MAPDP"):
        h["n_analysis_positions"] = cur.next_int()
        h["n_x"] = cur.next_int()
        h["n_y"] = cur.next_int()
    n_var = cur.next_int(maximum=len(cur.lines))
    h["experimental_variables"] = [(cur.next(), cur.next()) for _ in range(n_var)]
    if cur.next_int(minimum=None) != 0:
        raise cur.error("VAMAS parameter inclusion/exclusion lists are not supported")
    n_manual = cur.next_int(maximum=len(cur.lines))
    cur.take(n_manual)
    h["n_future_experiment"] = cur.next_int(maximum=len(cur.lines))
    h["n_future_block"] = cur.next_int(maximum=len(cur.lines))
    cur.take(h["n_future_experiment"])
    h["n_blocks"] = cur.next_int(maximum=len(cur.lines))
    return h


def _date_follows(cur: LineCursor) -> bool:
    """True when the line after the block identifier already starts the date (no sample identifier)."""
    try:
        year, month, day = (int(cur.lines[cur.pos + 1 + i].strip()) for i in range(3))
    except (IndexError, ValueError):
        return False
    return 1900 <= year <= 2200 and 1 <= month <= 12 and 1 <= day <= 31


def _block(cur: LineCursor, h: dict, *, lenient: bool = False) -> dict:
    b: dict = {}
    missing_sample_id = lenient and _date_follows(cur)
    b["block_identifier"] = cur.next()
    b["sample_identifier"] = "" if missing_sample_id else cur.next()
    y, mo, d, hh, mi, s = (cur.next_int(minimum=None) for _ in range(6))
    b["acquired"] = f"{y:04d}-{mo:02d}-{d:02d}T{hh:02d}:{mi:02d}:{s:02d}"
    b["gmt_offset_hours"] = cur.next_float()
    n_comment = cur.next_int(maximum=len(cur.lines))
    b["block_comment"] = "\n".join(cur.take(n_comment))
    b["technique"] = cur.next()
    mode = h["experiment_mode"]
    if mode in ("MAP", "MAPDP"):
        b["x"] = cur.next_float()
        b["y"] = cur.next_float()
    b["experimental_variable_values"] = [cur.next() for _ in h["experimental_variables"]]
    b["source_label"] = cur.next()
    if mode in ("MAPDP", "MAPSVDP", "SDP", "SDPSV") or b["technique"] in _SPUTTER_TECHNIQUES:
        b["sputtering_ion"] = [cur.next(), cur.next(), cur.next()]
    b["excitation_energy"] = cur.next_float()
    lines = b["_lines"] = {"excitation_energy": cur.line_number}
    b["source_strength"] = cur.next_float()
    b["source_beam_width"] = [cur.next_float(), cur.next_float()]
    if mode in ("MAP", "MAPDP", "MAPSV", "MAPSVDP", "SEM"):
        b["field_of_view"] = [cur.next_float(), cur.next_float()]
    if mode in ("MAPSV", "MAPSVDP", "SEM"):
        b["linescan"] = [cur.next_float() for _ in range(6)]
    b["source_polar_angle"] = cur.next_float()
    b["source_azimuth"] = cur.next_float()
    b["analyser_mode"] = cur.next()
    b["pass_energy"] = cur.next_float()
    lines["pass_energy"] = cur.line_number
    if b["technique"] == "AES diff":
        b["differential_width"] = cur.next_float()
    b["magnification"] = cur.next_float()
    b["work_function"] = cur.next_float()
    lines["work_function"] = cur.line_number
    b["target_bias"] = cur.next_float()
    b["analysis_width"] = [cur.next_float(), cur.next_float()]
    b["takeoff_polar_angle"] = cur.next_float()
    b["takeoff_azimuth"] = cur.next_float()
    b["species"] = cur.next()
    b["transition"] = cur.next()
    b["detected_charge"] = cur.next_float()
    if h["scan_mode"] == "REGULAR":
        b["abscissa_label"] = cur.next()
        b["abscissa_units"] = cur.next()
        b["abscissa_start"] = cur.next_float()
        lines["abscissa_start"] = cur.line_number
        b["abscissa_increment"] = cur.next_float()
        lines["abscissa_increment"] = cur.line_number
    n_corr = cur.next_int(minimum=1, maximum=len(cur.lines))
    b["corresponding_variables"] = [(cur.next(), cur.next()) for _ in range(n_corr)]
    b["signal_mode"] = cur.next()
    b["collection_time"] = cur.next_float()
    lines["collection_time"] = cur.line_number
    b["n_scans"] = cur.next_float()
    lines["n_scans"] = cur.line_number
    b["signal_time_correction"] = cur.next_float()
    if b["technique"] in _SPUTTER_SOURCE_TECHNIQUES and mode in ("MAPDP", "MAPSVDP", "SDP", "SDPSV"):
        b["sputter_source"] = [cur.next() for _ in range(7)]
    b["sample_tilt"] = [cur.next_float(), cur.next_float()]
    b["sample_rotation"] = cur.next_float()
    n_extra = cur.next_int(maximum=len(cur.lines))
    b["additional_parameters"] = {}
    for _ in range(n_extra):
        label, units, value = cur.next(), cur.next(), cur.next()
        b["additional_parameters"][label] = f"{value} {units}".strip()
    cur.take(h["n_future_block"])
    n_values = cur.next_int(maximum=len(cur.lines))
    if n_values % n_corr:
        raise cur.error(f"{n_values} ordinate values do not divide among {n_corr} corresponding variables")
    cur.take(2 * n_corr)  # min/max of each corresponding variable
    lines["values"] = cur.pos + 1
    values = cur.floats(n_values).reshape(-1, n_corr)
    b["values"] = values
    return b


def _casa_items(comment: str) -> tuple[list[dict], list[dict]]:
    """Parse CasaXPS ``CASA region`` and ``CASA comp`` comment lines."""
    regions, comps = [], []
    if "CASA " not in comment:
        return regions, comps
    for line in comment.splitlines():
        if line.startswith("CASA region"):
            names = _CASA_NAME.findall(line)
            rest = _CASA_NAME.sub(" ", line[len("CASA region"):]).split()
            try:
                regions.append({"name": names[0], "background": names[1], "start": float(rest[0]),
                                "end": float(rest[1]), "rsf": float(rest[2]), "average_width": float(rest[3]),
                                "start_offset": float(rest[4]), "end_offset": float(rest[5])})
            except (IndexError, ValueError):
                regions.append({"raw": line})
        elif line.startswith("CASA comp"):
            names = _CASA_NAME.findall(line)
            tokens = _CASA_NAME.sub(" ", line[len("CASA comp"):]).split()
            comp = {"name": names[0] if names else "", "lineshape": names[1] if len(names) > 1 else ""}
            for key in ("Area", "MFWHM", "Position"):
                if key in tokens:
                    i = tokens.index(key)
                    try:
                        comp[key.lower()] = float(tokens[i + 1])
                        comp[key.lower() + "_bounds"] = [float(tokens[i + 2]), float(tokens[i + 3])]
                    except (IndexError, ValueError):
                        comp[key.lower()] = None
            for key in ("RSF", "MASS", "INDEX"):
                if key in tokens:
                    i = tokens.index(key)
                    try:
                        comp[key.lower()] = float(tokens[i + 1])
                    except (IndexError, ValueError):
                        comp[key.lower()] = None
            comps.append(comp)
    return regions, comps


def _units(b: dict, h: dict) -> str:
    """``counts/s`` where the block says so (variable unit or CasaXPS block name), else ``counts``."""
    label, unit = b["corresponding_variables"][0 if h["scan_mode"] == "REGULAR" else 1]
    said = " ".join((label, unit, b["block_identifier"])).lower()
    if "per second" in said or "c/s" in said or "cps" in said.split():
        return "counts/s"
    return "counts"


def _header_value(b: dict, lines: dict, key: str, check, path: Path) -> float | None:
    """A block number, None when it is ISO 14976's "no value" (1E37), else checked (NaN, infinity or an
    implausible value is refused, naming its line)."""
    value = b[key]
    if np.isfinite(value) and 1e36 <= abs(value) <= 1e38:
        return None
    return check(value, key, path, line=lines[key])


def _to_dataarray(b: dict, h: dict, path: Path):
    values = b.pop("values")
    lines = b.pop("_lines")
    n, n_corr = values.shape
    first = lines["values"]
    value_lines = np.arange(first, first + values.size).reshape(values.shape)
    if n == 0:
        raise FileFormatError(path, "block without data values", line=first)
    if h["scan_mode"] == "REGULAR":
        axis = _checks.regular_axis(b["abscissa_start"], b["abscissa_increment"], n, path, limit=_checks.MAX_ENERGY,
                                    what="abscissa", line=lines["abscissa_start"])
        label = b["abscissa_label"].lower()
        intensity = _checks.finite_values(values[:, 0], path, lines=value_lines[:, 0])
        extra = {name.strip().lower().replace(" ", "_"): values[:, i + 1]
                 for i, (name, _) in enumerate(b["corresponding_variables"][1:])}
    else:
        # IRREGULAR: the first experimental variable holds the abscissa, stored as a corresponding
        # variable; CasaXPS writes the energy as the first corresponding variable.
        label = b["corresponding_variables"][0][0].lower()
        if values.shape[1] < 2:
            raise FileFormatError(path, "IRREGULAR block without an abscissa column", line=first)
        axis = _checks.axis_values(values[:, 0], path, limit=_checks.MAX_ENERGY, what="abscissa",
                                   lines=value_lines[:, 0])
        intensity = _checks.finite_values(values[:, 1], path, lines=value_lines[:, 1])
        extra = {name.strip().lower().replace(" ", "_"): values[:, i + 2]
                 for i, (name, _) in enumerate(b["corresponding_variables"][2:])}
    extra = {k: v for k, v in extra.items() if k not in ("binding_energy", "kinetic_energy")}
    energy_axis = "binding" if "binding" in label else "kinetic"
    technique = _TECHNIQUE_NAMES.get(b["technique"], b["technique"].lower() or "xps")
    units = _units(b, h)
    region = " ".join(p for p in (b["species"], b["transition"]) if p and p.lower() != "none").strip()
    region = region or b["block_identifier"]
    casa_regions, casa_components = _casa_items(b["block_comment"])
    metadata = {k: v for k, v in b.items() if k not in ("acquired",)}
    metadata.update({f"experiment_{k}": v for k, v in h.items() if k in
                     ("institution", "instrument_model", "operator", "experiment", "comment", "experiment_mode",
                      "scan_mode")})
    if casa_regions:
        metadata["casa_regions"] = casa_regions
    if casa_components:
        metadata["casa_components"] = casa_components
    hv = _header_value(b, lines, "excitation_energy", _checks.photon_energy, path)
    wf = _header_value(b, lines, "work_function", _checks.energy, path)
    pe = _header_value(b, lines, "pass_energy", _checks.energy, path)
    return xps_spectrum(axis, intensity, energy_axis=energy_axis, excitation_energy=hv, units=units,
                        technique=technique, extra_coords=extra, metadata=metadata,
                        region=region, sample=b["sample_identifier"], pass_energy=pe,
                        anode=b["source_label"], acquired=b["acquired"], work_function=wf,
                        dwell_time=_header_value(b, lines, "collection_time", _checks.duration, path),
                        n_scans=_header_value(b, lines, "n_scans", _checks.scans, path),
                        block=b["block_identifier"])


def _parse(lines: list[str], path: Path, start: int, *, lenient: bool):
    cur = LineCursor(lines, path, start)
    h = _experiment_header(cur)
    blocks = []
    for _ in range(h["n_blocks"]):
        if lenient and cur.pos < len(lines) and lines[cur.pos].strip().lower().startswith("end of experiment"):
            break
        blocks.append(_block(cur, h, lenient=lenient))
    end = cur.next()
    if not end.lower().startswith("end of experiment"):
        raise cur.error(f"expected 'end of experiment' after {h['n_blocks']} blocks, found {end[:40]!r}")
    if not blocks:
        raise cur.error("the experiment holds no block")
    return h, blocks


def read(path: Path):
    """Read every block of a VAMAS (ISO 14976) file, restoring attributes spectra's writer stored.

    A file that fails the strict read is read again leniently (see the module notes) and a
    :class:`UserWarning` says so.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    list of xarray.DataArray
        One spectrum per block: dim ``binding_energy`` (eV; kinetic blocks converted with
        ``BE = hv - KE`` when the block gives an excitation energy, else ``kinetic_energy``); technique
        from the block (``xps``, ``ups``, ``aes``, ...); units ``counts`` or ``counts/s``; region
        ``"<species> <transition>"`` (or the block identifier); further corresponding variables are
        extra coordinates. A ``spectra-attrs:`` block comment restores saved attrs and coordinates.

    Raises
    ------
    spectra.errors.FileFormatError
        The file does not follow ISO 14976 even when read leniently (the strict read's error is
        raised, naming the line).
    """
    # PHI MultiPak pads some labels with NUL bytes; they carry nothing.
    lines = decode(read_bytes(path).replace(b"\x00", b""), path).splitlines()
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    try:
        h, blocks = _parse(lines, path, start, lenient=False)
    except FileFormatError as strict_error:
        try:
            h, blocks = _parse(lines, path, start, lenient=True)
        except FileFormatError:
            raise strict_error from None
        warnings.warn(f"{path}: not ISO 14976 conformant ({strict_error.reason} at line {strict_error.line}); "
                      f"read leniently: blocks without a sample identifier line get an empty sample name, "
                      f"and {len(blocks)} of the {h['n_blocks']} declared blocks were present", UserWarning,
                      stacklevel=3)
    return [restore(_to_dataarray(b, h, path), b["block_comment"]) for b in blocks]


register(Reader("vamas", "xps", (".vms", ".npl", ".vamas"), sniff, read,
                "VAMAS ISO 14976 (.vms, .npl): REGULAR/IRREGULAR, NORM/MAP, CasaXPS comments"))
