"""Publication figures of XPS regions: a fitted region (:func:`plot_xps`) and a measured spectrum
(:func:`plot_xps_spectrum`). Binding energy always decreases to the right."""
from __future__ import annotations

import numpy as np

from . import fitdata, style
from .panels import residual_panel, title_of

#: labels of components closer than this fraction of the energy range are stacked
LABEL_GAP = 0.08
#: height of one stacking level of labels (fraction of the data's range)
LABEL_STEP = 0.09


def plot_xps(fit, ax=None, *, residual: bool = True, labels: bool = True, title: str | None = None,
             legend: str | None = None):
    """A fitted XPS region in publication style.

    Data as open circles, the envelope (model) as a black line, each component filled above the
    background (a doublet's two lines filled apart, the minor line lighter), the background dashed,
    each component's name at the top of its major line, and the region, sample, χ²ᵣ and energy
    referencing in the title and legend. Below, a panel of the weighted residual (data − model)/σ.

    Parameters
    ----------
    fit : XPSFitResult or xarray.Dataset
        A result or the dataset of one fit (``result.to_dataset(curves=True)``, a reloaded one, or
        one spectrum of a batch that kept its curves).
    ax : matplotlib.axes.Axes, optional
        Where to draw the spectrum; the residual panel is split off below it. A new figure when None.
    residual : bool
        Draw the residual panel (the Axes holds it as ``ax.residual_axes``).
    labels : bool
        Write each component's name at its peak top.
    title : str, optional
        Replaces the automatic title (region, sample, χ²ᵣ).
    legend : {"outside", "inside", "none"}, optional
        ``outside`` (beside the axes, never on the peaks) when the figure is made here; ``inside``
        (the upper corner with less data, small type) when ``ax`` is given, e.g. a panel of the
        user's grid, which has no room beside it.

    Returns
    -------
    matplotlib.axes.Axes
        The spectrum's Axes (x inverted: binding energy decreasing to the right).
    """
    ds = fitdata.one_fit(fit)
    if not fitdata.has_curves(ds):
        raise ValueError("this dataset holds no curves to draw: use result.to_dataset(curves=True)")
    legend = legend or ("outside" if ax is None else "inside")
    if legend not in ("outside", "inside", "none"):
        raise ValueError(f"legend {legend!r}: one of 'outside', 'inside', 'none'")
    ax = style.user_axes(ax, width=6.6, height=4.4)
    with style.publication():
        x = ds["binding_energy"].values
        bg = ds["background"].values
        ax.plot(x, ds["data"].values, "o", ms=3.2, mfc="none", mec="0.25", mew=0.6, label="data", zorder=3)
        tops = [_component(ax, ds, str(name), style.colour(k), x, bg) for k, name in enumerate(ds["curve"].values)]
        ax.plot(x, bg, "--", color="0.45", lw=0.9, label=_background_label(ds), zorder=2)
        ax.plot(x, ds["best_fit"].values, color="k", lw=1.1, label="envelope", zorder=4)
        ax.set_xlim(x.max(), x.min())
        ax.set_ylabel(f"intensity ({ds['data'].attrs.get('units', 'counts')})")
        ax.set_title(title if title is not None else title_of(ds))
        reference = fitdata.energy_reference(ds)
        low, high = float(np.min(ds["data"].values)), float(np.max(ds["data"].values))
        levels = _label_components(ax, ds, tops, high - low) if labels else 0
        ax.set_ylim(low - 0.05 * (high - low), high + (0.16 + LABEL_STEP * levels) * (high - low))  # room for labels
        heading = {"title": f"BE scale:\n{reference}" if reference else None, "title_fontsize": "x-small"}
        if legend == "outside":
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **heading)
        elif legend == "inside":
            ax.legend(loc=_emptier_corner(x, ds["data"].values), fontsize=6, **heading)
        if residual:
            residual_panel(ax, x, ds["residual"].values / ds["sigma"].values, "binding energy (eV)")
        else:
            ax.set_xlabel("binding energy (eV)")
    return ax


