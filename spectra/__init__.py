"""spectra: load, fit and compare XRD and XPS data of solid-state-battery interfaces."""
from __future__ import annotations

from .io import load, read

__version__ = "0.1.0"
__all__ = ["__version__", "fit", "fit_many", "load", "read"]


def fit(da, recipe, **options):
    """Fit one spectrum or pattern with a recipe.

    XPS recipes go to :func:`spectra.fitting.single.fit`, XRD recipes (``technique = "xrd"``) to
    :func:`spectra.xrd.fit.fit_xrd`. lmfit is imported on first use, so ``import spectra`` stays fast.
    """
    from .recipe import ModelSpec, read_recipe, technique_of
    from .xrd.recipe import XRDSpec

    if isinstance(recipe, XRDSpec) or (not isinstance(recipe, ModelSpec) and technique_of(recipe) == "xrd"):
        from .xrd.fit import fit_xrd

        return fit_xrd(da, recipe if isinstance(recipe, XRDSpec) else read_recipe(recipe), **options)
    from .fitting.single import fit as _fit

    return _fit(da, recipe, **options)


def fit_many(data, recipe, **options):
    """Fit many XPS spectra or XRD patterns with one recipe; see :func:`spectra.fitting.batch.fit_many`."""
    from .fitting.batch import fit_many as _fit_many

    return _fit_many(data, recipe, **options)
