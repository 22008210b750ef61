"""Build small instrument files in memory from their published layouts, for the hostile-input tests.

Each builder writes a file that the reader accepts as it is; a test then changes one field (a size,
a count, a header number) to the hostile value it is about. Nothing here reads the shared data.
"""
from __future__ import annotations

import io
import struct
import zipfile

import numpy as np

# --- Igor binary wave, version 5 (Igor Technical Note TN003) -------------------------------------

#: byte offsets inside a version-5 binary wave
IBW_NOTE_SIZE = 12
IBW_DIM_LABELS_SIZE = 36
IBW_WAVE_HEADER = 64
IBW_NPNTS = IBW_WAVE_HEADER + 12
IBW_NDIM = IBW_WAVE_HEADER + 68
IBW_SFA = IBW_WAVE_HEADER + 84
IBW_SFB = IBW_WAVE_HEADER + 116


def ibw(values, *, start: float = 100.0, step: float = -0.1, note: str = "Excitation Energy=1486.6\r",
        name: bytes = b"wave0") -> bytes:
    """A version-5 little-endian binary wave of float64 ``values`` with x scaling and a note."""
    values = np.asarray(values, dtype="<f8")
    note_bytes = note.encode("latin-1")
    data = values.tobytes()
    wfm_size = 320 + len(data)
    bin_header = struct.pack("<hhiii", 5, 0, wfm_size, 0, len(note_bytes)) + bytes(64 - 16)
    wave = bytearray(320)
    struct.pack_into("<i", wave, 12, values.size)  # npnts
    struct.pack_into("<h", wave, 16, 4)  # NT_FP64
    wave[28:28 + len(name)] = name
    struct.pack_into("<4i", wave, 68, values.size, 0, 0, 0)
    struct.pack_into("<4d", wave, 84, step, 1.0, 1.0, 1.0)
    struct.pack_into("<4d", wave, 116, start, 0.0, 0.0, 0.0)
    return bin_header + bytes(wave) + data + note_bytes


def pxt_record(kind: int, payload: bytes) -> bytes:
    """One packed-experiment record: header (type, version, size) and its data (PTN003)."""
    return struct.pack("<Hhi", kind, 0, len(payload)) + payload


def pxt(*records: bytes) -> bytes:
    return b"".join(records)


FOLDER_START, FOLDER_END, WAVE_RECORD = 9, 10, 3


def folder_start(name: bytes = b"f") -> bytes:
    return pxt_record(FOLDER_START, name.ljust(32, b"\0"))


def folder_end() -> bytes:
    return pxt_record(FOLDER_END, b"")


# --- Bruker RAW v4 and v1 (layouts as documented in spectra.io.bruker_raw) -----------------------

RAW4_RANGE = 61
RAW4_START = RAW4_RANGE + 72
RAW4_STEP = RAW4_RANGE + 80
RAW4_STEPS = RAW4_RANGE + 88
RAW4_DATUM = RAW4_RANGE + 136
RAW4_DATA = RAW4_RANGE + 160


def raw4(counts, *, start: float = 10.0, step: float = 0.02, time: float = 1.5, datum_size: int = 4,
         flags=None) -> bytes:
    """A RAW4.00 file with one range: 61-byte header, a 160-byte range header, then the points
    (4-byte float32 counts, or 8-byte float32 count + uint32 flag)."""
    counts = np.asarray(counts, dtype="<f4")
    header = bytearray(61)
    header[:7] = b"RAW4.00"
    rng = bytearray(160)
    struct.pack_into("<I", rng, 0, 160)
    rng[32:46] = b"Locked Coupled"
    struct.pack_into("<dd", rng, 72, start, step)
    struct.pack_into("<If", rng, 88, counts.size, time)
    struct.pack_into("<d", rng, 112, 1.5406)
    struct.pack_into("<II", rng, 136, datum_size, 0)
    if datum_size == 8:
        records = np.zeros(counts.size, dtype=[("count", "<f4"), ("flag", "<u4")])
        records["count"] = counts
        records["flag"] = np.zeros(counts.size) if flags is None else flags
        data = records.tobytes()
    else:
        data = counts.tobytes()
    return bytes(header) + bytes(rng) + data