def _component(ax, ds, name: str, colour: str, x, bg) -> tuple[str, str, float, float]:
    """One component: its lines filled above the background (the minor line of a doublet lighter and
    hatched) and its outline. Returns (name, colour, energy, height) of its major line's top."""
    if "lines" in ds:
        mine = [i for i, c in enumerate(ds["line_component"].values) if str(c) == name]
        parts = [(str(ds["line_label"].values[i]), ds["lines"].values[i]) for i in mine]
    else:  # a dataset without per-line curves: the component as one area
        parts = [("", ds["components"].sel(curve=name).values)]
    for j, (label, curve) in enumerate(parts):
        ax.fill_between(x, bg, bg + curve, color=colour, alpha=0.45 if j == 0 else 0.2, lw=0,
                        hatch=None if j == 0 else "////", edgecolor=colour,
                        label=(f"{name} ({label}, {parts[1][0]} hatched)" if len(parts) == 2 else name)
                        if j == 0 else None, zorder=1)
        ax.plot(x, bg + curve, color=colour, lw=0.7, zorder=2)
    top = int(np.argmax(parts[0][1]))
    return name, colour, float(x[top]), float(bg[top] + parts[0][1][top])


def _label_components(ax, ds, tops, span: float) -> int:
    """Each component's name above the envelope at its major line's top, joined to that top by a thin
    line; names closer than :data:`LABEL_GAP` of the axis are lifted a level. Returns the levels used."""
    x = ds["binding_energy"].values
    gap = LABEL_GAP * float(np.ptp(x))
    placed: list[tuple[float, int]] = []
    for name, colour, energy, height in sorted(tops, key=lambda t: t[2]):
        level = next(k for k in range(len(tops) + 1) if all(abs(energy - e) >= gap or k != lv for e, lv in placed))
        placed.append((energy, level))
        near = abs(x - energy) < gap if level else np.zeros(x.size, bool)  # a lifted label clears its neighbours
        near[int(np.argmin(abs(x - energy)))] = True
        above = max(np.max(ds["best_fit"].values[near]), np.max(ds["data"].values[near]))
        above += (0.04 + LABEL_STEP * level) * span
        ax.annotate(name, (energy, height), xytext=(energy, above), textcoords="data", ha="center", va="bottom",
                    color=colour, fontsize=8, fontweight="bold", zorder=5, annotation_clip=False,
                    arrowprops={"arrowstyle": "-", "color": colour, "lw": 0.6, "shrinkA": 0, "shrinkB": 0})
    return max((lv for _, lv in placed), default=0)


def _emptier_corner(x, y) -> str:
    """``upper left`` or ``upper right``: the upper corner over fewer data points in the top half of
    the data's range (binding energy reversed: the left is the high-energy end)."""
    high = y > np.min(y) + 0.5 * np.ptp(y)
    third = np.ptp(x) / 2.5
    left, right = np.sum(high & (x >= x.max() - third)), np.sum(high & (x <= x.min() + third))
    return "upper left" if left <= right else "upper right"


def _background_label(ds) -> str:
    import json

    kind = json.loads(ds.attrs.get("background") or "{}").get("kind") or fitdata.recipe(ds).get("background", "")
    kind = kind.get("kind", "") if isinstance(kind, dict) else kind
    return f"background ({kind})" if kind else "background"


def plot_xps_spectrum(da, ax=None, **kwargs):
    """A measured XPS spectrum with binding energy decreasing to the right (``da.xps.plot()``).

    Parameters
    ----------
    da : xarray.DataArray
        A 1-D spectrum on ``binding_energy``.
    ax : matplotlib.axes.Axes, optional
    **kwargs
        Passed to ``Axes.plot``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if "binding_energy" not in da.dims or da.ndim != 1:
        raise ValueError(f"an XPS spectrum is 1-D on binding_energy; this one has dims {da.dims}")
    ax = style.user_axes(ax, width=5.0, height=3.4)
    with style.publication():
        x = da["binding_energy"].values
        ax.plot(x, da.values, **{"color": "k", "lw": 0.9, **kwargs})
        ax.set_xlim(x.max(), x.min())
        ax.set_xlabel("binding energy (eV)")
        ax.set_ylabel(f"intensity ({da.attrs.get('units', 'counts')})")
        ax.set_title(" — ".join(str(v) for v in (da.attrs.get("region"), da.attrs.get("sample")) if v))
    return ax
