"""Pull statistics of the recovery studies on data spectra did not make, on both engines, for one
checkout of the repository: run it on two checkouts to show that a change (e.g. to the engine's speed)
leaves the accuracy alone.

* XPS: the sloped and charged S 2p, Li 1s and Si 2p spectra of ``tests/xps/test_sloped_and_charged.py``
  (an independent GL(30) forward calculation), 300 per region, pulls of the target component's fraction;
* XRD: the independent forward patterns of ``tests/xrd/test_independent_forward.py``, pulls of the Li2S
  weight fraction and of the specimen displacement.

Run: python tools/pull_statistics.py [REPOSITORY]   (default: this checkout; ~3 minutes on 2 cores)
"""
from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

REPO = str(Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]).resolve())
sys.path.insert(0, REPO)
os.chdir(REPO)
warnings.simplefilter("ignore")

import numpy as np  # noqa: E402 - after the checkout is put first on the path

import spectra  # noqa: E402
from tests.xps.test_sloped_and_charged import _pulls  # noqa: E402
from tests.xrd import test_independent_forward as xf  # noqa: E402

assert spectra.__file__.startswith(REPO), f"spectra imported from {spectra.__file__}, not {REPO}"


def stats(pull: np.ndarray) -> str:
    """Mean, standard deviation and 2σ coverage of pulls."""
    return (f"mean {np.mean(pull):+.3f} sd {np.std(pull, ddof=1):.3f} "
            f"2σ-cover {100 * np.mean(np.abs(pull) < 2):.1f} %")


def main() -> None:
    for region in ("S 2p", "Li 1s", "Si 2p"):
        for engine, n in (("batched", 300), ("lmfit", 300)):
            ds, pull, _ = _pulls(region, engine, n, 300)
            print(f"XPS {region:6s} {engine:8s} n={n}: {stats(pull)}; success {ds.success.values.mean():.3f}",
                  flush=True)
    expected = xf.expected_counts(10.0)
    for engine, n in (("batched", 100), ("lmfit", 30)):
        data = [xf.noisy(expected, seed) for seed in range(100, 100 + n)]
        ds = spectra.fit_many(data, xf.RECIPE, engine=engine)
        w = ds.weight_fraction.sel(phase="Li2S").values
        sw = ds.weight_fraction_stderr.sel(phase="Li2S").values
        d = ds.value.sel(param="displacement").values
        sd = ds.stderr.sel(param="displacement").values
        print(f"XRD Li2S weight fraction {engine:8s} n={n}: {stats((w - xf.true_li2s_weight_fraction()) / sw)}; "
              f"displacement {stats((d - xf.DISPLACEMENT_UM) / sd)}; success {ds.success.values.mean():.3f}",
              flush=True)


if __name__ == "__main__":
    main()