def raw1_range(counts, *, start: float = 10.0, step: float = 0.02, following: int = 0) -> bytes:
    """One RAW v1 range: 152-byte header then float32 counts."""
    counts = np.asarray(counts, dtype="<f4")
    rng = bytearray(152)
    struct.pack_into("<IffI", rng, 0, counts.size, 1.0, step, 0)
    struct.pack_into("<4f", rng, 20, start, 0.0, 0.0, 0.0)
    struct.pack_into("<2f", rng, 68, 1.5406, 1.5444)
    struct.pack_into("<I", rng, 148, following)
    return bytes(rng) + counts.tobytes()


# --- PHI MultiPak .spe (layout as documented in spectra.io.phi) -----------------------------------

def phi(regions: list[tuple[str, np.ndarray, float, float]], *, n_spectra: int | None = None,
        source: str = "Al 1486.6 mono") -> bytes:
    """A SPECTRUM file; each region is ``(name, float64 counts, start eV, step eV)``."""
    lines = ["SOFH", "FileType: SPECTRUM", f"XraySource: {source}", f"NoSpectralReg: {len(regions)}"]
    for k, (name, counts, start, step) in enumerate(regions, 1):
        end = start + step * (len(counts) - 1)
        lines.append(f"SpectralRegDef: {k} {k} {name} 6 {len(counts)} {step} {start} {end} {start} {end} 0.1 23.5 none")
    text = ("\n".join(lines) + "\nEOFH\n").encode("latin-1")
    n = len(regions) if n_spectra is None else n_spectra
    headers, data = b"", b""
    offset = 16 + 96 * len(regions)
    for k, (_name, counts, _start, _step) in enumerate(regions):
        ints = [0] * 24
        ints[0], ints[5], ints[6] = k + 1, len(counts), 1
        ints[19], ints[20] = 8 * len(counts), offset + len(data)
        block = bytearray(struct.pack("<24i", *ints))
        block[72:74] = b"f8"
        headers += bytes(block)
        data += np.asarray(counts, dtype="<f8").tobytes()
    return text + struct.pack("<4i", 1, n, 96, 16) + headers + data


# --- XML formats ------------------------------------------------------------------------------------

def xrdml(scans: list[dict], *, measurement_type: str = "Scan") -> bytes:
    """An XRDML 1.5 document; each scan dict has ``counts`` and either ``start``/``end`` or ``positions``,
    and optionally ``attenuation`` and ``omega``."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<xrdMeasurements xmlns="http://www.xrdml.com/XRDMeasurement/1.5" status="Completed">',
             '<sample type="To be analyzed"><id>s1</id><name>test</name></sample>',
             f'<xrdMeasurement measurementType="{measurement_type}" status="Completed">',
             '<usedWavelength intended="K-Alpha 1"><kAlpha1 unit="Angstrom">1.5405980</kAlpha1>'
             '<kAlpha2 unit="Angstrom">1.5444260</kAlpha2><ratioKAlpha2KAlpha1>0.5</ratioKAlpha2KAlpha1>'
             '</usedWavelength>']
    for k, s in enumerate(scans, 1):
        n = len(s["counts"])
        parts.append(f'<scan appendNumber="{k - 1}" mode="Continuous" scanAxis="Gonio" status="Completed">')
        parts.append('<dataPoints><positions axis="2Theta" unit="deg">')
        if "positions" in s:
            parts.append("<listPositions>" + " ".join(map(str, s["positions"])) + "</listPositions>")
        else:
            parts.append(f"<startPosition>{s.get('start', 10.0)}</startPosition>"
                         f"<endPosition>{s.get('end', 10.0 + 0.1 * (n - 1))}</endPosition>")
        parts.append("</positions>")
        if "omega" in s:
            parts.append(f'<positions axis="Omega" unit="deg"><commonPosition>{s["omega"]}</commonPosition>'
                         "</positions>")
        parts.append("<commonCountingTime>1.0</commonCountingTime>")
        if "attenuation" in s:
            factors = " ".join(map(str, s["attenuation"]))
            parts.append(f"<beamAttenuationFactors>{factors}</beamAttenuationFactors>")
        parts.append('<counts unit="counts">' + " ".join(map(str, s["counts"])) + "</counts></dataPoints></scan>")
    parts.append("</xrdMeasurement></xrdMeasurements>")
    return "\n".join(parts).encode()


def specs_xml(*, values_per_curve="5", scan_delta="0.1", kinetic_energy="1000", excitation_energy="1486.6",
              mcd_head="0", counts="1 2 3 4 5") -> bytes:
    """A minimal SpecsLab2 XML document with one region of one swept scan (one detector channel)."""
    return f"""<?xml version="1.0"?>
