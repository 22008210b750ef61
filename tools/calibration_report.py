"""Instrument calibration on the real LaB6 patterns (issue 12): χ²ᵣ and Rwp before and after.

For each LaB6 pattern in ../shared/data/xrd: the fit a new user makes (structure intensities, the
default instrument fixed) and the calibration (Pawley intensities; structure intensities; with
``--le-bail`` also Le Bail), each stage's χ²ᵣ and Rwp, the cell check; then the Si + graphite anode
pattern before (defaults) and after (the calibrated instrument, graphite's a held). Writes the
calibration figure of the first pattern to ``--figure``. Run:
python tools/calibration_report.py [--le-bail] [--figure /tmp/calibration_LaB6.png]
"""
from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
import warnings
from pathlib import Path

import spectra
from spectra.xrd.calibrate import calibrate, rwp

DATA = Path(os.environ.get("SPECTRA_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
LAB6 = ("xrd/gsas2tut_LaB6_Jan2018_v3.raw", "xrd/gsas2tut_NIST660C_LaB6.gsas")
ANODE = "xrd/pyxrd-li-anode_SiGraphite_D002_v2.3.xrdml"


def read(name: str):
    da = spectra.read(DATA / name)[0]
    da.attrs.setdefault("anode", "Cu")
    return da


def line(label: str, result) -> str:
    return f"  {label:<44} χ²ᵣ {result.redchi:9.3f}   Rwp {rwp(result):6.2f} %"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--le-bail", action="store_true", help="also calibrate with Le Bail intensities (slow)")
    parser.add_argument("--figure", default="/tmp/calibration_LaB6.png")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    first = None
    for name in LAB6:
        da = read(name)
        print(name)
        start = time.time()
        cal = calibrate(da, "LaB6")
        window = list(cal.result.spec.window)
        before = spectra.fit(da, {"technique": "xrd", "window": window, "phases": ["LaB6"],
                                  "phase_options": {"LaB6": {"size": {"value": 1e4, "vary": False}}}})
        print(line("before: structure, default instrument", before))
        for stage, fit in cal.stages.items():
            print(f"  after, stage {stage:<31} χ²ᵣ {fit.redchi:9.3f}   Rwp {fit.rwp:6.2f} %")
        print(line(f"after: Pawley calibration ({time.time() - start:.0f} s)", cal.result))
        a, sd = cal.cell.values["LaB6_a"], cal.cell.stderr["LaB6_a"]
        print(f"  cell check (cell, zero, displacement free): a = {a:.5f} ± {sd:.5f} Å, χ²ᵣ {cal.cell.redchi:.3f}")
        start = time.time()
        structure = calibrate(da, "LaB6", intensities="structure")
        print(line(f"after: structure-intensity calibration ({time.time() - start:.0f} s)", structure.result))
        if args.le_bail:
            start = time.time()
            le_bail = calibrate(da, "LaB6", intensities="le_bail")
            print(line(f"after: Le Bail calibration ({time.time() - start:.0f} s)", le_bail.result))
        print(cal.summary())
        first = first or cal
    axes = first.plot()
    axes[0].figure.savefig(args.figure, dpi=120)
    print(f"figure: {args.figure}")
    da = read(ANODE)
    options = {"Si": {"size": {"value": 200, "min": 5, "max": 1e4}, "refine_cell": False},
               "graphite": {"size": {"value": 50, "min": 2, "max": 2000}, "refine_cell": ["c"]}}
    before = spectra.fit(da, {"technique": "xrd", "phases": ["Si", "graphite"]})
    with tempfile.TemporaryDirectory() as folder:
        path = first.instrument.save(Path(folder) / "instrument.toml")
        held = spectra.fit(da, {"technique": "xrd", "phases": ["Si", "graphite"], "phase_options": options,
                                "background": {"kind": "chebyshev", "order": 3}})
        after = spectra.fit(da, {"technique": "xrd", "phases": ["Si", "graphite"], "instrument": str(path),
                                 "phase_options": options, "background": {"kind": "chebyshev", "order": 3}})
    print(ANODE)
    for label, r in (("before: defaults (graphite a free)", before), ("default instrument, graphite a held", held),
                     ("after: calibrated instrument, graphite a held", after)):
        w = r.weight_fractions()["graphite"]
        err = f"{w.s:.4f}" if math.isfinite(w.s) else "undetermined"
        print(line(label, r) + f"   w(graphite) = {w.n:.4f} ± {err}, sizes Si {r.values['Si_size']:.0f} nm, "
              f"graphite {r.values['graphite_size']:.1f} nm")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
