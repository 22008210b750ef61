"""The HTML and PDF reports: contents, escaping of file metadata, self-containment, well-formedness,
flags and failures, the comparison section, and that tables read from a dataset equal the result's own."""
from __future__ import annotations

import html.parser
import re

import numpy as np
import pandas as pd
import pytest

import spectra
from spectra import examples, simulate
from spectra.errors import SpectraError
from spectra.io.write import write_vamas
from spectra.report import render_html, tables, write_report

from ..plotting.fits import XPS, XRD, example_fit

EVIL = "<script>alert(1)</script>"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Balance(html.parser.HTMLParser):
    """Checks that every element is closed in order (HTML5 void elements excepted)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.ids = [], [], []

    def handle_starttag(self, tag, attrs):
        self.ids += [v for k, v in attrs if k == "id"]
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.ids += [v for k, v in attrs if k == "id"]

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()


def check_well_formed(text: str) -> _Balance:
    parser = _Balance()
    parser.feed(text)
    parser.close()
    assert not parser.errors, parser.errors[:5]
    assert not parser.stack, f"unclosed: {parser.stack}"
    assert text.lstrip().startswith("<!DOCTYPE html>")
    return parser


def check_self_contained(text: str) -> None:
    """No resource the page would fetch: scripts, stylesheets, images or fonts from elsewhere."""
    assert not re.search(r"<(script|link|iframe|object|embed)\b", text, re.I)
    for attr in re.findall(r"""\b(?:src|href|xlink:href)\s*=\s*["']([^"']*)""", text, re.I):
        assert attr.startswith(("#", "data:")), attr
    assert not re.search(r"url\(\s*['\"]?(?!#|data:)", text), "CSS url() to an outside resource"
    assert "@import" not in text


@pytest.fixture(scope="module")
def evil_fit(tmp_path_factory):
    """A VAMAS file whose sample name and comment are markup, written by the package's writer and fitted."""
    import spectra.accessors  # noqa: F401

    da, _ = simulate.xps("S 2p", {"PS4": 0.6, "Li2S": 0.4}, seed=3)
    da.attrs.update(sample=EVIL, comment=f"comment {EVIL}")
    path = write_vamas(da, tmp_path_factory.mktemp("evil") / "evil.vms")
    loaded = spectra.load(path)
    assert loaded.attrs["sample"] == EVIL  # the writer and reader keep it as it is
    return loaded.xps.fit(examples.RECIPES[XPS])


def test_html_report_contents(tmp_path):
    xps, xrd = example_fit(XPS), example_fit(XRD)
    path = write_report([xps, xrd], tmp_path / "report.html", title="Anode study")
    text = path.read_text(encoding="utf-8")
    parser = check_well_formed(text)
    check_self_contained(text)
    assert len(parser.ids) == len(set(parser.ids)), "ids of inline figures collide"
    assert text.count("<svg") == 2
    for heading in ("Summary", "Flags", "Fits by sample", "Provenance"):
        assert f">{heading}</h2>" in text
    assert "<title>Anode study</title>" in text
    # CasaXPS-like component table with σ, line shape and background
    for column in ("position (eV)", "FWHM (eV)", "area (counts·eV)", "% ± σ", "line shape", "background"):
        assert f"<th>{column}</th>" in text
    table = xps.component_table().set_index("name")
    assert f"{100 * table.loc['Li2S', 'fraction']:.2f} ± {100 * table.loc['Li2S', 'fraction_stderr']:.2f}" in text
    assert "GL(30)" in text and "active-shirley" in text
    # XRD phase table and provenance
    assert "weight % ± σ" in text and xrd.provenance["input_sha256"][:16] in text
    assert "No flags" in text


def test_metadata_from_files_is_escaped(evil_fit, tmp_path):
    text = write_report(evil_fit, tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text  # shown as text, in the tables
    check_well_formed(text)
    # the figure's title carries it too, escaped by the SVG writer
    svg = text[text.index("<svg"):text.index("</svg>")]
    assert "&lt;script&gt;" in svg


def test_notebook_view_escapes_metadata(evil_fit):
    view = evil_fit._repr_html_()
    assert "<script" not in view.lower() and "&lt;script&gt;" in view


def test_flags_and_failures_are_reported(tmp_path):
    """A fit with a parameter at its bound (Li2S absent from the data) and a corrupt file in a batch."""
    da, _ = simulate.xps("S 2p", {"PS4": 1.0, "Li2S": 0.0}, seed=7)
    flagged = spectra.fit(da, examples.RECIPES[XPS])
    assert flagged.at_bound  # the premise: this noise puts Li2S_area at its bound
    bad = tmp_path / "broken.vms"
    bad.write_text("VAMAS Surface Chemical Analysis Standard Data Transfer Format 1988 May 4\nnot a number\n")
    batch = spectra.fit_many([examples.path(XPS), bad], examples.RECIPES[XPS])
    assert not bool(batch.success[1])
    text = render_html([flagged, batch])
    flags = text[text.index('id="flags"'):text.index('id="fits"')]
    assert "Li2S_area" in flags and "at lower bound" in flags
    assert "broken.vms" in flags and "failed" in flags
    assert "not ok" in text
    # the failure is a summary row too, and the batch's good spectrum an entry without a figure
    assert "no figure: this result holds no curves" in text


class _Comparison:
    """A comparison as the report sees one: ``table()``, ``to_dataset()``, ``plot(fig=)`` and ``fits``."""

    def __init__(self, fits):
        self.fits = fits
        self.skipped = {"group carbon-free/notes.txt": "not an XPS or XRD file"}

    def conclusions(self):
        return ["carbon: xps:S 2p:li2s_growth higher than pristine by 0.31 ± 0.02 (Holm p = 1e-05)"]

    def table(self):
        return pd.DataFrame({"group": ["carbon", "carbon-free"], "metric": ["xps:S 2p:li2s_growth"] * 2,
                             "unit": ["1", "1"], "value": [0.31, 0.08], "stderr": [0.02, 0.03],
                             "significant": [True, False]})

    def to_dataset(self):
        return self.table().to_xarray()

    def plot(self, fig=None):
        ax = fig.add_subplot()
        ax.bar(["carbon", "carbon-free"], [0.31, 0.08], label="Li2S growth")
        return fig


def test_comparison_section(tmp_path):
    comparison = _Comparison({("carbon", "r1", "S 2p"): example_fit(XPS)})
    text = write_report([], tmp_path / "c.html", comparison=comparison).read_text(encoding="utf-8")
    section = text[text.index('id="comparison"'):text.index('id="fits"')]
    assert "xps:S 2p:li2s_growth" in section and "carbon-free" in section and "<svg" in section
    assert "higher than pristine by 0.31 ± 0.02" in section  # its conclusions
    assert text.count("<svg") == 2  # the comparison's figure and its fit's
    assert "<h3>carbon · r1</h3>" in text  # the fit named by its group and replicate
    flags = text[text.index('id="flags"'):text.index('id="comparison"')]
    assert "notes.txt: failed — not an XPS or XRD file" in flags  # what the comparison skipped
    check_well_formed(text)


def test_comparison_figure_failure_is_said_and_the_rest_written(tmp_path):
    comparison = _Comparison({})
    comparison.plot = lambda fig=None: 1 / 0
    text = render_html([example_fit(XPS)], comparison=comparison)
    assert "comparison figure not drawn: ZeroDivisionError" in text and "li2s_growth" in text


def test_write_report_refuses_and_never_overwrites(tmp_path):
    with pytest.raises(ValueError, match="suffix"):
        write_report([], tmp_path / "r.docx")
    with pytest.raises(TypeError, match="not int"):
        render_html([1])
    path = tmp_path / "r.html"
    path.write_text("mine")
    with pytest.raises(SpectraError):
        write_report([], path)
    assert path.read_text() == "mine"


def test_tables_from_the_dataset_equal_the_results_own():
    """Absolute centres with a charge shift and a centre offset from another component: the
    dataset path (stored covariance) gives the result's numbers and σ."""
    da, _ = simulate.xps("S 2p", {"PS4": 0.6, "Li2S": 0.4}, seed=11)
    recipe = {"region": "S 2p", "components": ["PS4", "Li2S"], "lineshape": "GL(30)",
              "background": "active-shirley", "shift": {"value": 0, "min": -2, "max": 2},
              "overrides": {"Li2S": {"center": {"offset_from": "PS4", "value": -1.6, "min": -1.9, "max": -1.3}}}}
    result = spectra.fit(da, recipe)
    mine = tables.xps_components(result.to_dataset()).set_index("name")
    theirs = result.component_table().set_index("name")
    for a, b in (("position_eV", "center_eV"), ("position_stderr", "center_stderr"), ("fwhm_eV", "fwhm_eV"),
                 ("area", "area"), ("area_stderr", "area_stderr")):
        np.testing.assert_allclose(mine[a], theirs[b], rtol=1e-6, equal_nan=True)
    np.testing.assert_allclose(mine["percent"] / 100, theirs["fraction"], rtol=1e-9)
    assert np.all(np.isfinite(mine["position_stderr"]))


def test_format_value():
    assert tables.format_value(161.697223, 0.001948, "eV") == "161.6972 ± 0.0019 eV"
    assert tables.format_value(28996.43, 87.07) == "28996 ± 87"
    assert tables.format_value(0.5, float("nan")) == "0.5 ± n/a"


def test_report_of_a_results_file(tmp_path):
    """What ``spectra report RESULTS`` does: a saved results file, given by its path."""
    results = pytest.importorskip("spectra.results", reason="the results files of spectra.results")
    path = results.save_results(example_fit(XPS), tmp_path / "fits.h5")
    text = write_report([path], tmp_path / "r.html").read_text(encoding="utf-8")
    assert text.count("<svg") == 1 and str(path) in text
    assert f"{100 * example_fit(XPS).fractions()['Li2S'].n:.2f} ±" in text
