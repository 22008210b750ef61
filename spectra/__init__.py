"""spectra: load, fit and compare XRD and XPS data of solid-state-battery interfaces."""
from __future__ import annotations

from .io import load, read

__version__ = "0.1.0"
__all__ = ["__version__", "fit", "fit_many", "load", "read"]


def fit(da, recipe, **options):
    """Fit one spectrum or pattern with a recipe of any technique; see :func:`spectra.fitting.single.fit`.

    lmfit is imported on first use, so ``import spectra`` stays fast.
    """
    from .fitting.single import fit as _fit

    return _fit(da, recipe, **options)


def fit_many(data, recipe, **options):
    """Fit many spectra or patterns with one recipe; see :func:`spectra.fitting.batch.fit_many`."""
    from .fitting.batch import fit_many as _fit_many

    return _fit_many(data, recipe, **options)
