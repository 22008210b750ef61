"""Hostile input: no memory blow-up, no hang, every failure located, content over extension.

Every case is built here, in a temporary folder, from the published layouts (``_builders``); the
special paths (device links, a FIFO, a socket, a link loop) are read in one child process with a
timeout and a memory cap, since a regression there would hang or exhaust the test process. Bounds
(time, Python-side memory via ``tracemalloc``) are asserted where they are the point.
"""
from __future__ import annotations

import io
import json
import os
import re
import socket
import struct
import subprocess
import sys
import textwrap
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

import spectra
from spectra.errors import FileFormatError, SpectraError
from spectra.io import _registry, _zip

from . import _builders as B


def _read_bounded(path, *, seconds: float = 1.0, megabytes: float = 20.0):
    """Read ``path`` expecting a FileFormatError; return it after checking time and Python memory."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(FileFormatError) as info:
            spectra.read(path)
    finally:
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert elapsed < seconds, f"took {elapsed:.2f} s"
    assert peak < megabytes * 2**20, f"peak Python allocation {peak / 2**20:.1f} MiB"
    assert not info.value.unanticipated, info.value
    return info.value


# --- 1. Igor size fields are checked against the file before igor2 sees them --------------------

@pytest.mark.parametrize("field,offset", [("noteSize", B.IBW_NOTE_SIZE), ("dimLabelsSize[0]", B.IBW_DIM_LABELS_SIZE)])
def test_igor_size_field_beyond_the_file_is_refused_at_once(tmp_path, field, offset):
    data = bytearray(B.ibw(np.arange(450.0)))
    assert len(data) < 4100
    data[offset:offset + 4] = struct.pack("<i", 2**31 - 1)
    path = tmp_path / "claims_2GB.ibw"
    path.write_bytes(bytes(data))
    error = _read_bounded(path, seconds=0.5, megabytes=5)
    assert error.offset == offset
    assert f"{field} = 2147483647" in str(error) and f"byte {offset}" in str(error)


def test_igor_negative_size_and_inconsistent_point_count_are_located(tmp_path):
    data = bytearray(B.ibw(np.arange(10.0)))
    data[B.IBW_NOTE_SIZE:B.IBW_NOTE_SIZE + 4] = struct.pack("<i", -5)
    (tmp_path / "neg.ibw").write_bytes(bytes(data))
    assert _read_bounded(tmp_path / "neg.ibw").offset == B.IBW_NOTE_SIZE
    data = bytearray(B.ibw(np.arange(10.0)))
    data[B.IBW_NPNTS:B.IBW_NPNTS + 4] = struct.pack("<i", 10**8)
    (tmp_path / "npnts.ibw").write_bytes(bytes(data))
    error = _read_bounded(tmp_path / "npnts.ibw")
    assert error.offset == B.IBW_NPNTS and "points" in str(error)


def test_packed_experiment_nested_folders_are_refused_not_recursed(tmp_path):
    deep = B.pxt(*[B.folder_start() for _ in range(5000)], B.pxt_record(B.WAVE_RECORD, B.ibw(np.arange(4.0))))
    path = tmp_path / "deep.pxt"
    path.write_bytes(deep)
    error = _read_bounded(path)
    assert "nested more than 100 deep" in str(error) and error.offset == 100 * 40


def test_packed_experiment_waves_in_folders_are_read(tmp_path):
    wave = B.ibw(np.arange(4.0) + 1, name=b"inner")
    path = tmp_path / "ok.pxt"
    path.write_bytes(B.pxt(B.folder_start(), B.folder_start(), B.pxt_record(B.WAVE_RECORD, wave), B.folder_end(),
                           B.folder_end(), B.pxt_record(B.WAVE_RECORD, B.ibw([5.0, 6.0], name=b"outer"))))
    got = spectra.read(path)
    assert [da.attrs["region"] for da in got] == ["inner", "outer"]
    np.testing.assert_array_equal(got[0].values, [1, 2, 3, 4])


def test_packed_record_size_beyond_the_file_is_located(tmp_path):
    record = bytearray(B.pxt_record(B.WAVE_RECORD, B.ibw(np.arange(4.0))))
    record[4:8] = struct.pack("<i", 2**31 - 1)
    path = tmp_path / "big_record.pxt"
    path.write_bytes(bytes(record))
    error = _read_bounded(path, seconds=0.5, megabytes=5)
    assert error.offset == 4 and "2147483647 data bytes" in str(error)


# --- 1. Special paths: refused before reading (child process: a regression would hang) ---------

SPECIAL_CHILD = textwrap.dedent("""
    import json, resource, sys, time
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    import spectra
    spectra.read(sys.argv[1])  # warm-up: every lazy import happens before the high-water mark is taken
    out = {"baseline_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
    for path in sys.argv[2:]:
        start = time.perf_counter()
        try:
            spectra.read(path)
            out[path] = ["read", None, None, time.perf_counter() - start]
        except Exception as exc:
            out[path] = [type(exc).__name__, str(exc), getattr(exc, "offset", None), time.perf_counter() - start]
    out["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(out))
""")


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not os.path.exists("/dev/zero"), reason="needs POSIX special files")
def test_special_paths_are_refused_without_reading(tmp_path):
    cases = {}
    for name, target in (("zero.vms", "/dev/zero"), ("urandom.xy", "/dev/urandom"), ("zero.raw", "/dev/zero")):
        (tmp_path / name).symlink_to(target)
        cases[name] = "character device"
    os.mkfifo(tmp_path / "pipe.xy")
    cases["pipe.xy"] = "FIFO"
    (tmp_path / "folder.vms").mkdir()
    cases["folder.vms"] = "directory"
    (tmp_path / "loop.vms").symlink_to(tmp_path / "loop2.vms")
    (tmp_path / "loop2.vms").symlink_to(tmp_path / "loop.vms")
    cases["loop.vms"] = "symbolic-link loop"
    sock = socket.socket(socket.AF_UNIX)
    sock_path = tmp_path / "s.vms"
    try:
        sock.bind(os.fspath(sock_path))
        cases["s.vms"] = "socket"
    except OSError:  # pragma: no cover - path too long for AF_UNIX
        pass
    try:
        warm = tmp_path / "warm.xy"
        warm.write_text("10 1\n11 2\n12 3\n", encoding="utf-8")
        proc = subprocess.run([sys.executable, "-c", SPECIAL_CHILD, os.fspath(warm),
                               *(os.fspath(tmp_path / n) for n in cases)], capture_output=True, text=True, timeout=60)
    finally:
        sock.close()
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(proc.stdout)
    for name, kind in cases.items():
        cls, message, offset, elapsed = results[os.fspath(tmp_path / name)]
        assert cls == "FileFormatError" and kind in message and offset == 0, (name, cls, message)
        assert elapsed < 5.0, (name, elapsed)  # refused before reading; a read of /dev/zero would take far longer
    assert results["maxrss_kb"] - results["baseline_kb"] < 64 * 1024  # nothing was read into memory


def test_a_fifo_is_refused_also_when_the_format_is_given(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    os.mkfifo(tmp_path / "pipe.xy")
    child = ("import spectra, sys\ntry:\n    spectra.read(sys.argv[1], format='columns')\n"
             "except Exception as e:\n    print(type(e).__name__, e)")
    proc = subprocess.run([sys.executable, "-c", child, os.fspath(tmp_path / "pipe.xy")], capture_output=True,
                          text=True, timeout=30)
    assert proc.stdout.startswith("FileFormatError") and "FIFO" in proc.stdout, proc.stdout + proc.stderr


def test_file_size_limit_is_checked_before_reading(tmp_path):
    path = tmp_path / "big.xy"
    path.write_text("".join(f"{i} 2\n" for i in range(1000)))
    previous = _registry.set_max_file_size(1000)
    try:
        with pytest.raises(FileFormatError, match="more than the 1000-byte limit"):
            spectra.read(path)
    finally:
        _registry.set_max_file_size(previous)
    assert len(spectra.read(path)[0]) == 1000
    with pytest.raises(ValueError):
        _registry.set_max_file_size(0)


# --- 1. Thermo .xlsx: declared dimensions are not padded ------------------------------------------

def test_xlsx_absurd_dimension_is_not_padded(tmp_path):
    pytest.importorskip("openpyxl")
    path = tmp_path / "dim.xlsx"
    rows = [(290.0 - 0.1 * i, float(i + 1)) for i in range(2000)]
    B.thermo_workbook(path, {"C1s Scan": rows})
    normal = spectra.read(path)
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    hostile = re.sub(rb'<dimension ref="[^"]*" */>', b'<dimension ref="A1:XFD1048576"/>', sheet)
    assert hostile != sheet
    B.rezip(path, {"xl/worksheets/sheet1.xml": hostile})
    tracemalloc.start()
    start = time.perf_counter()
    got = spectra.read(path)
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 2.0 and peak < 100 * 2**20, (elapsed, peak / 2**20)  # was 10 s and 1.1 GB
    assert got[0].identical(normal[0])


def test_xlsx_cell_far_beyond_the_data_is_refused(tmp_path):
    pytest.importorskip("openpyxl")
    path = tmp_path / "far.xlsx"
    B.thermo_workbook(path, {"C1s Scan": [(290.0, 1.0), (289.9, 2.0)]})
    with zipfile.ZipFile(path) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    far = sheet.replace(b"</sheetData>", b'<row r="7"><c r="XFD7"><v>1</v></c></row></sheetData>')
    B.rezip(path, {"xl/worksheets/sheet1.xml": far})
    error = _read_bounded(path, seconds=2.0, megabytes=60)
    assert "column 16384" in str(error) and "C1s Scan" in str(error) and error.line == 7


# --- 2. Zip limits -----------------------------------------------------------------------------------

def _brml_member(size: int = 1 << 20) -> bytes:
    """A valid RawData document of exactly ``size`` bytes whose Datum lines repeat every 200 lines
    (deflate packs it about 110:1, the ratio of the 950 KB, 100 x 1 MiB case)."""
    raw = B.BRML_RAW_DATA.replace("{start}", 'Start="4" ').replace('LogicName="scan" Start="0"',
                                                                   'LogicName="scan" Start="2"')
    head, tail = raw.split("      <Datum>1,1,10.0,5.0,100</Datum>\n", 1)
    tail = "    </DataRoute>" + tail.split("    </DataRoute>", 1)[1]
    rng = np.random.default_rng(1)
    block = "".join(f"      <Datum>1,1,{10 + 0.001 * i:.3f},{5 + 0.0005 * i:.4f},{rng.integers(0, 99999)}</Datum>\n"
                    for i in range(200))
    body = (head + block * (size // len(block) + 1))[:size - len(tail)]
    text = (body[:body.rfind("</Datum>\n") + 9] + tail).encode()
    return text + b" " * (size - len(text))


def test_brml_of_100_members_of_1_mib_is_refused_at_once(tmp_path):
    member = _brml_member()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for i in range(100):
            archive.writestr(f"Experiment0/RawData{i}.xml", member)
    assert 900_000 < len(buf.getvalue()) < 1_000_000
    path = tmp_path / "hundred.brml"
    path.write_bytes(buf.getvalue())
    error = _read_bounded(path, seconds=0.3, megabytes=5)  # was 13.7 s, reading 100 MiB of XML
    assert "compression ratio above 100" in str(error) and "RawData0.xml" in str(error)
    assert error.offset == 0  # the first member's local header


def test_rasx_with_20000_members_is_refused_at_once(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(20_000):
            archive.writestr(f"Data0/Profile{i}.txt", f"{10 + i * 0.01:.2f} {i} 1\n{10.005 + i * 0.01:.3f} {i} 1\n")
    path = tmp_path / "many.rasx"
    path.write_bytes(buf.getvalue())
    error = _read_bounded(path, seconds=0.3, megabytes=5)  # was 13.7 s, reading 20,000 profiles
    assert "declares 20000 members (limit 4096)" in str(error)
    assert error.offset == len(buf.getvalue()) - 22  # the end-of-central-directory record


def test_small_members_with_a_huge_ratio_are_refused(tmp_path):
    path = tmp_path / "tiny.rasx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Data0/Profile0.txt", "10 1 1\n11 2 1\n")
        archive.writestr("Data0/padding.txt", b"\0" * 200_000)  # far below the old 1 MiB threshold
    error = _read_bounded(path)
    assert "padding.txt" in str(error) and "compression ratio" in str(error) and error.offset is not None


def test_total_inflated_size_is_capped(tmp_path, monkeypatch):
    monkeypatch.setattr(_zip, "MAX_TOTAL", 50)
    path = tmp_path / "total.rasx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("Data0/Profile0.txt", "10 1 1\n11 2 1\n" * 3)
        archive.writestr("Data0/Profile1.txt", "10 1 1\n11 2 1\n" * 3)
    error = _read_bounded(path)
    assert "more than 50 bytes" in str(error) and "Profile1.txt" in str(error)


def _encrypt_flag(data: bytes, name: bytes) -> bytes:
    """Set the 'encrypted' flag bit of member ``name`` in its local and central headers."""
    out = bytearray(data)
    for signature, flag_at, name_len_at, name_at in ((b"PK\x03\x04", 6, 26, 30), (b"PK\x01\x02", 8, 28, 46)):
        at = out.find(signature)
        while at >= 0:
            length = struct.unpack_from("<H", out, at + name_len_at)[0]
            if bytes(out[at + name_at:at + name_at + length]) == name:
                out[at + flag_at] |= 0x1
            at = out.find(signature, at + 4)
    return bytes(out)


def test_encrypted_member_is_a_located_format_error(tmp_path):
    path = tmp_path / "locked.brml"
    path.write_bytes(_encrypt_flag(B.brml(), b"Experiment0/RawData0.xml"))
    error = _read_bounded(path)
    assert "RawData0.xml' is encrypted" in str(error) and error.offset == 0


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to count open files")
def test_safezip_closes_the_file_when_a_check_fails(tmp_path, monkeypatch):
    monkeypatch.setattr(_zip, "MAX_RATIO", 1)
    path = tmp_path / "a.brml"
    path.write_bytes(B.brml())
    before = _open_descriptors()
    for _ in range(20):
        with pytest.raises(FileFormatError, match="compression ratio"):
            _zip.SafeZip(path)
    (tmp_path / "junk.brml").write_bytes(b"PK\x03\x04" + b"\0" * 100)
    for _ in range(20):
        with pytest.raises(FileFormatError, match="not a readable zip"):
            _zip.SafeZip(tmp_path / "junk.brml")
    assert _open_descriptors() == before


# --- 4. Errors that used to escape, or carried no location --------------------------------------

def test_specs_xml_huge_or_negative_counts_are_located(tmp_path):
    for value, message in (("-5", "values_per_curve = -5.0"), ("80000000000", "values_per_curve = 80000000000.0"),
                           ("2.5", "values_per_curve = 2.5")):
        path = tmp_path / "r.xml"
        path.write_bytes(B.specs_xml(values_per_curve=value))
        error = _read_bounded(path)
        assert message in str(error) and error.line == 11 and "values_per_curve" in str(error)
    path.write_bytes(B.specs_xml(mcd_head="99999999999"))
    assert _read_bounded(path).line == 18


def test_rigaku_non_numeric_data_count_is_located(tmp_path):
    path = tmp_path / "a.ras"
    path.write_text("*RAS_DATA_START\n*RAS_HEADER_START\n*MEAS_DATA_COUNT \"many\"\n*RAS_HEADER_END\n"
                    "*RAS_INT_START\n10 1 1\n11 2 1\n*RAS_INT_END\n*RAS_DATA_END\n")
    error = _read_bounded(path)
    assert "MEAS_DATA_COUNT" in str(error) and error.line == 3


def test_xml_unknown_encoding_is_located(tmp_path):
    path = tmp_path / "a.xrdml"
    path.write_bytes(B.xrdml([{"counts": [1, 2, 3]}]).replace(b'encoding="UTF-8"', b'encoding="klingon-8"'))
    error = _read_bounded(path)
    assert "cannot be decoded" in str(error) and error.line == 1


def test_xml_semantic_errors_name_the_element_and_line(tmp_path):
    path = tmp_path / "a.xrdml"
    path.write_bytes(B.xrdml([{"counts": [1, 2, 3]}, {"counts": [1, "x", 3]}]))
    error = _read_bounded(path)
    assert "non-numeric value in <counts>" in str(error)
    assert "xrdMeasurements/xrdMeasurement/scan[2]/dataPoints/counts" in str(error) and error.line == 17


def test_zip_member_errors_name_the_member(tmp_path):
    path = tmp_path / "a.brml"
    path.write_bytes(B.brml(start_attr=None))
    error = _read_bounded(path)
    assert "without a column number" in str(error) and "in Experiment0/RawData0.xml" in str(error)
    assert error.line == 13


def test_uxd_and_pdcif_bad_numbers_are_located(tmp_path):
    path = tmp_path / "a.uxd"
    path.write_text("_FILEVERSION=2\n_DRIVE='COUPLED'\n_START=abc\n_STEPSIZE=0.1\n_COUNTS\n1\n2\n")
    error = _read_bounded(path)
    assert "_START/_STEPSIZE" in str(error) and error.line == 5
    path = tmp_path / "a.cif"
    path.write_text("data_x\n_pd_meas_2theta_range_min 10\n_pd_meas_2theta_range_inc 0.1\nloop_\n"
                    "_pd_meas_counts_total\n1\n2(\n3\n")
    error = _read_bounded(path)
    assert "non-numeric" in str(error) and error.line == 7


# --- 6. Content decides before extension ----------------------------------------------------------

@pytest.mark.parametrize("suffix", [".ibw", ".pxt", ".dset"])
def test_vamas_content_under_a_foreign_extension_is_read_as_vamas(tmp_path, suffix):
    from spectra.dataarray import xps_spectrum
    from spectra.io.write import write_vamas

    da = xps_spectrum(np.linspace(290.0, 280.0, 11), np.arange(11.0), energy_axis="binding", region="C 1s")
    source = write_vamas(da, tmp_path / "a.vms")
    path = tmp_path / f"really_vamas{suffix}"
    path.write_bytes(source.read_bytes())
    got = spectra.read(path)
    assert got[0].attrs["format"] == "vamas"
    np.testing.assert_array_equal(got[0].values, da.values)


def test_xrdml_content_named_dset_is_read_as_xrdml(tmp_path):
    path = tmp_path / "export.dset"
    path.write_bytes(B.xrdml([{"counts": [1, 2, 3]}]))
    assert spectra.read(path)[0].attrs["format"] == "xrdml"


def test_real_igor_and_dset_still_go_to_their_readers(tmp_path):
    (tmp_path / "w.ibw").write_bytes(B.ibw([1.0, 2.0]))
    assert spectra.read(tmp_path / "w.ibw")[0].attrs["format"] == "igor"
    (tmp_path / "k.dset").write_bytes(b"\x00\x01binary object store" + bytes(100))
    with pytest.raises(FileFormatError, match="Kratos Vision"):
        spectra.read(tmp_path / "k.dset")


def test_errors_stay_spectra_errors():
    assert issubclass(FileFormatError, SpectraError)
