"""Read time of spectra's readers next to peer readers, measured in the same run on the same files.

Peers (each optional; a missing one is reported, not faked): ``vamas`` (VAMAS), ``fairmat-readers-xrd``
(XRDML, BRML, RASX, Bruker RAW v4) and ``yadg`` (PANalytical XRDML/xy/csv, PHI .spe).
Install them with ``pip install -e '.[bench]'``. Run: ``python benchmarks/bench_readers.py``.

Each time is the median of repeated reads after a warm-up; the ratio is peer time / spectra time
(above 1: spectra is faster).
"""
from __future__ import annotations

import argparse
import importlib
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

from _timing import median_time

import spectra

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"




def _vamas(path: Path):
    vamas = importlib.import_module("vamas")
    tmp = Path(tempfile.mkdtemp()) / "copy.vms"  # the peer insists on .vms
    shutil.copy(path, tmp)
    return lambda: vamas.Vamas(str(tmp))


def _fairmat(function: str):
    module = importlib.import_module("fairmat_readers_xrd")
    return lambda path: (lambda: getattr(module, function)(str(path)))


def _yadg(filetype: str):
    extractors = importlib.import_module("yadg.extractors")
    return lambda path: (lambda: extractors.extract(filetype, path))


CASES = [
    ("VAMAS survey", "xps/pynxtools-xps_regular.vms", "vamas", _vamas),
    ("VAMAS 9 blocks (Kratos)", "xps/xylib_kratos_mjr9_59c.vms", "vamas", _vamas),
    ("VAMAS 10 blocks (SpecsLab2)", "xps/importtool_specslab2_ZnO_xps_ups.vms", "vamas", _vamas),
    ("XRDML 1.6", "xrd/yadg_210520step1_30min_v1.6.xrdml", "fairmat-readers-xrd",
     lambda: _fairmat("read_panalytical_xrdml")),
    ("XRDML 1.6", "xrd/yadg_210520step1_30min_v1.6.xrdml", "yadg", lambda: _yadg("panalytical.xrdml")),
    ("XRDML area 2.1", "xrd/readers-xrd_m82762_area_RSM_v2.1.xrdml", "fairmat-readers-xrd",
     lambda: _fairmat("read_panalytical_xrdml")),
    ("BRML", "xrd/readers-xrd_23-012-AG_2thomega.brml", "fairmat-readers-xrd", lambda: _fairmat("read_bruker_brml")),
    ("RASX", "xrd/readers-xrd_rigaku_ZnO-ALD.rasx", "fairmat-readers-xrd", lambda: _fairmat("read_rigaku_rasx")),
    ("Bruker RAW v4", "xrd/xrdpattern_bruker_V5Converter_JW5+Li_v4.raw", "fairmat-readers-xrd",
     lambda: _fairmat("read_bruker_raw")),
    ("PANalytical xy", "xrd/yadg_210520step1_30min.xy", "yadg", lambda: _yadg("panalytical.xy")),
    ("PANalytical csv", "xrd/yadg_210520step1_30min.csv", "yadg", lambda: _yadg("panalytical.csv")),
    ("PHI .spe", "xps/yadg_phi_test0.spe", "yadg", lambda: _yadg("phi.spe")),
]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)
    if not DATA.is_dir():
        print(f"shared data not found at {DATA}", file=sys.stderr)
        return 2
    print(f"{'format':<28} {'peer':<20} {'spectra ms':>10} {'peer ms':>9} {'peer/spectra':>12}")
    worst = None
    for label, name, peer, factory in CASES:
        path = DATA / name
        ours = median_time(lambda path=path: spectra.read(path), args.repeats)
        try:
            make = factory() if peer != "vamas" else factory
            call = make(path)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                theirs = median_time(call, args.repeats)
        except ImportError:
            print(f"{label:<28} {peer:<20} {ours * 1e3:10.2f} {'not installed':>9}")
            continue
        ratio = theirs / ours
        worst = ratio if worst is None else min(worst, ratio)
        print(f"{label:<28} {peer:<20} {ours * 1e3:10.2f} {theirs * 1e3:9.2f} {ratio:12.1f}")
    if worst is not None:
        print(f"\nslowest case relative to a peer: spectra is {worst:.1f}x the peer's speed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
