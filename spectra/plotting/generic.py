"""The figure of a fit of a technique without its own (a registered third technique): data,
components above the background, background, fit and the residual panel."""
from __future__ import annotations

from . import fitdata, style
from .panels import residual_panel, title_of


def plot_generic(fit, ax=None, *, residual: bool = True, title: str | None = None):
    """Data as open circles, each component filled above the background, the background dashed, the
    fit, and the weighted residual below.

    Parameters
    ----------
    fit : LeastSquaresResult or xarray.Dataset
        A result or the dataset of one fit.
    ax : matplotlib.axes.Axes, optional
    residual : bool
        Draw the residual panel (``ax.residual_axes``).
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ds = fitdata.one_fit(fit)
    if not fitdata.has_curves(ds):
        raise ValueError("this dataset holds no curves to draw: use result.to_dataset(curves=True)")
    axis = fitdata.axis_name(ds)
    ax = style.user_axes(ax)
    with style.publication():
        x, bg = ds[axis].values, ds["background"].values
        ax.plot(x, ds["data"].values, "o", ms=2.5, mfc="none", mec="0.35", label="data")
        for k, name in enumerate(ds["curve"].values):
            curve = ds["components"].sel(curve=name).values
            ax.fill_between(x, bg, bg + curve, color=style.colour(k), alpha=0.4, lw=0, label=str(name))
        ax.plot(x, bg, "--", color="0.45", label="background")
        ax.plot(x, ds["best_fit"].values, color="k", label="fit")
        ax.set_ylabel(f"intensity ({ds['data'].attrs.get('units', '')})")
        ax.set_title(title if title is not None else title_of(ds))
        ax.legend()
        xlabel = f"{axis} ({ds[axis].attrs['units']})" if ds[axis].attrs.get("units") else axis
        if residual:
            residual_panel(ax, x, ds["residual"].values / ds["sigma"].values, xlabel)
        else:
            ax.set_xlabel(xlabel)
    return ax
