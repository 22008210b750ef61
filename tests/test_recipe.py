"""Recipes are checked before anything reaches an optimiser: every malformed value is refused with a
`RecipeError` naming where it is (issue: recipes reached the optimiser unchecked). One row per case."""
from __future__ import annotations

import math

import pytest

from spectra.errors import RecipeError
from spectra.fitting.problem import problem_for
from spectra.recipe import load_recipe, technique_of

XPS = {"region": "S 2p", "components": ["PS4", "Li2S"]}
XRD = {"technique": "xrd", "phases": ["Si"]}
NAN = math.nan

BAD = [
    (XPS, {"lineshape": "GL(nan)"}, "m must be within"),
    (XPS, {"lineshape": "GL(1000)"}, "m must be within"),
    (XPS, {"lineshape": "GL(x)"}, "must be numbers"),
    (XPS, {"doublet_ratio": 5}, "doublet_ratio"),
    (XPS, {"doublet_ratio": NAN}, "doublet_ratio"),
    (XPS, {"background": {"kind": "shirley", "foo": 1}}, "takes no options"),
    (XPS, {"background": {"kind": "shirley", "offsets": [NAN, 0]}}, "offsets"),
    (XPS, {"background": {"kind": "shirley", "max_iter": 0}}, "max_iter"),
    (XPS, {"background": {"kind": "tougaard", "b": NAN}}, "b: expected a number"),
    (XPS, {"background": {"kind": "active-shirley", "average": "5"}}, "average"),
    (XPS, {"overrides": {"PS4": {"fwhm": {"value": 0, "min": 0, "vary": False}}}}, "must be positive"),
    (XPS, {"overrides": {"PS4": {"ratio": NAN}}}, "expected a number"),
    (XPS, {"overrides": {"PS4": {"splitting": {"value": NAN}}}}, "expected a number"),
    (XPS, {"overrides": {"PS4": {"center": 170.0}}}, "outside"),  # a plain number is checked against the bounds
    (XPS, {"overrides": {"PS4": {"center": {"value": 161.6, "min": NAN}}}}, "min: expected a number"),
    (XPS, {"overrides": {"PS4": {"center": {"value": 161.6, "vary": "yes"}}}}, "vary"),
    (XPS, {"window": ["a", "b"]}, "window must be"),
    (XPS, {"window": [160.0, 160.0]}, "window must be"),
    (XRD, {"background": {"kind": "chebyshev", "order": 500}}, "order must be"),
    (XRD, {"radius_mm": 0}, "radius_mm"),
    (XRD, {"peaks": [{"name": "p", "center": NAN}]}, "center.value: expected a number"),
    (XRD, {"window": [NAN, 60.0]}, "window must be"),
    (XRD, {"displacement": {"value": 0.0, "max": NAN}}, "max: expected a number"),
]


@pytest.mark.parametrize("base,change,message", BAD, ids=[f"{b.get('technique', 'xps')}-{i}" for i, (b, _, _)
                                                          in enumerate(BAD)])
def test_malformed_recipes_are_refused_by_name(base, change, message):
    with pytest.raises(RecipeError, match=message):
        problem_for({**base, **change})


@pytest.mark.parametrize("recipe,technique", [({"technique": "XRD", "phases": ["Si"]}, "xrd"),
                                              ({"phases": ["Si"]}, "xrd"), ({"technique": " Xps "}, "xps"),
                                              (XPS, "xps")])
def test_technique_is_case_insensitive_and_inferred(recipe, technique):
    assert technique_of(load_recipe(recipe).data) == technique


def test_every_verb_takes_a_toml_path(tmp_path):
    path = tmp_path / "s2p.toml"
    path.write_text('region = "S 2p"\ncomponents = ["PS4", "Li2S"]\n', encoding="utf-8")
    assert problem_for(path).sha256 == problem_for(str(path)).sha256 == problem_for(XPS).sha256
    with pytest.raises(RecipeError, match="cannot read recipe"):
        problem_for(str(tmp_path / "missing.toml"))


def test_instrument_fwhm_narrows_the_library_widths():
    """A known instrument width replaces the library's span from synchrotron to unmonochromated
    sources by the species' widths broadened in quadrature by that width."""
    open_ = problem_for(XPS).spec.components[0].fwhm
    known = problem_for({**XPS, "instrument_fwhm": 0.4}).spec.components[0].fwhm
    assert open_.min <= known.min < known.max < open_.max
    with pytest.raises(RecipeError, match="instrument_fwhm"):
        problem_for({**XPS, "instrument_fwhm": -1.0})


def test_a_recipe_read_from_a_file_knows_its_path(tmp_path):
    from spectra.recipe import load_recipe

    path = tmp_path / "s2p.toml"
    path.write_text('region = "S 2p"\ncomponents = ["PS4"]\n', encoding="utf-8")
    assert load_recipe(path).path == path.resolve()
    assert load_recipe(str(path)).path == path.resolve()
    assert load_recipe({"region": "S 2p"}).path is None
    assert load_recipe('region = "S 2p"\n').path is None


def test_a_region_name_is_its_shipped_default_recipe():
    from spectra.errors import RecipeError
    from spectra.recipe import load_recipe
    from spectra.recipes import default_recipe

    assert load_recipe("S 2p").data == default_recipe("S 2p")
    assert load_recipe("xrd").data == default_recipe("xrd")
    with pytest.raises(RecipeError, match="no default recipe for 'Zr 3d'"):
        load_recipe("Zr 3d")
