"""Full XPS recovery study (issue 3): 200 seeded trials per setting, three regions, Li2S/LixSi
fractions 0.05-0.6, peak heights 1e3-1e5 counts. Prints one line per setting and the pass/fail of
the criteria: Li2S (LixSi) fraction within 2σ in >= 93 % of trials, |mean pull| < 0.25 and pull
standard deviation within 0.8-1.2.

Run: python tools/xps_recovery_study.py [--trials 200] [--engine lmfit|batched]
"""
from __future__ import annotations

import argparse
import time
import warnings

from spectra.studies.xps_recovery import recovery

#: (label, recipe, true fractions as a function of f, studied component, simulation centres)
CASES = [
    ("S 2p: PS4 + Li2S",
     {"region": "S 2p", "components": ["PS4", "Li2S"], "background": "active-shirley"},
     lambda f: {"PS4": 1 - f, "Li2S": f}, "Li2S", None),
    ("S 2p: PS4 + Li2S + P2Sx",
     {"region": "S 2p", "components": ["PS4", "Li2S", "P2Sx"], "background": "active-shirley"},
     lambda f: {"PS4": 0.85 * (1 - f), "Li2S": f, "P2Sx": 0.15 * (1 - f)}, "Li2S", None),
    ("Si 2p: Si0 + LixSi + SiO2",
     {"region": "Si 2p", "components": ["Si0", "LixSi", "SiO2"], "background": "active-shirley"},
     lambda f: {"Si0": 0.7 * (1 - f), "LixSi": f, "SiO2": 0.3 * (1 - f)}, "LixSi", None),
    ("Li 1s: Li6PS5Cl + Li2S (shared FWHM)",
     {"region": "Li 1s", "components": ["Li6PS5Cl", "Li2S"], "background": "active-shirley",
      "overrides": {"Li6PS5Cl": {"center": {"value": 56.0, "min": 55.7, "max": 56.3}},
                    "Li2S": {"center": {"value": 55.2, "min": 54.9, "max": 55.5}, "fwhm": {"same_as": "Li6PS5Cl"}}}},
     lambda f: {"Li6PS5Cl": 1 - f, "Li2S": f}, "Li2S", {"Li6PS5Cl": 56.0, "Li2S": 55.2}),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--engine", choices=("lmfit", "batched"), default="lmfit")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    start = time.time()
    failures = 0
    for label, recipe, fractions, component, centers in CASES:
        print(f"== {label}")
        for f in (0.05, 0.3, 0.6):
            for peak in (1e3, 1e4, 1e5):
                s = recovery(recipe, fractions(f), component, peak_counts=peak, trials=args.trials, seed=1000,
                             centers=centers, engine=args.engine)
                ok = s.coverage_2sigma >= 0.93 and abs(s.mean_pull) < 0.25 and 0.8 <= s.pull_std <= 1.2
                failures += not ok
                print(f"{s.line()}  {'ok' if ok else 'FAIL'}", flush=True)
    print(f"\n{failures} setting(s) outside the criteria; {time.time() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
