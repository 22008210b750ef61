"""Pieces shared by the figures of every technique: panels split off below a spectrum, the residual
panel and the title of a fit."""
from __future__ import annotations

from . import fitdata


def split_below(ax, ratios: tuple[float, ...]) -> list:
    """Split panels off below ``ax``, sharing its x axis; ``ax`` keeps the top share.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        A subplot (a grid position) or a free Axes (panels are then inset below it).
    ratios : tuple of float
        Heights of ``ax`` and of each new panel, relative to one another.

    Returns
    -------
    list of matplotlib.axes.Axes
        The new panels, top to bottom; their x tick labels are shown only on the last, and ``ax``
        loses its own.
    """
    fig, spec = ax.figure, ax.get_subplotspec()
    if spec is not None:
        grid = spec.subgridspec(len(ratios), 1, height_ratios=ratios, hspace=0.0)
        ax.set_subplotspec(grid[0])
        panels = [fig.add_subplot(grid[k], sharex=ax) for k in range(1, len(ratios))]
    else:
        top, panels = 0.0, []
        for r in ratios[1:]:
            top += r / ratios[0]
            panels.append(ax.inset_axes([0.0, -top, 1.0, r / ratios[0]], sharex=ax))
    for upper in [ax, *panels[:-1]]:
        upper.tick_params(labelbottom=False)
    return panels


def residual_panel(ax, x, weighted, xlabel: str):
    """The weighted residual (data − model)/σ under ``ax``, with the ±2 band; held as ``ax.residual_axes``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    x, weighted : ndarray
        Axis and (data − model)/σ.
    xlabel : str

    Returns
    -------
    matplotlib.axes.Axes
        The residual panel.
    """
    (res,) = split_below(ax, (3.0, 1.0))
    res.axhspan(-2, 2, color="0.92", lw=0, zorder=0)
    res.axhline(0, color="0.5", lw=0.6)
    res.plot(x, weighted, color="k", lw=0.7)
    limit = max(3.0, float(abs(weighted).max()) * 1.1)
    res.set_ylim(-limit, limit)
    res.set_ylabel("(data−fit)/σ", fontsize=7.5)
    res.set_xlabel(xlabel)
    ax.residual_axes = res
    return res


def title_of(ds) -> str:
    """``S 2p — sample — χ²ᵣ = 1.03`` (and ``— not ok: <flags>`` when the numbers should not be quoted)."""
    st = fitdata.status(ds)
    parts = [fitdata.region(ds), fitdata.sample(ds), f"χ²ᵣ = {st['redchi']:.2f}"]
    text = " — ".join(p for p in parts if p)
    if not st["ok"]:
        text += f"\nnot ok: {st['flags'] or st['message']}"
    return text
