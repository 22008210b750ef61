"""The figure of a batch (:func:`spectra.fit_many`): each spectrum's fractions with error bars."""
from __future__ import annotations

import numpy as np

from . import style

#: the batch variables drawn, by preference: XPS component fractions, XRD weight fractions
FRACTIONS = ("fraction", "weight_fraction")


def plot_batch(ds, ax=None):
    """Fractions (XPS components, XRD phases) of every spectrum of a batch with their σ; spectra
    whose numbers should not be quoted (``ok`` false) drawn hollow, failed ones left out.

    Parameters
    ----------
    ds : xarray.Dataset
        A :func:`spectra.fit_many` result (dim ``spectrum``).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    name = next((n for n in FRACTIONS if n in ds), None)
    if name is None:
        raise ValueError(f"this dataset holds none of {FRACTIONS} to draw")
    var = ds[name]
    dim = next(d for d in var.dims if d != "spectrum")
    x = np.arange(ds.sizes["spectrum"])
    ok = np.asarray(ds["ok"].values, bool)
    ax = style.user_axes(ax, width=5.0, height=3.2)
    with style.publication():
        for k, label in enumerate(var[dim].values):
            y = var.sel({dim: label}).values
            err = ds[f"{name}_stderr"].sel({dim: label}).values if f"{name}_stderr" in ds else None
            for quoted in (True, False):
                sel = ok == quoted
                if sel.any():
                    ax.errorbar(x[sel], y[sel], yerr=None if err is None else err[sel], fmt="o", ms=4,
                                color=style.colour(k), mfc=style.colour(k) if quoted else "none", capsize=2,
                                lw=0.8, label=str(label) if quoted or not ok.any() else None)
        ax.set_xlabel("spectrum")
        ax.set_ylabel(var.attrs.get("long_name", name))
        ax.set_title(f"{ds.attrs.get('region', '')}: {int(ok.sum())} of {ok.size} fits ok (hollow: not ok)")
        ax.legend()
    return ax
