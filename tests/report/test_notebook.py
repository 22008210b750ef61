"""Notebook views: an HTML table, one inline SVG figure and a text fallback for single results,
batches and comparisons, shown once (no figure left in pyplot's state); the accessors."""
from __future__ import annotations

import os

import matplotlib.pyplot as plt
import numpy as np
import pytest

import spectra
from spectra import examples, simulate
from spectra.errors import RecipeError
from spectra.report.notebook import BatchView, comparison_html

from ..plotting.fits import XPS, XRD, example_fit
from .test_report import _Comparison


@pytest.fixture(autouse=True)
def _close():
    plt.close("all")
    yield
    plt.close("all")


@pytest.mark.parametrize("name", [XPS, XRD])
def test_result_views_leave_no_figure_open(name):
    result = example_fit(name)
    bundle = result._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}
    assert bundle["text/plain"] == result.summary()
    html = bundle["text/html"]
    assert html.count("<svg") == 1 and "<table>" in html
    assert plt.get_fignums() == [], "a figure left in pyplot would be shown a second time by the inline backend"
    assert result._repr_mimebundle_(include={"text/plain"}) == {"text/plain": result.summary()}
    assert "text/html" not in result._repr_mimebundle_(exclude={"text/html"})


def test_batch_view():
    das = [simulate.xps("S 2p", {"PS4": 1 - f, "Li2S": f}, seed=k)[0] for k, f in enumerate((0.2, 0.4))]
    bad = das[0].copy(data=np.full(das[0].size, np.nan))
    ds = spectra.fit_many([*das, bad], examples.RECIPES[XPS])
    view = ds.fits.view()
    assert isinstance(view, BatchView)
    assert repr(view) == "batch of 3 xps fits (S 2p): 2 converged, 2 ok"
    html = view._repr_html_()
    assert html.count("<svg") == 1 and html.count("<tr>") == 4  # header + one row per spectrum
    assert str(ds["message"].values[2]) in html.replace("&#39;", "'").replace("&quot;", '"')
    assert plt.get_fignums() == []


def test_comparison_view_closes_a_pyplot_figure():
    comparison = _Comparison({})

    def plot():  # a plot() that makes its own pyplot figure
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        return fig

    comparison.plot = plot
    html = comparison_html(comparison)
    assert html.count("<svg") == 1 and "li2s_growth" in html
    assert plt.get_fignums() == []


def test_notebook_shows_a_result_once(tmp_path):
    """Executed in a real kernel with the inline backend: one output, HTML with one figure, no PNG;
    then ``result.plot()`` and a figure of the user's own are each shown once (the package's rc
    settings must not switch the inline backend off for the rest of the session)."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import spectra\nfrom spectra import examples\n"
        "da = spectra.load(examples.path('S2p_carbon_anode.vms'))\n"
        "result = spectra.fit(da, examples.RECIPES['S2p_carbon_anode.vms'])\nresult"),
        nbformat.v4.new_code_cell("result.plot()"),
        nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nfig, axes = plt.subplots(1, 2)\n"
                                  "result.plot(ax=axes[0])\naxes[1].plot([0, 1])")]
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # the kernel's own inline backend
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute(cwd=str(tmp_path), env=env)
    outputs = nb.cells[0].outputs
    assert len(outputs) == 1, [o.get("output_type") for o in outputs]
    data = outputs[0]["data"]
    assert "image/png" not in data and data["text/html"].count("<svg") == 1
    for cell in nb.cells[1:]:
        images = [o for o in cell.outputs if "image/png" in o.get("data", {})]
        assert len(images) == 1, f"shown {len(images)} times: {cell.source}"


def test_accessors_fit_and_identify():
    import spectra.accessors  # noqa: F401

    xps = spectra.load(examples.path(XPS))
    with pytest.raises(RecipeError, match="da.xrd.fit"):
        xps.xps.fit(examples.RECIPES[XRD])
    xrd = spectra.load(examples.path(XRD))
    recipe = {k: v for k, v in examples.RECIPES[XRD].items() if k != "technique"}  # the accessor says XRD
    assert xrd.xrd.fit(recipe).values == pytest.approx(example_fit(XRD).values)
    ranked = xrd.xrd.identify(candidates=["LiCl", "Si"])
    assert ranked[0].phase == "Si"
