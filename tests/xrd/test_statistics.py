"""Rwp, Rexp, GOF and R_Bragg of XRD results (Young 1993; Toby, Powder Diffr. 21 (2006) 67): their
definitions recomputed here from the result's arrays, their behaviour on a right and a wrong model of
an independent forward pattern (:mod:`tests.xrd.forward`), and where users see them: ``table()``,
``summary()``, the notebook HTML and ``to_dataset()``."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import spectra

from . import forward as fw

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

X = np.round(np.arange(20.0, 80.0 + 1e-9, 0.03), 10)
DATA = fw.noisy(X, fw.background(X) + fw.phase_pattern(X, "Li2S", 150.0, 12.0)
                + fw.phase_pattern(X, "graphite", 2000.0, 60.0, po_r=0.7), 5)
BASE = {"technique": "xrd", "anode": "Cu", "phases": ["Li2S", "graphite"], "instrument": dict(fw.INSTRUMENT)}
ORIENTED = {**BASE, "phase_options": {"graphite": {"refine_cell": False,
                                                   "preferred_orientation": {"hkl": [0, 0, 1]}}}}
RANDOM = {**BASE, "phase_options": {"graphite": {"refine_cell": False}}}


@pytest.fixture(scope="module")
def fits():
    return spectra.fit(DATA, ORIENTED), spectra.fit(DATA, RANDOM)


def test_definitions(fits):
    for result in fits:
        stats = result.statistics()
        w = 1 / result.sigma**2
        n, p = result.y.size, len(result.varying)
        rwp = math.sqrt(np.sum(w * (result.y - result.best_fit) ** 2) / np.sum(w * result.y**2))
        rexp = math.sqrt((n - p) / np.sum(w * result.y**2))
        assert stats["rwp"] == pytest.approx(100 * rwp, rel=1e-12)
        assert stats["rexp"] == pytest.approx(100 * rexp, rel=1e-12)
        assert stats["gof"] == pytest.approx((rwp / rexp) ** 2, rel=1e-12)
        assert stats["gof"] == pytest.approx(result.redchi, rel=1e-6)


def test_right_and_wrong_models(fits):
    """With the orientation modelled the fit is statistically perfect and R_Bragg small; without it the
    GOF and graphite's R_Bragg show the wrong structure intensities (Li2S barely changes)."""
    right, wrong = (f.statistics() for f in fits)
    assert 0.9 < right["gof"] < 1.1 and right["rwp"] / right["rexp"] == pytest.approx(1.0, abs=0.05)
    assert right["r_bragg"]["graphite"] < 2.0 and right["r_bragg"]["Li2S"] < 3.0
    assert wrong["gof"] > 1.5
    assert wrong["r_bragg"]["graphite"] > 3 * right["r_bragg"]["graphite"]
    assert wrong["r_bragg"]["graphite"] > 5.0


def test_users_see_them(fits):
    result = fits[0]
    stats = result.statistics()
    table = result.table()
    assert isinstance(table, pd.DataFrame)
    assert table["quantity"].tolist()[:len(result.problem.names)] == result.problem.names
    rows = table.set_index("quantity")
    assert rows.loc["Rwp", "value"] == pytest.approx(stats["rwp"]) and rows.loc["Rwp", "unit"] == "%"
    assert rows.loc["GOF", "value"] == pytest.approx(stats["gof"])
    assert rows.loc["R_Bragg:graphite", "value"] == pytest.approx(stats["r_bragg"]["graphite"])
    assert (rows.loc[["Rwp", "Rexp", "GOF"], "flag"] == "statistic").all()
    summary = result.summary()
    assert f"Rwp {stats['rwp']:.2f} %" in summary and "R_Bragg Li2S" in summary
    assert "Rwp  " not in summary  # one line of statistics, not table rows with an undetermined σ
    assert "Rwp" in result._repr_html_()
    ds = result.to_dataset()
    assert ds.attrs["rwp"] == pytest.approx(stats["rwp"]) and json.loads(ds.attrs["r_bragg"])["graphite"] > 0
    assert float(ds.rwp[0]) == pytest.approx(stats["rwp"]) and ds.rwp.attrs["units"] == "percent"
    assert ds.r_bragg.dims == ("spectrum", "phase")
    assert float(ds.r_bragg.sel(phase="graphite")[0]) == pytest.approx(stats["r_bragg"]["graphite"])
    # without curves the dataset is the N = 1 slice of fit_many's (statistics in its attributes only)
    many = spectra.fit_many([DATA], ORIENTED, engine="lmfit")
    assert set(result.to_dataset(curves=False).data_vars) == set(many.data_vars)


def test_extracted_intensities_table(fits):
    table = fits[0].extracted_intensities("graphite")
    assert list(table.columns) == ["hkl", "two_theta", "intensity", "sigma", "computed", "intensities"]
    assert (table["sigma"] > 0).all() and table["hkl"].str.startswith("002").any()
    strongest = table.iloc[int(np.argmax(table["intensity"]))]
    assert strongest["hkl"].startswith("002")
    assert strongest["intensity"] == pytest.approx(strongest["computed"], rel=0.02)
