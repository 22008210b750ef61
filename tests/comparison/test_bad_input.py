"""Bad input never stops a comparison: a missing region, a failed fit, a corrupt file, an XRD file in
place of an XPS one and a one-replicate group each give a message naming sample and file, and the
rest is compared (XPS only, to stay fast)."""
from __future__ import annotations

import numpy as np
import pytest

from spectra import simulate
from spectra.comparison import compare
from spectra.errors import SpectraError
from spectra.io.write import write_vamas, write_xrdml

REGIONS = ("S 2p", "Li 1s", "Si 2p")


def _replicate(folder, name, condition, seed, regions=REGIONS):
    xps, pattern, _ = simulate.study_sample(condition, seed=seed, sample=name)
    write_vamas([da for da in xps if da.attrs["region"] in regions], folder / f"{name}.vms")
    return pattern


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    design = simulate.study_design()
    ref, bad, single = root / "ref", root / "bad", root / "single"
    for f in (ref, bad, single):
        f.mkdir()
    for k in range(2):
        _replicate(ref, f"r{k}", design["pristine"], seed=k)
    _replicate(bad, "ok1", design["lithiated_carbon"], seed=10)
    _replicate(bad, "nosi", design["lithiated_carbon"], seed=11, regions=("S 2p", "Li 1s"))
    (bad / "corrupt.vms").write_text("VAMAS Surface Chemical Analysis Standard Data Transfer Format 1988 May 4\n1\n")
    pattern = _replicate(root, "unused", design["lithiated_carbon"], seed=12)
    write_xrdml(pattern, bad / "wrongkind.vms")  # an XRD pattern under an XPS name
    _replicate(single, "s1", design["lithiated_carbon_free"], seed=13)
    flat = simulate.xps("S 2p", {"PS4": 1.0}, seed=1)[0].copy()
    flat.values[:] = np.nan  # a spectrum no fit can use
    flat.attrs.update(sample="nanfit", source="nanfit-in-memory")
    groups = {"pristine": ref, "carbon": [*sorted(bad.iterdir()), flat], "single": single}
    return compare(groups, reference="pristine")


def test_skips_name_sample_and_file(comparison):
    skipped = comparison.skipped
    corrupt = next(v for k, v in skipped.items() if k.endswith("corrupt.vms"))
    assert "'carbon'" in corrupt and "'corrupt'" in corrupt and "cannot be read" in corrupt
    missing = comparison.missing
    assert "no Si 2p" in missing["carbon", "nosi"]["(Si 2p)"]
    assert any("nanfit" in why for why in missing["carbon", "nanfit"].values())
    assert "one replicate" in missing["single", "*"]["(replicates)"]
    wrong = [k for k in comparison.provenance["inputs"] if k.endswith("wrongkind.vms")]
    why = missing["carbon", "wrongkind"]["(S 2p)"]
    assert wrong and "no S 2p" in why and "wrongkind.vms" in why and "xrd only" in why


def test_the_rest_is_compared_and_marked(comparison):
    t = comparison.table().set_index(["group", "metric"])
    assert t.loc[("carbon", "xps:S 2p:fraction:Li2S"), "n"] == 2  # ok1, nosi (not nanfit, wrongkind)
    assert t.loc[("carbon", "xps:Si 2p:lithiated_fraction"), "n"] == 1
    assert t.loc[("carbon", "xps:S 2p:fraction:Li2S"), "significant"]
    single = t.loc[("single", "xps:S 2p:fraction:Li2S")]
    assert single["n"] == 1 and "one replicate" in single["note"] and np.isfinite(single["stderr"])


def test_invalid_calls_are_refused():
    with pytest.raises(SpectraError, match="reference group"):
        compare({"a": []}, reference="b")
    with pytest.raises(SpectraError, match="no usable spectrum"):
        compare({"a": []}, reference="a")
