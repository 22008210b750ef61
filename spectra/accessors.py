"""``da.xps``, ``da.xrd`` and ``ds.fits``: fitting, figures and identification from a spectrum or a
batch in a notebook. Importing this module registers them with xarray::

    da.xps.fit(recipe)            # spectra.fit, the recipe taken as XPS
    da.xps.plot()                 # binding energy decreasing to the right
    da.xrd.fit(recipe)
    da.xrd.plot(phases=["Li2S", "Li6PS5Cl"])   # with reference tick strips
    da.xrd.identify()             # candidate phases, best first
    ds.fits.view()                # a fit_many batch: table and figure of its fractions
"""
from __future__ import annotations

import xarray as xr

from .errors import RecipeError


def _recipe_for(recipe, technique: str):
    """``recipe`` as given when it is (or implies) ``technique``; made to name it when it names no
    technique; refused when it names another."""
    from .recipe import load_recipe, technique_of

    data = dict(load_recipe(recipe).data)
    if "technique" not in data:
        return recipe if technique_of(data) == technique else {**data, "technique": technique}
    if technique_of(data) != technique:
        raise RecipeError(f"da.{technique}.fit was given a {data['technique']!r} recipe; use "
                          f"da.{str(data['technique']).lower()}.fit or spectra.fit")
    return recipe


class _Spectrum:
    technique = ""

    def __init__(self, da: xr.DataArray):
        self._da = da

    def fit(self, recipe, **options):
        """Fit this spectrum with ``recipe`` (:func:`spectra.fit`; the recipe is read as this
        accessor's technique when it names none).

        Parameters
        ----------
        recipe : str, pathlib.Path or dict
        **options
            As :func:`spectra.fit` (``weights``, ``method``, ``mc_replicas``, ``seed``).

        Returns
        -------
        LeastSquaresResult
            Its provenance also records the spectrum's ``sample`` attribute, for reports.
        """
        from . import fit

        result = fit(self._da, _recipe_for(recipe, self.technique), **options)
        if self._da.attrs.get("sample"):
            result.provenance.setdefault("sample", str(self._da.attrs["sample"]))
        return result


@xr.register_dataarray_accessor("xps")
class XPSAccessor(_Spectrum):
    """``da.xps``: fit and draw an XPS spectrum (dim ``binding_energy``)."""

    technique = "xps"

    def plot(self, ax=None, **kwargs):
        """The spectrum with binding energy decreasing to the right
        (:func:`spectra.plotting.plot_xps_spectrum`); returns the Axes."""
        from .plotting import plot_xps_spectrum

        return plot_xps_spectrum(self._da, ax, **kwargs)


@xr.register_dataarray_accessor("xrd")
class XRDAccessor(_Spectrum):
    """``da.xrd``: fit, draw and identify an XRD pattern (dim ``two_theta``)."""

    technique = "xrd"

    def plot(self, ax=None, *, phases=(), **kwargs):
        """The pattern with a reference tick strip per phase in ``phases``
        (:func:`spectra.plotting.plot_xrd_pattern`); returns the Axes."""
        from .plotting import plot_xrd_pattern

        return plot_xrd_pattern(self._da, ax, phases=phases, **kwargs)

    def identify(self, **options):
        """Rank reference phases for this pattern (:func:`spectra.xrd.identify.identify`).

        Returns
        -------
        list of Candidate
            Best first.
        """
        from .xrd.identify import identify

        return identify(self._da, **options)


@xr.register_dataset_accessor("fits")
class FitsAccessor:
    """``ds.fits`` on a dataset of fits (:func:`spectra.fit_many`, ``result.to_dataset()``, a reloaded
    results file): the notebook view, figures and a report."""

    def __init__(self, ds: xr.Dataset):
        self._ds = ds

    def view(self, *, max_rows: int = 50):
        """Table of every spectrum and a figure of the fractions
        (:class:`spectra.report.notebook.BatchView`; the Dataset's own repr stays xarray's)."""
        from .report.notebook import BatchView

        return BatchView(self._ds, max_rows=max_rows)

    def plot(self, spectrum: int | None = None, ax=None, **options):
        """The figure of one fit (``spectrum``: its index; the dataset must hold its curves), or
        with ``spectrum=None`` the fractions of every spectrum."""
        from .plotting import plot_fit
        from .plotting.batch import plot_batch

        if spectrum is None:
            return plot_batch(self._ds, ax)
        ds = self._ds.isel(spectrum=[spectrum]) if "spectrum" in self._ds.dims else self._ds
        return plot_fit(ds, ax, **options)

    def report(self, path, **options):
        """Write a report of these fits (:func:`spectra.report.write_report`)."""
        from .report import write_report

        return write_report(self._ds, path, **options)
