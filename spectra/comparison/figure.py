"""The comparison figure, in the manner of the study's Fig. 2: stacked XRD patterns of the groups
with argyrodite and Li2S reflection ticks; S 2p, Li 1s and Si 2p panels with the fitted components;
and the key metrics of every group with their standard errors (significant differences from the
reference marked ``*``)."""
from __future__ import annotations

import numpy as np

#: the dimensionless metrics of the bottom panel, in order, with short labels
KEY_METRICS = {"xps:S 2p:fraction:PS4": "S 2p PS4", "xps:S 2p:fraction:Li2S": "S 2p Li2S",
               "xps:S 2p:li2s_growth": "Li2S growth", "xps:Li 1s:fraction:Li2S": "Li 1s Li2S",
               "xps:Si 2p:lithiated_fraction": "Si 2p LixSi", "xps:Si 2p:oxide_fraction": "Si 2p oxide",
               "xrd:Li6PS5Cl:retention": "argyrodite XRD\nretention",
               "xrd:Li2S:weight_fraction": "Li2S XRD\nwt. fraction",
               "index:decomposition": "decomposition\nindex"}
#: reflections ticked under the XRD stack
TICK_PHASES = {"Li6PS5Cl": "tab:blue", "Li2S": "tab:red"}
PANELS = ("S 2p", "Li 1s", "Si 2p")


def _first(comparison, group: str, key: str):
    for (g, _r, k), result in comparison.fits.items():
        if g == group and k == key:
            return result
    return None


def _colours(n: int):
    import matplotlib.pyplot as plt

    return [plt.get_cmap("tab10")(i % 10) for i in range(n)]


def _xrd_panel(ax, comparison, colours) -> None:
    step, ticks = 0.0, {}
    results = [_first(comparison, g, "xrd") for g in comparison.groups]
    span = max((float(np.ptp(r.y)) for r in results if r is not None), default=1.0)
    for k, (group, result) in enumerate(zip(comparison.groups, results)):
        if result is None:
            continue
        offset = step
        ax.plot(result.x, result.y + offset, color=colours[k], lw=0.6, label=group)
        ax.plot(result.x, result.best_fit + offset, color="k", lw=0.5)
        step += 0.85 * span
        for phase in TICK_PHASES:
            if phase not in ticks and phase in result.components:
                ticks[phase] = [(r["two_theta"], r["hkl"], float(r["intensity"].n))
                                for r in result.reflections(phase)]
    lo, hi = ax.get_ylim()
    for j, (phase, colour) in enumerate(TICK_PHASES.items()):
        y = lo - (j + 1) * 0.06 * span
        lines = ticks.get(phase, [])
        strongest = sorted(lines, key=lambda t: -t[2])[:2]
        ax.plot([t[0] for t in lines], [y] * len(lines), "|", color=colour, ms=8, label=f"{phase} reflections")
        for tt, hkl, _ in strongest:
            ax.annotate(hkl, (tt, y), xytext=(0, -9), textcoords="offset points", ha="center", fontsize=6,
                        color=colour)
    ax.set_ylim(lo - (len(TICK_PHASES) + 3.0) * 0.06 * span, hi + 0.35 * span)  # tick strips; legend room
    ax.set_xlabel("2θ (degree, Cu Kα)")
    ax.set_ylabel("counts (offset)")
    ax.set_title("XRD")
    ax.set_yticks([])
    ax.legend(fontsize=6, loc="upper center", ncol=3)


def _xps_panel(ax, comparison, region: str, colours) -> None:
    step = 0.0
    results = [_first(comparison, g, region) for g in comparison.groups]
    span = max((float(np.ptp(r.y)) for r in results if r is not None), default=1.0)
    for k, (group, result) in enumerate(zip(comparison.groups, results)):
        if result is None:
            continue
        off = step
        ax.plot(result.x, result.y + off, "o", mfc="none", mec=colours[k], ms=2.2, mew=0.5)
        ax.plot(result.x, result.background + off, "--", color="0.4", lw=0.6)
        for name, curve in result.components.items():
            ax.fill_between(result.x, result.background + off, result.background + curve + off, alpha=0.35, lw=0)
            top = int(np.argmax(curve))
            if curve[top] > 0.08 * span:
                ax.annotate(name, (result.x[top], result.background[top] + curve[top] + off), fontsize=5.5,
                            ha="center", va="bottom")
        ax.plot(result.x, result.best_fit + off, color=colours[k], lw=0.9)
        step += 1.05 * span
    ax.set_xlim(*sorted(ax.get_xlim())[::-1])
    ax.set_xlabel("binding energy (eV)")
    ax.set_yticks([])
    referenced = "referenced" if region in ("Li 1s",) else "as measured"
    ax.set_title(f"{region} ({referenced})", fontsize=9)


def _metric_panel(ax, comparison, colours) -> None:
    t = comparison.summary
    metrics = [m for m in KEY_METRICS if m in set(t["metric"])]
    width = 0.8 / max(len(comparison.groups), 1)
    for k, group in enumerate(comparison.groups):
        rows = t[(t["group"] == group)].set_index("metric")
        xs, ys, es, stars = [], [], [], []
        for i, m in enumerate(metrics):
            if m in rows.index:
                xs.append(i - 0.4 + width * (k + 0.5))
                ys.append(rows.loc[m, "value"])
                es.append(np.nan_to_num(rows.loc[m, "stderr"]))
                stars.append(bool(rows.loc[m, "significant"]))
        ax.errorbar(xs, ys, yerr=es, fmt="o", color=colours[k], ms=4, capsize=2, label=group)
        for x, y, e, s in zip(xs, ys, es, stars):
            if s:
                ax.annotate("*", (x, y + e), ha="center", va="bottom", fontsize=9, color=colours[k])
    ax.axhline(0, color="0.7", lw=0.5)
    ax.set_xticks(range(len(metrics)), [KEY_METRICS[m] for m in metrics], fontsize=7)
    ax.set_ylabel("value (fraction, ratio)")
    ax.set_title(f"metrics ± stderr; * differs from {comparison.reference} (Holm, α = {comparison.alpha})",
                 fontsize=9)
    ax.legend(fontsize=7, ncol=len(comparison.groups))


def draw(comparison, fig=None):
    """Draw the comparison figure.

    Parameters
    ----------
    comparison : Comparison
    fig : matplotlib.figure.Figure, optional
        Drawn into (cleared first); a new 13 × 8 inch figure by default.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    if fig is None:
        fig = plt.figure(figsize=(13, 8))
    else:
        fig.clear()
    grid = fig.add_gridspec(2, 5, height_ratios=(1.6, 1.0), hspace=0.35, wspace=0.25)
    colours = _colours(len(comparison.groups))
    _xrd_panel(fig.add_subplot(grid[0, :2]), comparison, colours)
    for j, region in enumerate(PANELS):
        _xps_panel(fig.add_subplot(grid[0, 2 + j]), comparison, region, colours)
    _metric_panel(fig.add_subplot(grid[1, :]), comparison, colours)
    fig.suptitle("groups (bottom to top): " + ", ".join(comparison.groups), fontsize=9)
    return fig
