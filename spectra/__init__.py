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
    technique = recipe.get("technique") if isinstance(recipe, dict) else None
    if technique is None and isinstance(recipe, str) and "technique" in recipe:
        import tomllib

        technique = tomllib.loads(recipe).get("technique")
    if technique == "xrd":
        from .xrd.fit import fit_xrd

        return fit_xrd(da, recipe, **options)
    from .fitting.single import fit as _fit

    return _fit(da, recipe, **options)


def fit_many(data, recipe, **options):
    """Fit many XPS spectra with one recipe; see :func:`spectra.fitting.batch.fit_many`."""
    from .fitting.batch import fit_many as _fit_many

    return _fit_many(data, recipe, **options)
