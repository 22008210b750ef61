"""An ipywidgets panel (optional: ``pip install ipywidgets``) to adjust one XPS component's start
value and bounds of centre and FWHM and refit, seeing the new figure, table and flags at once::

    from spectra.report.panel import RefitPanel
    panel = RefitPanel(da, recipe)
    panel            # in a notebook: the controls and the fit
    panel.result     # the latest fit; panel.recipe holds the overrides that made it
"""
from __future__ import annotations

import html
import math

from .._optional import require
from ..errors import SpectraError

#: the parameters the panel edits, and the parts of each
QUANTITIES = ("center", "fwhm")
PARTS = ("value", "min", "max")


class RefitPanel:
    """Controls for one component's ``center`` and ``fwhm`` (start value, lower and upper bound), a
    Refit button, and the fit's notebook view.

    Parameters
    ----------
    da : xarray.DataArray
        One XPS spectrum.
    recipe : str, pathlib.Path or dict
        An XPS recipe; the panel's edits become its ``overrides`` (:attr:`recipe`).
    **options
        Passed to :func:`spectra.fit`.

    Attributes
    ----------
    result : XPSFitResult
        The latest successful fit.
    recipe : dict
        The recipe with the overrides of the latest refit.
    widget : ipywidgets.VBox
        What the notebook shows.
    """

    def __init__(self, da, recipe, **options):
        from .. import fit
        from ..recipe import load_recipe

        widgets = require("ipywidgets", "The refit panel")
        self._fit = fit
        self.da, self.options = da, options
        self.recipe = dict(load_recipe(recipe).data)
        self.result = fit(da, self.recipe, **options)
        self.component = widgets.Dropdown(options=[c.name for c in self.result.spec.components],
                                          description="component")
        self.fields = {(q, p): widgets.FloatText(description=f"{q} {p}", layout={"width": "220px"})
                       for q in QUANTITIES for p in PARTS}
        self.button = widgets.Button(description="Refit", button_style="primary")
        self.view = widgets.HTML(self.result._repr_html_())
        self.component.observe(lambda change: self._load(), names="value")
        self.button.on_click(lambda button: self.refit())
        rows = [widgets.HBox([self.fields[(q, p)] for p in PARTS]) for q in QUANTITIES]
        self.widget = widgets.VBox([self.component, *rows, self.button, self.view])
        self._load()

    def _spec(self, name: str):
        return next(c for c in self.result.spec.components if c.name == name)

    def _load(self) -> None:
        """Fill the fields with the selected component's start values and bounds as the last fit used them."""
        comp = self._spec(self.component.value)
        for q in QUANTITIES:
            param = comp.center if q == "center" else self._spec(comp.fwhm_same_as or comp.name).fwhm
            for p in PARTS:
                field = self.fields[(q, p)]
                field.value = float(getattr(param, p) if p != "value" else param.value or math.nan)
                field.disabled = q == "fwhm" and comp.fwhm_same_as is not None  # shares another's FWHM

    def refit(self):
        """Refit with the fields as the selected component's overrides; a refused recipe or a failed
        fit is shown in place of the view, and the previous result is kept.

        Returns
        -------
        XPSFitResult
            The latest successful fit.
        """
        name = self.component.value
        overrides = dict(self.recipe.get("overrides", {}))
        entry = dict(overrides.get(name, {}))
        for q in QUANTITIES:
            if self.fields[(q, "value")].disabled:
                continue
            given = entry.get(q) if isinstance(entry.get(q), dict) else {}
            entry[q] = {**given, **{p: float(self.fields[(q, p)].value) for p in PARTS}}
        recipe = {**self.recipe, "overrides": {**overrides, name: entry}}
        try:
            result = self._fit(self.da, recipe, **self.options)
        except SpectraError as exc:
            self.view.value = f'<b style="color:#b00020">{html.escape(str(exc))}</b>' + self.result._repr_html_()
            return self.result
        self.recipe, self.result = recipe, result
        self.view.value = result._repr_html_()
        self._load()
        return result

    def _repr_mimebundle_(self, include=None, exclude=None):
        return self.widget._repr_mimebundle_(include=include, exclude=exclude)
