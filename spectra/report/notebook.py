"""Notebook views: an HTML table, an inline SVG figure and a text fallback for single results,
batches and comparisons. The figures are drawn outside pyplot, so a notebook shows each once."""
from __future__ import annotations

import numpy as np

from ..plotting import fitdata, style
from .tables import format_value
from .view import TableView, fit_svg, frame_table, main_table, numbers_table


def _render(**fields) -> str:
    from .html import environment

    defaults = {"status": [], "alerts": [], "notes": [], "svg": "", "main": None, "numbers": None,
                "numbers_title": "all numbers", "open_numbers": False, "footnote": ""}
    return environment().get_template("notebook.html.j2").render(**{**defaults, **fields})


def result_html(result, *, footnote: str = "") -> str:
    """The notebook view of one fit result: status, flags and caveats, the figure beside the
    component or phase table, every number of ``result.table()`` with σ, unit and flag, and the
    ``footnote`` (how the σ were made)."""
    ds = fitdata.one_fit(result)
    status = [f"χ²ᵣ = {result.redchi:.4g}, {result.nfev} evaluations, "
              + ("converged" if result.success else f"NOT converged: {result.message}")]
    return _render(heading=f"{result._title()} — {fitdata.sample(ds)}".rstrip(" —"), status=status,
                   alerts=[f"not ok: {result.flags}"] if result.flags else [],
                   notes=[f"caveat: {line}" for line in result.caveats()],
                   svg=fit_svg(ds, salt=None), main=main_table(ds), numbers=numbers_table(result.table()),
                   numbers_title="every parameter and derived number", open_numbers=True, footnote=footnote)


def result_bundle(result, include=None, exclude=None, *, footnote: str = "") -> dict:
    """``_repr_mimebundle_`` of a result: ``text/html`` (:func:`result_html`) and ``text/plain``
    (its ``summary()``)."""
    return _select({"text/plain": result.summary(), "text/html": result_html(result, footnote=footnote)},
                   include, exclude)


def _select(bundle: dict, include, exclude) -> dict:
    return {k: v for k, v in bundle.items() if (not include or k in include) and (not exclude or k not in exclude)}


class BatchView:
    """The notebook view of a batch (:func:`spectra.fit_many`'s Dataset, whose own repr stays
    xarray's): one row per spectrum (source, converged, ok, χ²ᵣ, flags, main numbers) and a figure of
    the fractions with σ.

    Parameters
    ----------
    ds : xarray.Dataset
        A batch of fits (dim ``spectrum``).
    max_rows : int
        Rows shown (the first ones).
    """

    def __init__(self, ds, *, max_rows: int = 50):
        self.ds = ds
        self.max_rows = max_rows

    def table(self) -> TableView:
        """One row per spectrum, as strings."""
        ds = self.ds
        name = "fraction" if "fraction" in ds else "weight_fraction" if "weight_fraction" in ds else None
        rows = []
        for k in range(min(ds.sizes["spectrum"], self.max_rows)):
            one = ds.isel(spectrum=k)
            numbers = ""
            if name is not None and np.isfinite(one[name].values).any():
                dim = next(d for d in one[name].dims)
                numbers = ", ".join(f"{lab} {format_value(float(v), float(s))}" for lab, v, s in
                                    zip(one[dim].values, one[name].values, one[f"{name}_stderr"].values))
            rows.append([str(k), fitdata.sample(one), "yes" if bool(one["success"]) else "NO",
                         "yes" if bool(one["ok"]) else "NO", f"{float(one['redchi']):.3g}",
                         str(one["flags"].values) or ("" if bool(one["success"]) else str(one["message"].values)),
                         numbers])
        return TableView(["#", "sample", "converged", "ok", "χ²ᵣ", "flags / message", name or "numbers"], rows,
                         [True, False, False, False, True, False, True])

    def plot(self, ax=None):
        """The fractions of every spectrum (:func:`spectra.plotting.batch.plot_batch`)."""
        from ..plotting.batch import plot_batch

        return plot_batch(self.ds, ax)

    def __repr__(self) -> str:
        ds = self.ds
        ok = np.asarray(ds["ok"].values, bool)
        return (f"batch of {ok.size} {ds.attrs.get('technique', '')} fits ({ds.attrs.get('region', '')}): "
                f"{int(np.sum(ds['success'].values))} converged, {int(ok.sum())} ok")

    def _repr_html_(self) -> str:
        svg = ""
        if any(n in self.ds for n in ("fraction", "weight_fraction")):
            with style.publication():
                fig = style.new_figure(5.0, 3.2)
                self.plot(fig.add_subplot())
            svg = style.svg(fig)
        shown = min(self.ds.sizes["spectrum"], self.max_rows)
        return _render(heading=repr(self), svg=svg, numbers=self.table(), open_numbers=True,
                       numbers_title=f"spectra (first {shown} of {self.ds.sizes['spectrum']})")

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return _select({"text/plain": repr(self), "text/html": self._repr_html_()}, include, exclude)


def comparison_html(comparison, *, title: str = "comparison") -> str:
    """The notebook view of a comparison: its figure (``comparison.plot``, drawn outside pyplot) and
    its tidy table (``comparison.table()``). For ``Comparison._repr_html_``."""
    try:
        svg = style.svg(style.figure_of_plot(comparison.plot))
        alerts = []
    except Exception as exc:  # the table is still shown; the reader is told why the figure is not
        svg, alerts = "", [f"figure not drawn: {type(exc).__name__}: {exc}"]
    return _render(heading=title, svg=svg, alerts=alerts, numbers=frame_table(comparison.table()),
                   numbers_title="table", open_numbers=True)
