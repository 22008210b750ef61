"""The optional ipywidgets refit panel: edits become recipe overrides, the refit's flags show, and a
refused edit is shown without losing the last fit."""
from __future__ import annotations

import pytest

import spectra
from spectra import examples

from ..plotting.fits import XPS

pytest.importorskip("ipywidgets", reason="the refit panel is optional: pip install ipywidgets")


def test_refit_panel():
    from spectra.report.panel import RefitPanel

    panel = RefitPanel(spectra.load(examples.path(XPS)), examples.RECIPES[XPS])
    assert panel.result.ok and panel.view.value.count("<svg") == 1
    panel.component.value = "Li2S"
    assert panel.fields[("center", "max")].value == 160.6  # the recipe's own bound, loaded
    # hold Li2S below where the data put it (160.0 eV): the refit ends at the bound and says so
    panel.fields[("center", "value")].value = 159.7
    panel.fields[("center", "max")].value = 159.8
    result = panel.refit()
    assert result.at_bound == {"Li2S_center": "upper"} and not result.ok
    assert "not ok" in panel.view.value
    assert panel.recipe["overrides"]["Li2S"]["center"] == {"value": 159.7, "min": 159.5, "max": 159.8}
    # a bound the recipe refuses: the reason is shown, the last fit kept
    panel.fields[("center", "min")].value = 170.0
    assert panel.refit() is result
    assert "min 170.0 &gt; max 159.8" in panel.view.value
