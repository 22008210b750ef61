"""The publication figures: each promised element is checked on the Axes, positions against
physics computed here (Bragg's law, the doublet's splitting), and a live result draws exactly as
the same fit reloaded from a file."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr
from matplotlib.collections import LineCollection, PolyCollection

import spectra
from spectra import examples
from spectra.plotting import plot_fit, plot_xps, plot_xrd, style

from .fits import XPS, XRD, example_fit


@pytest.fixture(autouse=True)
def _no_show_no_leak(monkeypatch):
    """No figure function may call plt.show(); figures a test opens are closed after it."""
    def no_show(*args, **kwargs):
        raise AssertionError("plt.show() called")

    monkeypatch.setattr(plt, "show", no_show)
    yield
    plt.close("all")


def _axes():
    fig = style.new_figure(6.6, 4.4)
    return fig.add_subplot()


def test_xps_figure_has_every_promised_element():
    result = example_fit(XPS)
    ax = plot_xps(result, _axes(), legend="outside")
    x0, x1 = ax.get_xlim()
    assert x0 > x1, "binding energy must decrease to the right"
    data = [line for line in ax.lines if line.get_label() == "data"][0]
    assert data.get_marker() == "o" and data.get_markerfacecolor() == "none"  # open circles
    background = [line for line in ax.lines if line.get_label().startswith("background")][0]
    assert background.get_linestyle() == "--"
    assert any(line.get_label() == "envelope" for line in ax.lines)
    # each doublet line filled on its own above the background: 2 components x 2 lines
    fills = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(fills) == 4
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert {"PS4 (2p3/2, 2p1/2 hatched)", "Li2S (2p3/2, 2p1/2 hatched)"} <= set(legend)
    minor = [c for c in fills if c.get_hatch()]
    assert len(minor) == 2  # the 2p1/2 lines, each its own hatched area
    assert "recorded in the file" in ax.get_legend().get_title().get_text()  # energy referencing
    assert "S 2p" in ax.get_title() and result.provenance["sample"] in ax.get_title()
    assert ax.get_legend().get_window_extent().x0 > ax.get_window_extent().x1  # beside the axes
    # labels at the peak tops: each at its major line's fitted centre
    labels = {t.get_text(): t for t in ax.texts}
    centres = result.centers()
    for name in ("PS4", "Li2S"):
        assert labels[name].xy[0] == pytest.approx(centres[name].n, abs=0.1)  # the axis step
    # residual panel below, sharing the (inverted) axis, in units of σ
    res = ax.residual_axes
    assert res.get_xlim() == ax.get_xlim()
    assert "σ" in res.get_ylabel()
    (line,) = [ln for ln in res.lines if len(ln.get_xdata()) == result.x.size]
    np.testing.assert_allclose(line.get_ydata(), (result.y - result.best_fit) / result.sigma)


def test_doublet_lines_are_the_spin_orbit_pair():
    """The per-line curves: 2p1/2 sits 1.18 eV above 2p3/2 with half its area (the recipe's library
    values), and the two add up to the component."""
    ds = example_fit(XPS).to_dataset(curves=True).isel(spectrum=0)
    x = ds["binding_energy"].values
    for comp in ("PS4", "Li2S"):
        major = ds["lines"].sel(line=f"{comp} 2p3/2").values
        minor = ds["lines"].sel(line=f"{comp} 2p1/2").values
        assert x[np.argmax(minor)] - x[np.argmax(major)] == pytest.approx(1.18, abs=0.1)
        assert abs(np.trapezoid(minor, x)) / abs(np.trapezoid(major, x)) == pytest.approx(0.5, rel=1e-3)
        np.testing.assert_allclose(major + minor, ds["components"].sel(curve=comp).values, rtol=1e-12, atol=1e-9)


def test_xrd_figure_has_difference_ticks_and_li2s_annotations():
    result = example_fit(XRD)
    ax = plot_xrd(result, _axes())
    x0, x1 = ax.get_xlim()
    assert x0 < x1
    assert {"data", "fit", "background", "Li2S"} <= {line.get_label() for line in ax.lines}
    # difference curve: data - fit
    diff = ax.residual_axes
    (line,) = [ln for ln in diff.lines if len(ln.get_xdata()) == result.x.size]
    np.testing.assert_allclose(line.get_ydata(), result.y - result.best_fit)
    # one tick strip per phase, named, with hkl labels
    strips = ax.tick_axes
    assert len([c for c in strips.collections if isinstance(c, LineCollection)]) == 3
    texts = [t.get_text().strip() for t in strips.texts]
    assert {"Li6PS5Cl", "Li2S", "Si"} <= set(texts)
    assert "111" in texts and "220" in texts
    # Li2S reflections annotated where Bragg's law puts them for the fitted cell (antifluorite, Cu Kα1)
    a = result.values["Li2S_a"]
    notes = {t.get_text(): t for t in ax.texts if t.get_text().startswith("Li2S")}
    assert {"Li2S (111)", "Li2S (220)"} <= set(notes)
    for hkl, s in (("111", 3), ("220", 8), ("311", 11)):
        expected = 2 * math.degrees(math.asin(1.540562 / (2 * a / math.sqrt(s))))
        if f"Li2S ({hkl})" in notes:
            assert notes[f"Li2S ({hkl})"].xy[0] == pytest.approx(expected, abs=0.05)


@pytest.mark.parametrize("name", [XPS, XRD])
def test_live_and_reloaded_results_draw_the_same(tmp_path, name):
    result = example_fit(name)
    path = tmp_path / "fit.nc"
    result.to_dataset(curves=True).to_netcdf(path, engine="h5netcdf")
    with xr.open_dataset(path, engine="h5netcdf") as reloaded:
        reloaded = reloaded.load()
    drawn = []
    for fit in (result, reloaded):
        fig = style.new_figure(6, 5)
        plot_fit(fit, fig.add_subplot())
        drawn.append(style.svg(fig, salt="same"))
    assert drawn[0] == drawn[1]


def test_result_plot_delegates_and_leaves_user_axes():
    result = example_fit(XPS)
    fig, given = plt.subplots()
    assert result.plot(ax=given) is given
    assert given.get_xlim()[0] > given.get_xlim()[1]
    assert hasattr(given, "residual_axes") and result.plot(residual=False).figure is not fig


def test_a_batch_without_curves_is_refused_with_the_reason():
    da = spectra.load(examples.path(XPS))
    batch = spectra.fit_many([da, da], examples.RECIPES[XPS])
    with pytest.raises(ValueError, match="one spectrum"):
        plot_fit(batch)
    with pytest.raises(ValueError, match="curves"):
        plot_fit(batch.isel(spectrum=[0]))


def test_accessor_plots():
    import spectra.accessors  # noqa: F401

    xps = spectra.load(examples.path(XPS))
    ax = xps.xps.plot()
    assert ax.get_xlim()[0] > ax.get_xlim()[1]
    xrd = spectra.load(examples.path(XRD))
    ax = xrd.xrd.plot(phases=["Li2S", "Si"])
    strips = ax.tick_axes
    assert len([c for c in strips.collections if isinstance(c, LineCollection)]) == 2
    # Si 111 at Bragg's angle for a = 5.431 Å (the reference cell)
    si = strips.collections[1].get_segments()
    expected = 2 * math.degrees(math.asin(1.540562 / (2 * 5.431 / math.sqrt(3))))
    assert min(abs(seg[0][0] - expected) for seg in si) < 0.02
    with pytest.raises(ValueError, match="two_theta"):
        xps.xrd.plot()