<!-- CORBA XML document created by XMLSerializer2 1.6 -->
<any version="1.6">
<sequence type_id="IDL:specs.de/Serializer/RegionGroupSeq:1.0" length="1">
<struct type_id="IDL:specs.de/SurfaceAnalysis/RegionGroup:1.0" type_name="RegionGroup">
<string name="name">group</string>
<sequence name="regions" length="1">
<struct type_id="IDL:specs.de/SurfaceAnalysis/RegionData:1.0" type_name="RegionData">
<string name="name">C 1s</string>
<struct type_id="IDL:specs.de/SurfaceAnalysis/RegionDef:1.0" type_name="RegionDef" name="region">
<ulong name="values_per_curve">{values_per_curve}</ulong>
<double name="scan_delta">{scan_delta}</double>
<double name="kinetic_energy">{kinetic_energy}</double>
<double name="pass_energy">20</double>
<double name="excitation_energy">{excitation_energy}</double>
<double name="dwell_time">0.1</double>
</struct>
<ulong name="mcd_head">{mcd_head}</ulong>
<ulong name="mcd_tail">0</ulong>
<sequence name="scans" length="1">
<struct type_id="IDL:specs.de/SurfaceAnalysis/ScanData:1.0" type_name="ScanData">
<sequence name="counts" length="5"><ulong>{counts}</ulong></sequence>
</struct>
</sequence>
</struct>
</sequence>
</struct>
</sequence>
</any>
""".encode()


BRML_RAW_DATA = """<?xml version="1.0" encoding="utf-8"?>
<RawData xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <DataRoutes>
    <DataRoute>
      <ScanInformation ScanName="Coupled TwoTheta/Theta" VisibleName="scan">
        <TimePerStep>1.0</TimePerStep>
        <MeasurementPoints>3</MeasurementPoints>
      </ScanInformation>
      <DataViews>
        <RawDataView xsi:type="VaryingRawDataView" LogicName="scan" Start="0" Length="2">
          <Varying><FieldDefinitions FieldName="TwoTheta" /><FieldDefinitions FieldName="Theta" /></Varying>
        </RawDataView>
        <RawDataView xsi:type="RecordedRawDataView" LogicName="Counter1D" {start}Length="1">
          <Recording Category="Count" />
        </RawDataView>
      </DataViews>
      <Datum>1,1,10.0,5.0,100</Datum>
      <Datum>1,1,10.1,5.05,110</Datum>
      <Datum>1,1,10.2,5.1,120</Datum>
    </DataRoute>
  </DataRoutes>
</RawData>
"""


def brml(*, start_attr: str | None = "4") -> bytes:
    """A BRML zip with one RawData0.xml; ``start_attr=None`` leaves the count view without ``Start``."""
    raw = BRML_RAW_DATA.replace("{start}", "" if start_attr is None else f'Start="{start_attr}" ')
    # the varying view starts at column 2 (columns 0 and 1 are bookkeeping)
    raw = raw.replace('LogicName="scan" Start="0"', 'LogicName="scan" Start="2"')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Experiment0/RawData0.xml", raw)
    return buf.getvalue()


# --- Thermo Avantage workbook ----------------------------------------------------------------------

def thermo_workbook(path, sheets: dict[str, list[tuple[float, float]]]) -> None:
    """An Avantage-style workbook: per sheet the ``Elements=`` line, the energy header, the units row
    and rows of (energy, counts/s)."""
    openpyxl = __import__("openpyxl")
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        ws.append(["Axis", "Energy", "Elements=", len(rows)])
        ws.append(["Binding Energy (E)"])
        ws.append(["eV", None, "Counts / s"])
        for energy, counts in rows:
            ws.append([energy, None, counts])
    wb.save(path)


def rezip(path, replace: dict[str, bytes | None]) -> None:
    """Rewrite a zip with some members replaced (bytes) or removed (None)."""
    with zipfile.ZipFile(path) as src:
        members = [(i, src.read(i)) for i in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in members:
            if info.filename in replace:
                if replace[info.filename] is None:
                    continue
                data = replace[info.filename]
            out.writestr(info.filename, data)
