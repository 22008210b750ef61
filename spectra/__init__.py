"""spectra: load, fit and compare XRD and XPS data of solid-state-battery interfaces.

The front door is lazy: ``import spectra`` imports neither xarray nor pandas, lmfit or matplotlib,
so that ``spectra --help`` and scripts that only need one reader start fast. Each public name
(:data:`__all__`) and each subpackage is imported on first use, through the module ``__getattr__``
(PEP 562); ``dir(spectra)`` lists them all.

The xarray accessors ``da.xps`` and ``da.xrd`` (:mod:`spectra.accessors`) are registered the moment
xarray is there, without importing it early:

* at ``import spectra`` when xarray is already imported;
* otherwise right after xarray's own import finishes, whoever imports it (``import xarray`` in the
  user's code, ``spectra.load(...)``, ``xr.open_dataset(..., engine="spectra")``): ``import spectra``
  leaves a one-shot hook on :data:`sys.meta_path` that wraps xarray's loader and removes itself.

So ``import spectra`` followed by loading or building any DataArray gives ``da.xps`` and ``da.xrd``.
"""
import importlib as _importlib
import importlib.abc as _abc
import importlib.util as _util
import sys as _sys

__version__ = "0.1.0"

#: public functions, each resolved on first use: name -> module that defines it
_FUNCTIONS = {
    "load": "spectra.io",
    "read": "spectra.io",
    "fit": "spectra.fitting.single",
    "fit_many": "spectra.fitting.batch",
    "compare": "spectra.comparison",
    "load_results": "spectra.results",
    "save_results": "spectra.results",
}
#: subpackages and modules imported on first use (``spectra.simulate.xps(...)`` works after ``import spectra``)
_SUBMODULES = ("accessors", "backgrounds", "cli", "comparison", "dataarray", "errors", "examples", "fitting", "io",
               "kernels", "lineshapes", "plotting", "recipe", "recipes", "report", "results", "simulate",
               "studies", "xps", "xrd")

__all__ = ["__version__", *sorted(_FUNCTIONS)]


def __getattr__(name: str):
    if name in _FUNCTIONS:
        value = getattr(_importlib.import_module(_FUNCTIONS[name]), name)
        globals()[name] = value  # later look-ups skip this hook
        return value
    if name in _SUBMODULES:
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_FUNCTIONS) | set(_SUBMODULES))


# ------------------------------------------------------------------------------------ accessors
def _register_accessors() -> None:
    """Import :mod:`spectra.accessors` (its import registers ``da.xps`` and ``da.xrd``), when that
    module is part of this installation."""
    if _util.find_spec("spectra.accessors") is None:
        return
    try:
        _importlib.import_module("spectra.accessors")
    except Exception as exc:  # noqa: BLE001 - a broken accessor module must not break the user's xarray import
        import warnings

        warnings.warn(f"spectra: the xarray accessors could not be registered: {type(exc).__name__}: {exc}",
                      RuntimeWarning, stacklevel=2)


class _AfterXarrayImport(_abc.MetaPathFinder):
    """A one-shot import hook: once ``xarray`` has been imported (by anyone), register the accessors.

    It finds xarray's spec through the other finders, wraps the loader's ``exec_module`` and takes
    itself off :data:`sys.meta_path`; nothing else is imported or changed.
    """

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "xarray":
            return None
        self.remove()
        spec = _util.find_spec(fullname)
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        run = loader.exec_module

        def exec_module(module):
            run(module)
            _register_accessors()

        loader.exec_module = exec_module
        return spec

    def remove(self) -> None:
        if self in _sys.meta_path:
            _sys.meta_path.remove(self)


if "xarray" in _sys.modules:
    _register_accessors()
elif not any(isinstance(f, _AfterXarrayImport) for f in _sys.meta_path):
    _sys.meta_path.insert(0, _AfterXarrayImport())
