"""spectra.comparison.run on the bundled study: every metric recovers its truth (truth.csv, from the
design, not from the fits) within 2 stated standard errors; the study's conclusions come out; the
outputs are written and Holm is what the table reports."""
from __future__ import annotations

import csv
import math

import numpy as np
import pytest
import xarray as xr

from spectra.comparison import run, study_groups, study_path
from spectra.comparison.statistics import holm


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    import matplotlib

    matplotlib.use("Agg")
    out = tmp_path_factory.mktemp("cmp")
    groups, reference = study_groups()
    c = run(groups, reference=reference, csv=out / "c.csv", netcdf=out / "c.nc", figure=out / "c.png")
    return c, out


def _truth():
    with open(study_path() / "truth.csv", encoding="utf-8") as fh:
        return {(r["group"], r["metric"]): float(r["truth"]) for r in csv.DictReader(fh)}


def test_every_metric_within_two_stated_errors(outputs):
    c, _ = outputs
    truth, t = _truth(), c.table()
    checked, misses = 0, []
    for r in t.itertuples():
        if (r.group, r.metric) not in truth:
            continue
        true = truth[r.group, r.metric]
        checked += 1
        if r.value == true:  # an exact 0 (absent) or the reference's own definition (1, 0)
            continue
        if not (math.isfinite(r.stderr) and abs(r.value - true) <= 2 * r.stderr):
            misses.append((r.group, r.metric, r.value, r.stderr, true))
    assert checked >= 45 and misses == []


def test_the_study_conclusions(outputs):
    c, _ = outputs
    m = c.metric
    assert m("xps:S 2p:li2s_growth").loc["lithiated_carbon", "significant"]
    assert m("xps:S 2p:fraction:PS4").loc["lithiated_carbon", "significant"]
    for metric in ("xps:S 2p:li2s_growth", "xps:S 2p:fraction:PS4"):
        d = m(metric)["difference"].abs()
        assert d["lithiated_carbon_free"] < d["lithiated_carbon"] / 2
    retention = m("xrd:Li6PS5Cl:retention")
    assert retention.loc["lithiated_carbon", "significant"] and retention.loc["lithiated_carbon", "difference"] < 0
    for metric in ("xps:Si 2p:lithiated_fraction", "xrd:hump:LiSi:area"):
        sig = m(metric)["significant"]
        assert sig["lithiated_carbon_free"] and not sig["lithiated_carbon"]


def test_outputs_and_holm(outputs):
    c, out = outputs
    t = c.table()
    assert list(t.columns[:11]) == ["group", "metric", "unit", "value", "stderr", "n", "reference", "difference",
                                    "difference_stderr", "p_value", "p_adjusted"]
    assert np.allclose(holm(t["p_value"]), t["p_adjusted"], equal_nan=True)
    assert (t["significant"] == (t["p_adjusted"] < c.alpha)).all()
    assert (t["stderr"].dropna() > 0).all()
    ds = xr.open_dataset(out / "c.nc", engine="h5netcdf")
    assert ds.sizes["group"] == 3 and "replicate_value" in ds and "S 2p" in ds.attrs["recipes"]
    assert (out / "c.png").stat().st_size > 10_000 and (out / "c.csv").read_text().startswith("group,metric")
    assert "<table>" in c._repr_html_()
    assert ("lithiated_carbon", "lithiated_carbon_1", "S 2p") in c.fits
