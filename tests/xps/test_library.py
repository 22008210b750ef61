"""The core-level library's ranges: sourced, consistent, wide enough for real instruments, and the
instrument-width rule (observed² = sample² + instrument²)."""
from __future__ import annotations

import math

import pytest

from spectra.errors import RecipeError
from spectra.xps import library
from spectra.xps.recipe import parse_xps_recipe

ALL = [(r, n) for r in library.regions() for n in library.region(r).species]
#: every centre range reaches at least this far either side of the default (referencing alone
#: spreads over 0.6 eV: adventitious C 1s taken as 284.6–285.2 eV, IUPAC 2020)
CENTRE_MARGIN = 0.4


@pytest.mark.parametrize("region,name", ALL, ids=[f"{r}:{n}" for r, n in ALL])
def test_species_ranges_are_consistent_and_sourced(region, name):
    s = library.region(region).species[name]
    lo, hi = s.center_range
    assert s.center - lo >= CENTRE_MARGIN - 1e-9 and hi - s.center >= CENTRE_MARGIN - 1e-9
    sample_lo, sample_hi = s.sample_fwhm_range
    assert 0 < sample_lo < sample_hi
    f_lo, f_hi = s.fwhm_range
    assert f_lo < s.fwhm < f_hi
    assert f_lo == pytest.approx(sample_lo)
    assert s.source and s.label


def test_unknown_instrument_spans_synchrotron_to_unmonochromated_lab():
    reference, maximum, source = library.instrument_limits()
    assert 0 < reference < maximum and source
    for region, name in ALL:
        s = library.region(region).species[name]
        assert s.fwhm_range[1] == pytest.approx(math.hypot(s.sample_fwhm_range[1], maximum))


@pytest.mark.parametrize("instrument", [0.0, 0.3, 0.8, 1.5])
def test_known_instrument_broadens_in_quadrature(instrument):
    reference, _, _ = library.instrument_limits()
    for region, name in ALL:
        s = library.region(region, instrument_fwhm=instrument).species[name]
        lo, hi = s.sample_fwhm_range
        assert s.fwhm_range == pytest.approx((math.hypot(lo, instrument), math.hypot(hi, instrument)))
        assert s.fwhm_range[0] <= s.fwhm <= s.fwhm_range[1]
        default = library.region(region).species[name]
        if lo < math.sqrt(default.fwhm**2 - reference**2) < hi:
            # at the reference instrument the start is the library's typical FWHM
            at_reference = library.region(region, instrument_fwhm=reference).species[name]
            assert at_reference.fwhm == pytest.approx(default.fwhm)


@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf, 5.0, "1", True])
def test_instrument_width_is_checked(bad):
    with pytest.raises(RecipeError, match="instrument_fwhm"):
        library.region("S 2p", instrument_fwhm=bad)


def test_lab_and_synchrotron_widths_are_inside_the_default_bounds():
    """Si(0) at 50 eV pass energy with an unmonochromated source (1.5-1.6 eV per line, the shared
    CasaXPS spectrum) and crystalline Si at a synchrotron (~0.35 eV); the widths of the recovery
    studies (0.7-1.8 eV) for the components of the documented S 2p, Li 1s and Si 2p recipes."""
    si0 = library.region("Si 2p").species["Si0"]
    assert si0.fwhm_range[0] < 0.35 and 1.6 < si0.fwhm_range[1]
    for region, names in {"S 2p": ["PS4", "Li2S", "P2Sx"], "Li 1s": ["Li6PS5Cl", "Li2S"],
                          "Si 2p": ["Si0", "LixSi"]}.items():
        for name in names:
            lo, hi = library.region(region).species[name].fwhm_range
            assert lo < 0.7 and 1.8 < hi, (region, name)


def test_recipes_get_the_library_bounds():
    spec = parse_xps_recipe({"region": "Si 2p", "components": ["Si0", "SiO2"]})
    si0 = library.region("Si 2p").species["Si0"]
    comp = spec.components[0]
    assert (comp.fwhm.min, comp.fwhm.max) == si0.fwhm_range and comp.fwhm.value == si0.fwhm
    assert (comp.center.min, comp.center.max) == si0.center_range
