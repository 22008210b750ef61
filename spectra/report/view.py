"""What a report shows of each fit and comparison, as plain strings and inline figures: built once,
rendered by the HTML template, the PDF pages and the notebook views alike."""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from ..plotting import fitdata, style
from . import tables
from .tables import format_value


@dataclass
class TableView:
    """A table as strings: ``columns``, ``rows`` (lists of str) and which columns are numeric."""

    columns: list[str]
    rows: list[list[str]]
    numeric: list[bool]


def _xps_table(ds) -> TableView:
    df = tables.xps_components(ds)
    rows = [[r.name, format_value(r.position_eV, r.position_stderr), format_value(r.fwhm_eV, r.fwhm_stderr),
             format_value(r.area, r.area_stderr), format_value(r.percent, r.percent_stderr), r.line_shape,
             r.background] for r in df.itertuples()]
    return TableView(["name", "position (eV)", "FWHM (eV)", "area (counts·eV)", "% ± σ", "line shape",
                      "background"], rows, [False, True, True, True, True, False, False])


def _xrd_table(ds) -> TableView:
    df = tables.xrd_phases(ds)
    rows = [[r.phase, format_value(100 * r.weight_fraction, 100 * r.weight_fraction_stderr),
             format_value(r.size_nm, r.size_stderr), format_value(r.scale, r.scale_stderr),
             "n/a" if not math.isfinite(r.significance) else f"{r.significance:.1f}",
             "" if not math.isfinite(r.r_bragg) else f"{r.r_bragg:.2f}"] for r in df.itertuples()]
    return TableView(["phase", "weight % ± σ", "size (nm)", "scale", "scale/σ", "R_Bragg (%)"], rows,
                     [False, True, True, True, True, True])


def _xps_headline(ds) -> str:
    df = tables.xps_components(ds)
    return ", ".join(f"{r.name} {format_value(r.percent, r.percent_stderr, '%')}" for r in df.itertuples())


def _xrd_headline(ds) -> str:
    df = tables.xrd_phases(ds)
    return ", ".join(f"{r.phase} {format_value(100 * r.weight_fraction, 100 * r.weight_fraction_stderr, 'wt%')}"
                     for r in df.itertuples())


#: by technique: the table a reader looks at first, and the fit's main numbers in one line
MAIN_TABLES = {"xps": _xps_table, "xrd": _xrd_table}
HEADLINES = {"xps": _xps_headline, "xrd": _xrd_headline}


def main_table(ds) -> TableView | None:
    """The table a reader looks at first: components (XPS, CasaXPS-like columns) or phases (XRD);
    None for a technique without one (:data:`MAIN_TABLES`)."""
    make = MAIN_TABLES.get(ds.attrs.get("technique"))
    return make(ds) if make else None


def headline(ds) -> str:
    """The fit's main numbers in one line: component fractions (XPS) or weight fractions (XRD); ""
    for a technique without them."""
    make = HEADLINES.get(ds.attrs.get("technique"))
    return make(ds) if make else ""


def numbers_table(df: pd.DataFrame) -> TableView:
    """Rows of ``quantity``, ``value``, ``stderr``, ``unit``, ``flag`` (:func:`tables.parameters`, a
    result's ``table()``) with value ± σ; a fixed number is marked so, without σ."""
    rows = [[r.quantity, f"{r.value:.6g} (fixed)" if r.flag == "fixed" else format_value(r.value, r.stderr),
             "" if r.unit == "1" else str(r.unit), "" if r.flag == "fixed" else r.flag] for r in df.itertuples()]
    return TableView(["quantity", "value ± σ", "unit", "flag"], rows, [False, True, False, False])


def parameter_table(ds) -> TableView:
    """Every parameter of one fit with σ, unit and flag."""
    return numbers_table(tables.parameters(ds))


def frame_table(df: pd.DataFrame, *, digits: int = 4) -> TableView:
    """Any DataFrame (a comparison's tidy table) as strings; floats to ``digits`` significant digits."""
    def cell(v):
        if isinstance(v, float):
            return "" if math.isnan(v) else f"{v:.{digits}g}"
        return str(v)

    numeric = [pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]) for c in df.columns]
    return TableView([str(c) for c in df.columns], [[cell(v) for v in row] for row in df.itertuples(index=False)],
                     numeric)


#: size (inches), fixed margins and options of a fit's figure in reports, by technique (the XPS legend
#: sits beside the axes)
FIGURES = {"xps": ((6.6, 4.4), {"left": 0.11, "right": 0.68, "top": 0.88, "bottom": 0.1}, {"legend": "outside"}),
           "xrd": ((6.4, 5.0), {"left": 0.1, "right": 0.97, "top": 0.9, "bottom": 0.09}, {})}


def figure_of(ds, fig=None):
    """Draw one fit into ``fig`` (a new pyplot-free figure when None, sized for its technique)."""
    from ..plotting import plot_fit

    size, margins, options = FIGURES.get(ds.attrs.get("technique"), ((6.4, 4.8), None, {}))
    with style.publication():
        fig = fig if fig is not None else style.new_figure(*size, margins=margins)
        plot_fit(ds, fig.add_subplot(), **options)
    return fig


def fit_svg(ds, salt: str) -> str:
    """One fit's figure as inline SVG."""
    return style.svg(figure_of(ds), salt=salt)


def provenance(ds) -> dict:
    """Source, hashes, recipe, engine, weights and method of one fit ("" where unknown)."""
    prov = fitdata.provenance(ds)
    keys = ("input_sha256", "recipe_sha256", "recipe", "weights", "method", "source")
    out = {k: str(prov.get(k) or "") for k in keys}
    out["recipe_sha256"] = out["recipe_sha256"] or str(ds.attrs.get("recipe_sha256", ""))
    out["recipe"] = out["recipe"] or str(ds.attrs.get("recipe", ""))
    out["weights"] = out["weights"] or str(ds.attrs.get("weights", ""))
    out["engine"] = str(ds.attrs.get("engine", ""))
    return out


def fit_view(entry, index: int, *, figure: bool = True) -> dict:
    """Everything the report shows of one fit (strings, tables, the figure as SVG)."""
    ds = entry.ds
    st = fitdata.status(ds)
    view = {"index": index, "sample": entry.sample, "region": entry.region, "source": entry.source,
            "redchi": _redchi(st["redchi"]), "ok": st["ok"], "statistics": _statistics(ds),
            "flags": tables.flags(ds), "headline": headline(ds),
            "main_table": main_table(ds), "parameters": parameter_table(ds), "provenance": provenance(ds),
            "svg": "", "no_figure": "", "ds": ds}
    if not fitdata.has_curves(ds):
        view["no_figure"] = "no figure: this result holds no curves (fit_many keeps parameters only)"
    elif figure:
        view["svg"] = fit_svg(ds, salt=f"fit{index}")
    return view


def _redchi(value: float) -> str:
    """χ²ᵣ as a reader compares it with 1: two decimals (three significant digits when large)."""
    return f"{value:.2f}" if abs(value) < 100 else f"{value:.3g}"


def _statistics(ds) -> str:
    """The agreement factors a fit reports beside χ²ᵣ (XRD: Rwp, Rexp), or ""."""
    if "rwp" not in ds:
        return ""
    return f"Rwp = {float(ds['rwp']):.2f} %, Rexp = {float(ds['rexp']):.2f} %"
