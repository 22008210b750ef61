"""Publication figures of XRD patterns: a fitted pattern with its difference curve and reference
tick strips (:func:`plot_xrd`), and a measured pattern with the reflections of chosen phases
(:func:`plot_xrd_pattern`)."""
from __future__ import annotations

import numpy as np

from . import fitdata, style
from .panels import split_below, title_of

#: phases whose strongest reflections are annotated in the pattern itself (decomposition products)
ANNOTATED = ("Li2S",)
#: hkl labels written in a phase's tick strip: its strongest lines in the window
HKL_LABELS = 3


def reflections(fit) -> dict[str, dict[str, np.ndarray]]:
    """Each phase's reflections at the fitted cell, displacement and zero shift.

    Read from the dataset when it holds them (``reflection_two_theta``, ``reflection_hkl``,
    ``reflection_intensity`` and ``reflection_phase`` on dim ``reflection``); otherwise computed
    from the fit's recipe and parameter values with the package's reflection lists (the radiation
    from the recipe, or from ``attrs["anode"]``/``attrs["wavelength_ka1"]`` when the dataset has them).

    Parameters
    ----------
    fit : XRDFitResult or xarray.Dataset
        A result or the dataset of one fit.

    Returns
    -------
    dict
        Phase → ``hkl`` (array of str), ``two_theta`` (degrees, Kα1), ``intensity`` (integrated,
        counts·degree), lines within the pattern's range.
    """
    ds = fitdata.one_fit(fit)
    if "reflection_two_theta" in ds:
        out = {}
        for phase in dict.fromkeys(str(p) for p in ds["reflection_phase"].values):
            sel = ds["reflection_phase"].values == phase
            out[phase] = {"hkl": ds["reflection_hkl"].values[sel].astype(str),
                          "two_theta": ds["reflection_two_theta"].values[sel],
                          "intensity": ds["reflection_intensity"].values[sel]}
        return out
    from ..xrd.pattern_model import XRDModel
    from ..xrd.recipe import parse_xrd_recipe

    radiation = {k: ds.attrs[k] for k in ("anode", "wavelength_ka1", "wavelength_ka2", "ka2_ratio") if k in ds.attrs}
    spec = parse_xrd_recipe(fitdata.recipe(ds), attrs=radiation or None)
    values = fitdata.values(ds)
    x = ds["two_theta"].values
    model = XRDModel(spec, x, ds["data"].values, starts=np.array(list(values.values())))
    out = {}
    for ph in spec.phases:
        table = model.line_table(ph.name, values)
        inside = (table["two_theta"] >= x.min()) & (table["two_theta"] <= x.max())
        out[ph.name] = {"hkl": np.asarray(table["hkl"], dtype=str)[inside], "two_theta": table["two_theta"][inside],
                        "intensity": np.asarray(table["intensity"])[inside]}
    return out


def plot_xrd(fit, ax=None, *, ticks: bool = True, annotate=ANNOTATED, hkl_labels: int = HKL_LABELS,
             title: str | None = None):
    """A fitted XRD pattern in the manner of a Rietveld plot.

    Data as small open circles, the fit, the background (dashed) and each phase's or hump's
    contribution above it; a strip of reference ticks per phase (its colour, the ``hkl_labels``
    strongest lines labelled with their hkl); the difference curve (data − fit, counts) at the
    bottom. The strongest reflections of the phases in ``annotate`` (Li2S by default) are labelled in
    the pattern itself.

    Parameters
    ----------
    fit : XRDFitResult or xarray.Dataset
        A result or the dataset of one fit.
    ax : matplotlib.axes.Axes, optional
        Where to draw the pattern; the tick strips and the difference panel are split off below it
        (held as ``ax.tick_axes`` and ``ax.residual_axes``). A new figure when None.
    ticks : bool
        Draw the tick strips.
    annotate : sequence of str
        Phases whose strongest reflections are labelled in the pattern.
    hkl_labels : int
        Lines labelled per tick strip.
    title : str, optional
        Replaces the automatic title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ds = fitdata.one_fit(fit)
    if not fitdata.has_curves(ds):
        raise ValueError("this dataset holds no curves to draw: use result.to_dataset(curves=True)")
    lines = reflections(ds) if ticks or annotate else {}
    ax = style.user_axes(ax, width=6.4, height=4.8)
    with style.publication():
        x, bg, fit_curve = ds["two_theta"].values, ds["background"].values, ds["best_fit"].values
        colours = {str(name): style.colour(k) for k, name in enumerate(ds["curve"].values)}
        ax.plot(x, ds["data"].values, "o", ms=1.8, mfc="none", mec="0.35", mew=0.4, label="data", zorder=2)
        for name, colour in colours.items():
            curve = ds["components"].sel(curve=name).values
            ax.plot(x, bg + curve, color=colour, lw=0.8, label=name, zorder=3)
        ax.plot(x, bg, "--", color="0.45", lw=0.9, label="background", zorder=3)
        ax.plot(x, fit_curve, color="k", lw=0.8, label="fit", zorder=4)
        ax.set_xlim(x.min(), x.max())
        ax.set_ylabel(f"intensity ({ds['data'].attrs.get('units', 'counts')})")
        ax.set_title(title if title is not None else title_of(ds))
        for phase in annotate:
            if phase in lines:
                _annotate(ax, x, fit_curve, lines[phase], phase, colours.get(phase, "k"))
        ax.legend(loc="upper right", ncols=2)
        ax.margins(y=0.12)
        phases = [p for p in lines if p in colours] if ticks else []
        panels = split_below(ax, (5.0, 0.45 * max(len(phases), 1), 1.4) if phases else (5.0, 1.4))
        if phases:
            _tick_strips(panels[0], phases, lines, colours, hkl_labels)
            ax.tick_axes = panels[0]
        diff = panels[-1]
        diff.axhline(0, color="0.5", lw=0.6)
        diff.plot(x, ds["residual"].values, color="k", lw=0.6)
        diff.set_ylabel("data−fit", fontsize=7.5)
        diff.set_xlabel("2θ (degree)")
        ax.residual_axes = diff
    return ax


def _annotate(ax, x, fit_curve, table, phase: str, colour: str, n: int = 3) -> None:
    """Label the ``n`` strongest reflections of ``phase`` at the fit's height."""
    for k in _spread(table, n):
        tt = float(table["two_theta"][k])
        y = float(np.interp(tt, x, fit_curve))
        ax.annotate(f"{phase} ({table['hkl'][k].split()[0]})", (tt, y), xytext=(0, 14), textcoords="offset points",
                    ha="center", va="bottom", fontsize=7, color=colour, rotation=90, zorder=5,
                    arrowprops={"arrowstyle": "-", "color": colour, "lw": 0.6, "shrinkA": 0, "shrinkB": 1})


