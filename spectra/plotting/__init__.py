"""Figures of fits and spectra (matplotlib, imported on first use): every function takes the result
of one fit or its dataset (``result.to_dataset(curves=True)``, the same for a reloaded result) and
``ax=None``, returns the Axes and never calls ``show()``."""
from __future__ import annotations

from .generic import plot_generic
from .xps import plot_xps, plot_xps_spectrum
from .xrd import plot_xrd, plot_xrd_pattern

__all__ = ["FIGURES", "plot_fit", "plot_generic", "plot_xps", "plot_xps_spectrum", "plot_xrd", "plot_xrd_pattern"]

#: the figure of a fit by technique name; a technique without one gets :func:`plot_generic`
FIGURES = {"xps": plot_xps, "xrd": plot_xrd}


def plot_fit(fit, ax=None, **options):
    """The figure of one fit of any technique (:data:`FIGURES`; :func:`plot_generic` for others).

    Parameters
    ----------
    fit : LeastSquaresResult or xarray.Dataset
        A result or the dataset of one fit.
    ax : matplotlib.axes.Axes, optional
    **options
        Passed to the technique's function.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from .fitdata import one_fit

    ds = one_fit(fit)
    return FIGURES.get(ds.attrs.get("technique"), plot_generic)(ds, ax, **options)
