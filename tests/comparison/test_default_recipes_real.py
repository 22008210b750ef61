"""The shipped default recipes on real instrument files (other instruments and other samples than
the argyrodite's): every region fits to completion or fails with its reason, never raising. The
species differ from the argyrodite's, so χ²ᵣ is reported (docs/comparison.md), not asserted.

Fast: PHI VersaProbe II (S 2p, C 1s; MoS2-like) and the feranick Si 2p lab spectrum. Slow
(SPECTRA_SLOW=1): every file with a region that has a default recipe.
"""
from __future__ import annotations

import math
import os

import pytest

import spectra
from spectra import recipes
from spectra.comparison.fits import fit_all
from spectra.comparison.inputs import classify

FAST = ["xps/lg4x_phi_versaprobe2_multipak.npl", "xps/feranick_casaxps_fit.vms"]
ALL = [*FAST, "xps/xylib_kratos_mjr9_59c.vms", "xps/feranick_omicron_Si111_clean.vms",
       "xps/xylib_specs_P2p_BE_transmission.xy"]


def _fit_files(root, names):
    done, failed = [], []
    for name in names:
        for da in spectra.read(root / name):
            key, _ = classify(da)
            if key not in recipes.names():
                continue
            (f,) = fit_all([da], recipes.default_recipe(key))
            if f.result is None:
                assert f.error  # a failure always says why
                failed.append((name, key, f.error))
                continue
            assert f.result.success and math.isfinite(f.result.redchi)
            done.append((name, key, f.result.redchi))
    return done, failed


def test_default_recipes_fit_real_regions(shared_data):
    done, failed = _fit_files(shared_data, FAST)
    assert len(done) == 3 and not failed, (done, failed)


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("SPECTRA_SLOW") != "1", reason="every real region (~30 s): SPECTRA_SLOW=1")
def test_default_recipes_on_every_real_region(shared_data):
    """Measured: 7 of 8 regions fitted (χ²ᵣ 0.87-15), the second Kratos S 2p block fails in lmfit's
    error estimate (recorded with its reason)."""
    done, failed = _fit_files(shared_data, ALL)
    assert len(done) >= 6, (done, failed)
