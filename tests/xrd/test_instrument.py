"""The instrument file: save/load round trip, refusals, the recipe keys it stands for, FWHM(2θ)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from spectra.errors import FileFormatError, RecipeError, SpectraError
from spectra.xrd.instrument import Instrument, parameter_names, read_instrument_table
from spectra.xrd.recipe import DEFAULT_INSTRUMENT


def make_instrument(**changes) -> Instrument:
    values = {"zero": -0.0123, **{k: float(v) for k, v in DEFAULT_INSTRUMENT.items()}, "ka2_ratio": 0.512}
    values.update({"u": 0.0091, "v": -0.0042, "w": 0.0031, "x": 0.0012, "y": 0.0187})
    stderr = {n: 1e-4 * (i + 1) for i, n in enumerate(values)}
    stderr["x"] = 0.0   # never quoted as 0: becomes NaN
    kwargs = dict(standard="LaB6", certificate="NIST SRM 660c", certified_a=4.156826, source="LaB6.raw",
                  source_sha256="ab" * 32, created="2026-11-30T14:00:00Z", spectra_version="0.1.0",
                  two_theta_range=(21.35, 67.56), anode="Cu", wavelength_ka1=1.540562, wavelength_ka2=1.54439,
                  notes=("u ran to its lower bound",))
    kwargs.update(changes)
    return Instrument(values, stderr, **kwargs)


def test_names_follow_the_recipe_defaults():
    assert parameter_names() == ["zero", *DEFAULT_INSTRUMENT, "ka2_ratio"]
    with pytest.raises(ValueError, match="missing"):
        Instrument({"zero": 0.0}, {})


def test_round_trip_keeps_every_value_sigma_and_provenance(tmp_path):
    inst = make_instrument()
    path = inst.save(tmp_path / "diffractometer.toml")
    back = Instrument.load(path)
    assert back.values == inst.values
    assert back.stderr.keys() == inst.stderr.keys()
    for n in inst.stderr:
        assert (math.isnan(back.stderr[n]) and math.isnan(inst.stderr[n])) or back.stderr[n] == inst.stderr[n]
    assert math.isnan(inst.stderr["x"])  # a σ of 0 is withdrawn, not quoted
    for key in ("standard", "certificate", "certified_a", "source", "source_sha256", "created", "spectra_version",
                "two_theta_range", "anode", "wavelength_ka1", "wavelength_ka2", "notes"):
        assert getattr(back, key) == getattr(inst, key), key
    text = path.read_text(encoding="utf-8")
    assert "degree²" in text and "[stderr]" in text


def test_save_refuses_to_overwrite_unless_asked(tmp_path):
    path = tmp_path / "d.toml"
    path.write_text("mine\n", encoding="utf-8")
    with pytest.raises(SpectraError, match="exists"):
        make_instrument().save(path)
    assert path.read_text(encoding="utf-8") == "mine\n"
    make_instrument().save(path, overwrite=True)
    assert Instrument.load(path).values["u"] == 0.0091
    assert [p.name for p in tmp_path.iterdir()] == ["d.toml"]  # no temporary left behind


def test_recipe_keys_are_plain_values():
    keys = read_instrument_table_from(make_instrument())
    assert keys == {"instrument": {**{k: float(v) for k, v in DEFAULT_INSTRUMENT.items()},
                                   "u": 0.0091, "v": -0.0042, "w": 0.0031, "x": 0.0012, "y": 0.0187},
                    "zero": -0.0123, "ka2_ratio": 0.512}


def read_instrument_table_from(inst, folder=None):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        return read_instrument_table(inst.save(Path(tmp) / "i.toml"))


@pytest.mark.parametrize("text,match,line", [
    ("[parameters]\nzero = 0.0\nu = 0.1\nbogus = 3\n", "unknown key \\[parameters\\] 'bogus'", 4),
    ("[calibration]\nstandard = 'LaB6'\n[parameters\n", "not valid TOML", 3),
    ("[parameters]\nzero = 0.0\n", "lacks", 1),
    ("[extra]\nfoo = 1\n", "unknown key 'extra'", 1),
])
def test_bad_files_are_refused_naming_file_and_line(tmp_path, text, match, line):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FileFormatError, match=match) as info:
        Instrument.load(path)
    assert info.value.path == str(path) and info.value.line == line
    with pytest.raises(RecipeError, match="bad.toml") as info:
        read_instrument_table(path)
    assert f"line {line}" in str(info.value)


def test_missing_file_and_non_numbers_are_refused(tmp_path):
    with pytest.raises(RecipeError, match="nowhere.toml"):
        read_instrument_table(tmp_path / "nowhere.toml")
    text = make_instrument().to_toml().replace("u = 0.0091", 'u = "wide"')
    (tmp_path / "s.toml").write_text(text, encoding="utf-8")
    with pytest.raises(RecipeError, match="u must be a finite number"):
        read_instrument_table(tmp_path / "s.toml")


def test_fwhm_is_the_tch_combination_of_caglioti_and_lorentz_widths():
    inst = make_instrument()
    tt = np.array([20.0, 45.0, 90.0])
    theta = np.radians(tt / 2)
    g = np.sqrt(0.0091 * np.tan(theta) ** 2 - 0.0042 * np.tan(theta) + 0.0031)
    lo = 0.0012 * np.tan(theta) + 0.0187 / np.cos(theta)
    # TCH (J. Appl. Cryst. 20 (1987) 79), written out here
    total = (g**5 + 2.69269 * g**4 * lo + 2.42843 * g**3 * lo**2 + 4.47163 * g**2 * lo**3
             + 0.07842 * g * lo**4 + lo**5) ** 0.2
    assert inst.fwhm(tt) == pytest.approx(total, rel=1e-12)
    assert inst.covers(25, 60) and not inst.covers(10, 80)