def _tick_strips(ax, phases, lines, colours, hkl_labels: int) -> None:
    """One row of vertical ticks per phase, its name at the left and its strongest lines' hkl."""
    for row, phase in enumerate(phases):
        table, y0 = lines[phase], -row
        colour = colours[phase]
        ax.vlines(table["two_theta"], y0 - 0.35, y0 + 0.35, color=colour, lw=0.9)
        for k in _spread(table, hkl_labels):
            ax.text(table["two_theta"][k], y0 + 0.38, table["hkl"][k].split()[0], fontsize=6, color=colour,
                    ha="center", va="bottom", clip_on=True)
        ax.text(0.002, y0, f" {phase}", transform=ax.get_yaxis_transform(), fontsize=7, color=colour,
                ha="left", va="center", bbox={"fc": "white", "ec": "none", "pad": 0.5, "alpha": 0.8})
    ax.set_ylim(-len(phases) + 0.4, 0.9)
    ax.set_yticks([])
    ax.tick_params(axis="x", which="both", direction="inout")


def _spread(table, n: int, gap: float = 2.0) -> list[int]:
    """Indices of the ``n`` strongest lines at least ``gap`` degrees apart (labels that do not collide)."""
    chosen: list[int] = []
    for k in np.argsort(table["intensity"])[::-1]:
        if len(chosen) == n:
            break
        if all(abs(table["two_theta"][k] - table["two_theta"][j]) >= gap for j in chosen):
            chosen.append(int(k))
    return chosen


def plot_xrd_pattern(da, ax=None, *, phases=(), hkl_labels: int = HKL_LABELS, **kwargs):
    """A measured XRD pattern, with reference tick strips of ``phases`` (``da.xrd.plot(phases=[...])``).

    Parameters
    ----------
    da : xarray.DataArray
        A 1-D pattern on ``two_theta``.
    ax : matplotlib.axes.Axes, optional
    phases : sequence of str
        Reference phases (``spectra.xrd.structure.phase_names()``) whose lines are ticked, at their
        reference cells and the pattern's Kα1 wavelength (``attrs["wavelength_ka1"]``, else Cu Kα1).
    hkl_labels : int
        Lines labelled per tick strip.
    **kwargs
        Passed to ``Axes.plot``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if "two_theta" not in da.dims or da.ndim != 1:
        raise ValueError(f"an XRD pattern is 1-D on two_theta; this one has dims {da.dims}")
    from ..xrd.reflections import compute
    from ..xrd.structure import load_structure

    x = da["two_theta"].values
    lam = float(da.attrs.get("wavelength_ka1") or 1.540562)
    lines = {}
    for phase in phases:
        table = compute(load_structure(phase), wavelength=lam, two_theta_max=min(float(x.max()) + 2, 170.0))
        inside = (table.two_theta >= x.min()) & (table.two_theta <= x.max())
        lines[phase] = {"hkl": np.asarray(table.hkl, dtype=str)[inside], "two_theta": table.two_theta[inside],
                        "intensity": table.intensity[inside]}
    ax = style.user_axes(ax, width=6.4, height=3.6 + 0.3 * len(lines))
    with style.publication():
        ax.plot(x, da.values, **{"color": "k", "lw": 0.7, **kwargs})
        ax.set_xlim(x.min(), x.max())
        ax.set_ylabel(f"intensity ({da.attrs.get('units', 'counts')})")
        ax.set_title(str(da.attrs.get("sample") or ""))
        if lines:
            (strip,) = split_below(ax, (5.0, 0.45 * len(lines)))
            _tick_strips(strip, list(lines), lines, {p: style.colour(k) for k, p in enumerate(lines)}, hkl_labels)
            strip.set_xlabel("2θ (degree)")
            ax.tick_axes = strip
        else:
            ax.set_xlabel("2θ (degree)")
    return ax
