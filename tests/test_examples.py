"""The shipped examples: each is made with exactly the model its documented recipe names, so that
recipe fits it to χ²ᵣ ≈ 1 without flags and recovers the truth stored in the file; the README shows
the same recipes; the generator is seeded and reproducible."""
from __future__ import annotations

import ast
import importlib.util
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import spectra
from spectra import examples

ROOT = Path(__file__).resolve().parents[1]
#: χ²ᵣ of a fit by the model that made the data: 1 ± a few √(2/ν) (ν ≈ 330 and ≈ 3000 here)
REDCHI = (0.85, 1.2)
#: the README section that documents each example's recipe (its ``recipe = {...}`` block)
README_SECTION = {"S2p_carbon_anode.vms": "## Fitting XPS regions", "Li2S_argyrodite_xrd.xy": "## Fitting XRD patterns"}


def _readme_recipe(section: str) -> dict:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(section)
    end = text.find("\n## ", start + len(section))
    block = text[start:end if end > 0 else None]
    match = re.search(r"^recipe = \{.*?^\}", block, re.M | re.S)
    assert match, f"README section {section!r} has no `recipe = {{...}}` block"
    return ast.literal_eval(match.group(0).split("=", 1)[1].strip())


def _fit(name):
    da = spectra.load(examples.path(name))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = spectra.fit(da, examples.RECIPES[name])
    return da, result, json.loads(da.attrs["metadata"])["truth"]


def _within(value, truth, sigma, k=3.0):
    return np.isfinite(sigma) and sigma > 0 and abs(value - truth) <= k * sigma


def test_every_example_has_its_documented_recipe():
    assert set(examples.RECIPES) == set(examples.NAMES)
    for name in examples.NAMES:
        assert examples.path(name).is_file()
        truth = json.loads(spectra.load(examples.path(name)).attrs["metadata"])["truth"]
        assert truth["recipe"] == examples.RECIPES[name], f"{name} was made for another recipe: regenerate it"


@pytest.mark.parametrize("name", list(README_SECTION))
def test_readme_shows_the_example_recipes(name):
    assert _readme_recipe(README_SECTION[name]) == examples.RECIPES[name]


@pytest.mark.parametrize("name", examples.NAMES)
def test_documented_recipe_fits_its_example(name):
    _, result, _ = _fit(name)
    assert result.success and result.ok, result.flags
    assert result.flags == "" and result.at_bound == {}
    assert REDCHI[0] <= result.redchi <= REDCHI[1], result.redchi


def test_s2p_example_truth_recovered():
    _, result, truth = _fit("S2p_carbon_anode.vms")
    assert truth["lineshape"] == examples.RECIPES["S2p_carbon_anode.vms"]["lineshape"] == "GL(30)"
    areas, fractions = result.areas(), result.fractions()
    for name, t in truth["components"].items():
        assert _within(areas[name].n, t["area_counts_eV"], areas[name].s), name
        assert _within(fractions[name].n, t["fraction"], fractions[name].s), name
        assert _within(result.values[f"{name}_center"], t["center_2p3/2_eV"], result.stderr[f"{name}_center"]), name
        assert _within(result.values[f"{name}_fwhm"], t["fwhm_eV"], result.stderr[f"{name}_fwhm"]), name
    assert _within(result.values["bg_k"], truth["background"]["k"], result.stderr["bg_k"])
    assert _within(result.values["bg_constant"], truth["background"]["constant_counts"], result.stderr["bg_constant"])


def test_xrd_example_truth_recovered():
    _, result, truth = _fit("Li2S_argyrodite_xrd.xy")
    params = truth["params"]
    checked = [n for n in result.varying if n.endswith(("_scale", "_size", "_a", "_area", "_center", "_fwhm"))
               or n == "displacement"]
    assert {"Li2S_scale", "Li2S_size", "Li6PS5Cl_scale", "Si_scale", "carbon_black_area"} <= set(checked)
    for n in checked:
        assert _within(result.values[n], params[n], result.stderr[n]), (n, result.values[n], params[n])
    # weight fractions (Hill–Howard, W = S·Z·M·V / Σ) against the same relation on the true scales
    from spectra.xrd.structure import load_structure

    zmv = {}
    for phase in examples.RECIPES["Li2S_argyrodite_xrd.xy"]["phases"]:
        s = load_structure(phase)
        zmv[phase] = params[f"{phase}_scale"] * s.z * s.formula_mass * s.volume
    total = sum(zmv.values())
    for phase, w in result.weight_fractions().items():
        assert _within(w.n, zmv[phase] / total, w.s), phase


def test_xrd_example_uses_the_package_reflection_lists():
    """Every Li2S reflection of the package's list in the window is in the example (the old
    hand-written list had four)."""
    import pandas as pd

    from spectra.xrd.reflections import committed_path

    da = spectra.load(examples.path("Li2S_argyrodite_xrd.xy"))
    truth = json.loads(da.attrs["metadata"])["truth"]
    assert truth["model"].startswith("spectra.simulate.xrd")
    two_theta = pd.read_csv(committed_path("Li2S"))["two_theta_deg"]
    assert two_theta.between(float(da.two_theta.min()), float(da.two_theta.max())).sum() > 4


def test_generator_is_seeded_and_reproducible(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("make_example_data", ROOT / "tools" / "make_example_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "OUT", tmp_path)
    for made in (module.s2p_example(), module.xrd_example()):
        shipped = examples.path(made.name)
        assert made.read_bytes() == shipped.read_bytes(), f"{made.name} differs from a fresh run of the generator"
        assert made.stat().st_size < 64_000


def test_a_component_not_in_the_example_is_never_a_quotable_number():
    """The README used to list P2Sx on an example without it and reported 2.3 ± 0.3 % (6.7σ) with the
    component at its centre and FWHM limits. Now the fit is flagged, and no significant P2Sx is
    claimed through either verb."""
    name = next(n for n in examples.NAMES if n.endswith(".vms"))
    da = spectra.load(examples.path(name))
    recipe = {**examples.RECIPES[name], "components": [*examples.RECIPES[name]["components"], "P2Sx"]}
    single = spectra.fit(da, recipe)
    assert not single.ok and any(n.startswith("P2Sx") for n in (*single.at_bound, *single.undetermined))
    p2sx = single.fractions()["P2Sx"]
    assert np.isnan(p2sx.s) or p2sx.n < 3 * p2sx.s
    many = spectra.fit_many([da], recipe)
    assert not bool(many.ok[0]) and "P2Sx" in str(many.flags.values[0])
    f, s = float(many.fraction.sel(component="P2Sx")[0]), float(many.fraction_stderr.sel(component="P2Sx")[0])
    assert np.isnan(s) or f < 3 * s


def test_readme_python_example_runs(tmp_path, monkeypatch, capsys):
    """The first Python block of the README (the one it says the test suite runs) works as written."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"^```python\n(.*?)^```", text, re.M | re.S).group(1)
    assert "spectra.compare(" in block and "write_report(" in block
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    exec(compile(block, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "True" in printed and "than pristine" in printed
    assert (tmp_path / "report.html").stat().st_size > 0
