"""Recipe wiring of user phases from CIF files and of instrument files: a phase read from a CIF fits in
a joint recipe with Li2S (pattern of the independent forward calculation, :mod:`tests.xrd.forward`),
relative paths resolve against the recipe file's folder, an instrument file's keys are merged with the
recipe's own keys winning, and unreadable files are refused naming them."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import spectra
from spectra.errors import RecipeError
from spectra.recipe import load_recipe
from spectra.xrd.cif import write_cif
from spectra.xrd.instrument import Instrument, parameter_names
from spectra.xrd.problem import XRDProblem
from spectra.xrd.recipe import DEFAULT_INSTRUMENT, parse_xrd_recipe
from spectra.xrd.structure import load_structure

from . import forward as fw

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

X = np.round(np.arange(20.0, 80.0 + 1e-9, 0.02), 10)
SI_SCALE, LI2S_SCALE = 40.0, 200.0


@pytest.fixture
def folder(tmp_path):
    """A recipe folder with a CIF of Si under a new name ("my-Si") and a recipe naming it relatively."""
    write_cif(dataclasses.replace(load_structure("Si"), name="my-Si"), tmp_path / "my_si.cif")
    (tmp_path / "recipe.toml").write_text(
        'technique = "xrd"\nanode = "Cu"\nwindow = [20.0, 80.0]\n'
        'phases = ["Li2S", {name = "my-Si", cif = "my_si.cif"}]\n'
        f"instrument = {{u = {fw.INSTRUMENT['u']}, v = {fw.INSTRUMENT['v']}, w = {fw.INSTRUMENT['w']}, "
        f"x = {fw.INSTRUMENT['x']}, y = {fw.INSTRUMENT['y']}}}\n"
        '[phase_options."my-Si"]\nsize = {value = 200, min = 5, max = 5000}\n', encoding="utf-8")
    return tmp_path


def test_cif_phase_fits_in_a_joint_recipe(folder, tmp_path_factory, monkeypatch):
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))  # relative paths are the recipe folder's
    spec = parse_xrd_recipe(folder / "recipe.toml")
    user = spec.phases[1]
    assert (user.name, user.label) == ("my_Si", "my-Si")
    assert user.crystal.name == "my-Si" and user.crystal.cell == load_structure("Si").cell
    assert str((folder / "my_si.cif").resolve()) in spec.text  # the text alone gives the same spec
    da = fw.noisy(X, fw.background(X) + fw.phase_pattern(X, "Si", SI_SCALE, 200.0)
                  + fw.phase_pattern(X, "Li2S", LI2S_SCALE, 10.0), 7)
    result = spectra.fit(da, spec)
    assert result.success and 0.9 < result.redchi < 1.1, (result.message, result.redchi)
    # the package's LP is half the forward's: scales twice the truth
    assert result.values["my_Si_scale"] / (2 * SI_SCALE) == pytest.approx(1.0, abs=0.02)
    assert abs(result.values["Li2S_size"] / 10.0 - 1) < 0.1
    phases = {n: fw.read_phase(n) for n in ("Si", "Li2S")}
    zmv = {n: p["z"] * p["mass"] * p["volume"] for n, p in phases.items()}
    true_si = SI_SCALE * zmv["Si"] / (SI_SCALE * zmv["Si"] + LI2S_SCALE * zmv["Li2S"])
    w = result.weight_fractions()["my_Si"]
    assert abs(w.n - true_si) < 3 * w.s
    ds = spectra.fit_many([da], spec)
    assert list(ds.phase.values) == ["Li2S", "my_Si"]
    assert float(ds.weight_fraction.sel(phase="my_Si")[0]) == pytest.approx(w.n, abs=0.5 * w.s)


def test_recipe_path_resolves_the_cif_beside_it(folder, monkeypatch):
    monkeypatch.chdir(folder)
    problem = XRDProblem(load_recipe(folder / "recipe.toml"))
    assert "my_Si_scale" in problem.names


def test_missing_cif_is_refused_naming_it(folder):
    text = (folder / "recipe.toml").read_text(encoding="utf-8").replace("my_si.cif", "nowhere.cif")
    (folder / "broken.toml").write_text(text, encoding="utf-8")
    with pytest.raises(RecipeError, match="nowhere.cif"):
        parse_xrd_recipe(folder / "broken.toml")


def instrument_file(path):
    values = {**{k: 0.0 for k in parameter_names()}, **DEFAULT_INSTRUMENT, "zero": 0.012, "ka2_ratio": 0.48,
              "u": 0.005, "y": 0.015}
    return Instrument(values, standard="LaB6").save(path)


def test_instrument_file_is_merged_and_recipe_keys_win(tmp_path, tmp_path_factory, monkeypatch):
    instrument_file(tmp_path / "diffractometer.toml")
    recipe = tmp_path / "recipe.toml"
    recipe.write_text('technique = "xrd"\nanode = "Cu"\nphases = ["Si"]\ninstrument = "diffractometer.toml"\n'
                      "zero = 0.02\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    spec = parse_xrd_recipe(recipe)
    assert spec.instrument["u"].value == 0.005 and spec.instrument["y"].value == 0.015
    assert not any(p.vary for p in spec.instrument.values())  # a calibration's values are held
    assert spec.zero.value == 0.02  # the recipe's own key wins
    assert spec.radiation.ka2_ratio == 0.48 and spec.ka2_ratio is None
    again = parse_xrd_recipe(spec)  # its text holds the merged keys: no file needed
    assert again.instrument == spec.instrument and again.zero == spec.zero
    (tmp_path / "diffractometer.toml").unlink()
    with pytest.raises(RecipeError, match="diffractometer.toml") as error:
        parse_xrd_recipe(recipe)
    assert str(error.value).startswith("instrument file ") and "No such file" in str(error.value)


def test_instrument_file_through_the_fit(tmp_path, monkeypatch):
    instrument_file(tmp_path / "diffractometer.toml")
    monkeypatch.chdir(tmp_path)
    problem = XRDProblem(load_recipe({"technique": "xrd", "anode": "Cu", "phases": ["Si"],
                                      "instrument": "diffractometer.toml"}))
    assert problem.spec.instrument["u"].value == 0.005 and problem.spec.zero.value == 0.012
    with pytest.raises(RecipeError, match="missing.toml"):
        XRDProblem(load_recipe({"technique": "xrd", "phases": ["Si"], "instrument": "missing.toml"}))
    assert math.isclose(problem.spec.radiation.ka2_ratio, 0.48)
