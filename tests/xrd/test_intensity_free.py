"""Intensity-free (Pawley and Le Bail) phases on patterns of an independent forward calculation
(:mod:`tests.xrd.forward`): the extracted integrated Kα1 intensities against the forward's own line
intensities, which engines fit which mode, and the recipe rules.

Tolerances: each of the strong reflections (≥ 5 % of the strongest) within 3σ (Pawley) and 3 %
(Pawley and Le Bail) of its true integrated intensity.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import spectra
from spectra.errors import FitError, RecipeError
from spectra.recipe import load_recipe
from spectra.xrd.problem import XRDProblem

from . import forward as fw

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

X = np.round(np.arange(20.0, 80.0 + 1e-9, 0.02), 10)


def data(seed=1):
    """Si and Li2S with their structure intensities; the true Si line intensities by hkl."""
    areas = {}
    expected = (fw.background(X) + fw.phase_pattern(X, "Si", 60.0, 150.0, areas=areas)
                + fw.phase_pattern(X, "Li2S", 150.0, 12.0))
    return fw.noisy(X, expected, seed), areas


def recipe(mode):
    return {"technique": "xrd", "anode": "Cu", "window": [20.0, 80.0], "phases": ["Si", "Li2S"],
            "instrument": dict(fw.INSTRUMENT), "phase_options": {"Si": {"intensities": mode}}}


def strong(truth):
    top = max(truth.values())
    return {h: v for h, v in truth.items() if v > 0.05 * top}


def compare(table, truth, *, sigmas=True):
    rows = {h.split()[0]: r for h, r in zip(table["hkl"], table.itertuples())}
    for hkl, true in strong(truth).items():
        row = rows[hkl]
        assert abs(row.intensity / true - 1) < 0.03, f"{hkl}: {row.intensity:.4g} for a true {true:.4g}"
        if sigmas:
            assert abs(row.intensity - true) < 3 * row.sigma, f"{hkl}: {row.intensity:.4g} ± {row.sigma:.2g}, {true}"


def test_pawley_intensities_are_recovered_by_both_engines():
    da, truth = data()
    result = spectra.fit(da, recipe("pawley"))
    assert result.success and 0.9 < result.redchi < 1.1, (result.message, result.redchi)
    table = result.extracted_intensities("Si")
    compare(table, truth)
    # the structure's intensities explain the extracted ones: a small R_Bragg
    assert result.statistics()["r_bragg"]["Si"] < 3.0
    ds = spectra.fit_many([da], recipe("pawley"))
    assert bool(ds.success[0]), ds.message.values
    for name in (n for n in result.problem.names if n.startswith("Si_I_")):
        batched, single, sd = float(ds.value.sel(param=name)[0]), result.values[name], result.stderr[name]
        assert abs(batched - single) < 0.1 * sd, (name, batched, single, sd)
    # no scale, no weight fraction
    assert "Si_scale" not in result.values
    assert all(math.isnan(w.n) for w in result.weight_fractions().values())
    assert np.isnan(ds.weight_fraction.values).all()
    assert any("Pawley" in c for c in result.caveats())


def test_le_bail_intensities_are_recovered_by_the_lmfit_engine():
    da, truth = data(seed=2)
    result = spectra.fit(da, recipe("le_bail"))
    assert result.success and 0.9 < result.redchi < 1.1, (result.message, result.redchi)
    assert 1 < result.model.le_bail_cycles <= XRDProblem.LE_BAIL_CYCLES + 3
    compare(result.extracted_intensities("Si"), truth, sigmas=False)
    assert result.statistics()["r_bragg"]["Si"] < 3.0
    # Li2S keeps its structure intensities and size
    assert abs(result.values["Li2S_size"] / 12.0 - 1) < 0.1
    many = spectra.fit_many([da], recipe("le_bail"), engine="lmfit")
    assert bool(many.success[0]), many.message.values
    assert float(many.value.sel(param="Li2S_size")[0]) == pytest.approx(result.values["Li2S_size"], rel=1e-6)


def test_le_bail_is_refused_by_the_batched_engine_with_the_reason():
    da, _ = data()
    with pytest.raises(FitError, match="Le Bail"):
        spectra.fit_many([da], recipe("le_bail"), engine="batched")


def test_extracted_intensities_reveal_a_wrong_structure_model():
    """Data whose Si lines do not follow the structure (the 220 line halved): a structure fit's
    R_Bragg and a Pawley fit's R_Bragg (extracted against the structure) both grow, and the Pawley
    fit still matches the data."""
    areas = {}
    base = fw.phase_pattern(X, "Si", 60.0, 150.0, areas=areas)
    ratio = 0.5
    mask = (X > 45.5) & (X < 49.5)  # Si 220 at 47.3° (Kα1 and Kα2); no other Si line there
    weak_220 = np.where(mask, base * ratio, base)
    da = fw.noisy(X, fw.background(X) + weak_220 + fw.phase_pattern(X, "Li2S", 150.0, 12.0), 3)
    pawley = spectra.fit(da, recipe("pawley"))
    structure = spectra.fit(da, recipe("structure"))
    assert pawley.redchi < 1.1 < structure.redchi
    assert pawley.statistics()["r_bragg"]["Si"] > 10.0
    assert structure.statistics()["r_bragg"]["Si"] > 5.0
    rows = {h.split()[0]: r for h, r in zip(*[pawley.extracted_intensities("Si")[k] for k in ("hkl", "intensity")])}
    assert rows["220"] / areas["220"] == pytest.approx(ratio, abs=0.03)


@pytest.mark.parametrize(("options", "words"), [
    ({"intensities": "free"}, "must be one of"),
    ({"intensities": "pawley", "scale": 3.0}, "has no scale"),
    ({"intensities": "le_bail", "preferred_orientation": {"hkl": [1, 1, 1]}}, "fits its intensities freely"),
])
def test_recipe_rules(options, words):
    bad = {**recipe("structure"), "phase_options": {"Si": options}}
    with pytest.raises(RecipeError) as info:
        XRDProblem(load_recipe(bad))
    assert words in str(info.value)


def test_pawley_needs_a_window():
    bad = {**recipe("pawley")}
    bad.pop("window")
    with pytest.raises(RecipeError, match="needs a window"):
        XRDProblem(load_recipe(bad))
