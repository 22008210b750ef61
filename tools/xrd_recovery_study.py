"""XRD recovery study (issue 4): seeded synthetic patterns of the study's three situations.

Prints, per setting, the Li2S scale 2σ coverage, the fraction of trials with the crystallite size
within 10 % of the truth, and the rate of "significant" Li2S (scale ≥ 3σ). Run:
python tools/xrd_recovery_study.py [--trials 100] [--engine batched]
"""
from __future__ import annotations

import argparse
import time
import warnings

from spectra.studies.xrd_recovery import recovery

SETTINGS = [
    ("lithiated with carbon", 60.0, 3.0, False), ("lithiated with carbon", 60.0, 5.0, False),
    ("lithiated with carbon", 60.0, 10.0, False), ("lithiated with carbon", 60.0, 20.0, False),
    ("pristine", 15.0, 10.0, True), ("lithiated carbon-free", 13.5, 10.0, True),
    ("pristine", 0.0, 10.0, True), ("lithiated carbon-free", 0.0, 10.0, True),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--engine", choices=("lmfit", "batched"), default="lmfit")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    start = time.time()
    for scenario, scale, size, detection in SETTINGS:
        r = recovery(scenario, scale, size, trials=args.trials, seed=5000, detection=detection, engine=args.engine)
        print(("detection  " if detection else "size/scale ") + r.line(), flush=True)
    print(f"{time.time() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
