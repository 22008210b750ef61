"""spectra: load, fit and compare XRD and XPS data of solid-state-battery interfaces."""
from __future__ import annotations

from .io import load, read

__version__ = "0.1.0"
__all__ = ["__version__", "fit", "fit_many", "load", "read"]

#: submodules imported on first use (``spectra.simulate.xps(...)`` works after ``import spectra``)
_LAZY = ("simulate", "examples", "fitting", "xps", "xrd", "lineshapes", "backgrounds", "recipe")


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
