"""``spectra recipe``, ``compare`` and ``report`` from the command line (CliRunner)."""
from __future__ import annotations

import json
import shutil
import tomllib

import pandas as pd
import pytest
from click.testing import CliRunner

import spectra
from spectra import examples
from spectra.cli import main

from .conftest import S2P


def test_recipe_show_prints_the_default_as_toml():
    result = CliRunner().invoke(main, ["recipe", "show", "S2p"])
    assert result.exit_code == 0, result.output
    assert tomllib.loads(result.output) == spectra.recipes.default_recipe("S 2p")
    assert result.output.lstrip().startswith("#")  # the comments come along, to guide the edit


def test_recipe_new_writes_an_editable_file_that_fits(tmp_path):
    out = tmp_path / "li1s.toml"
    assert CliRunner().invoke(main, ["recipe", "new", "Li 1s", "-o", str(out)]).exit_code == 0
    assert tomllib.loads(out.read_text())["region"] == "Li 1s"
    again = CliRunner().invoke(main, ["recipe", "new", "Li 1s", "-o", str(out)])
    assert again.exit_code == 1 and "exists" in again.output
    listed = CliRunner().invoke(main, ["recipe", "list"]).output.split("\n")
    assert "Li 1s" in listed and "xrd" in listed


def test_recipe_of_an_unknown_region_lists_the_known_ones():
    result = CliRunner().invoke(main, ["recipe", "show", "Xx 9z"])
    assert result.exit_code == 1 and "S 2p" in result.output and "Xx 9z" in result.output


def test_fit_by_region_name_uses_the_default_recipe(tmp_path):
    out = tmp_path / "s2p.h5"
    result = CliRunner().invoke(main, ["fit", "S 2p", str(examples.path(S2P)), "-o", str(out)])
    assert result.exit_code == 0, result.output
    block = spectra.load_results(out)["S 2p"]
    assert json.loads(block.attrs["recipe"])["components"] == spectra.recipes.default_recipe("S 2p")["components"]
    unknown = CliRunner().invoke(main, ["fit", "nonsense.toml", str(examples.path(S2P)), "-o", str(tmp_path / "x.h5")])
    assert unknown.exit_code == 2 and "neither a recipe file nor a region" in unknown.output


def test_compare_two_groups_of_the_same_spectra(tmp_path):
    """Two groups holding copies of one spectrum differ by nothing; an unreadable file is skipped by name."""
    for group in ("a", "b"):
        (tmp_path / group).mkdir()
        for k in (1, 2):
            shutil.copy(examples.path(S2P), tmp_path / group / f"sample{k}.vms")
    (tmp_path / "b" / "broken.vms").write_text("VAMAS Surface Chemical Analysis Standard Data Transfer Format\n")
    out = tmp_path / "c.csv"
    result = CliRunner().invoke(main, ["compare", "--group", f"a={tmp_path / 'a'}", "--group", f"b={tmp_path / 'b'}",
                                       "--reference", "a", "-o", str(out), "--netcdf", str(tmp_path / "c.nc")])
    assert result.exit_code == 0, result.output
    assert "broken.vms" in result.stderr and "skipped" in result.stderr
    table = pd.read_csv(out)
    for column in ("group", "metric", "unit", "value", "stderr", "n", "reference", "difference",
                   "difference_stderr", "p_value", "significant"):
        assert column in table.columns
    li2s = table[(table.group == "b") & (table.metric == "xps:S 2p:fraction:Li2S")].iloc[0]
    assert li2s.difference == pytest.approx(0, abs=1e-9) and not li2s.significant
    again = CliRunner().invoke(main, ["compare", "--group", f"a={tmp_path / 'a'}", "--reference", "a", "-o", str(out)])
    assert again.exit_code == 1 and "exists" in again.output
    bad = CliRunner().invoke(main, ["compare", "--group", "a", "--reference", "a", "-o", str(out)])
    assert bad.exit_code == 2 and "LABEL=PATH" in bad.output


@pytest.fixture(scope="module")
def results_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    shutil.copy(examples.path(S2P), folder / "anode.vms")
    (folder / "truncated.vms").write_bytes(examples.path(S2P).read_bytes()[:1500])
    recipe = folder / "s2p.toml"
    recipe.write_text(spectra.recipes.text("S 2p"))
    out = folder / "s2p.h5"
    result = CliRunner().invoke(main, ["fit", str(recipe), str(folder / "anode.vms"), str(folder / "truncated.vms"),
                                       "-o", str(out)])
    assert result.exit_code == 1, result.output
    return out


def test_report_renders_a_results_file_as_html(results_file, tmp_path):
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", str(results_file), "-o", str(out), "--title", "<b>anode</b>"])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "<svg" in text and "truncated.vms" in text  # the fit's figure, and the failed file with its reason
    assert "&lt;b&gt;anode&lt;/b&gt;" in text


def test_report_as_pdf(results_file, tmp_path):
    out = tmp_path / "report.pdf"
    result = CliRunner().invoke(main, ["report", str(results_file), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:5] == b"%PDF-"


def test_report_refuses_what_is_not_a_results_file(tmp_path):
    other = tmp_path / "notes.h5"
    other.write_text("no")
    result = CliRunner().invoke(main, ["report", str(other), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 1 and "notes.h5" in result.output
    assert not (tmp_path / "r.html").exists()
