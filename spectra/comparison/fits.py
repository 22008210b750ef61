"""Fitting a comparison's spectra: every spectrum of one kind (XPS region or XRD) with its recipe in one
:func:`spectra.fit_many` batch, each row turned back into the technique's result object (curves,
correlated uncertainties) without refitting, and components that end at zero removed and refitted.

A component (XPS line, XRD phase, hump or amorphous band) whose area or scale ends at its lower
bound of zero is not in the spectrum; its σ, and the σ of every fraction of the region, would be
NaN (:mod:`spectra.fitting.quality`). The spectrum is then refitted without it and the component is
reported *absent* (fraction 0), which is what the data say.
"""
from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from ..fitting.dataset import versions
from ..fitting.lmfit_engine import LmfitFit
from ..fitting.prepare import as_raw, prepare
from ..fitting.problem import problem_for

#: how many times a spectrum is refitted after removing absent components
MAX_REFITS = 3


@dataclass
class Fitted:
    """The outcome of one spectrum: its result (or the reason there is none) and what was absent.

    Attributes
    ----------
    result : LeastSquaresResult or None
    recipe : dict
        The recipe of the final fit (absent components removed).
    absent : list of str
        Components removed because they ended at zero.
    error : str
        Why there is no result (empty when there is one).
    """

    result: object = None
    recipe: dict = field(default_factory=dict)
    absent: list = field(default_factory=list)
    error: str = ""


def amount_parameters(recipe: dict) -> dict[str, str]:
    """Parameter name → component of every amount (area or scale) a recipe fits."""
    if str(recipe.get("technique", "")).lower() == "xrd" or "phases" in recipe:
        out = {f"{p}_scale": p for p in recipe.get("phases", [])}
        out.update({f"{h['name']}_area": h["name"] for h in recipe.get("humps", [])})
        out.update({f"{a}_area": a for a in recipe.get("amorphous", [])})
        return out
    return {f"{c}_area": c for c in recipe.get("components", [])}


def without(recipe: dict, names: list[str]) -> dict:
    """``recipe`` with the named components (XPS lines; XRD phases, humps or amorphous bands) removed,
    and every override that refers to them."""
    r = copy.deepcopy(recipe)
    gone = set(names)
    if "components" in r:
        r["components"] = [c for c in r["components"] if c not in gone]
        r["overrides"] = {k: v for k, v in r.get("overrides", {}).items() if k not in gone}
        for spec in r["overrides"].values():
            for key in ("center", "fwhm"):
                if isinstance(spec.get(key), dict) and (spec[key].get("offset_from") in gone
                                                         or spec[key].get("same_as") in gone):
                    spec.pop(key)
        if isinstance(r.get("shift"), dict) and r["shift"].get("reference") in gone:
            r["shift"].pop("reference")
        if not r["overrides"]:
            r.pop("overrides")
    for key in ("phases", "amorphous"):
        if key in r:
            r[key] = [p for p in r[key] if p not in gone]
    if "phase_options" in r:
        r["phase_options"] = {k: v for k, v in r["phase_options"].items() if k not in gone}
    if "humps" in r:
        r["humps"] = [h for h in r["humps"] if h["name"] not in gone]
    return r


def result_from_row(da, recipe: dict, ds, i: int):
    """The technique's result object of row ``i`` of a :func:`spectra.fit_many` Dataset, built from
    its values and covariance (the model is evaluated once; nothing is refitted).

    Parameters
    ----------
    da : xarray.DataArray
        The spectrum of row ``i``.
    recipe : dict
        The recipe ``ds`` was fitted with.
    ds : xarray.Dataset
        The batch result.
    i : int
        Row.

    Returns
    -------
    LeastSquaresResult
        As :func:`spectra.fit` returns it, with the batch's numbers.
    """
    attrs = dict(da.attrs)
    problem = problem_for(recipe, attrs)
    raw = as_raw(da, problem.axis, problem.file_region, problem.name)
    items, failures = prepare([0], raw, None, problem, str(ds.attrs.get("weights", "poisson")))
    if failures:
        raise ValueError(failures[0])
    item = items[0]
    problem.attach_models([item])
    model = problem.lmfit_model(item)
    row = ds.isel(spectrum=i)
    names = [str(n) for n in ds["param"].values]
    values = {n: float(v) for n, v in zip(names, row["value"].values)}
    stderr = {n: float(v) for n, v in zip(names, row["stderr"].values)}
    varying = [str(n) for n in ds["varying"].values]
    best, curves, background = model.evaluate(values)
    dof = int(row["dof"])
    redchi = float(row["redchi"])
    fit = LmfitFit(values, stderr, varying, np.asarray(row["covariance"].values, dtype=float), redchi * dof, redchi,
                   int(row["nfev"]), bool(row["success"]), str(row["message"]), best, curves, background)
    result = problem.make_result(item, model, fit)
    result.data_units = str(attrs.get("units", "counts"))
    result.lo, result.hi, result.start, result.weights = item.lo, item.hi, item.start, str(ds.attrs["weights"])
    result.assess()
    result.provenance = {"source": attrs.get("source"), "region": attrs.get("region"), "recipe": problem.text,
                         "recipe_sha256": problem.sha256,
                         "input_sha256": hashlib.sha256(np.ascontiguousarray(raw.y).tobytes()).hexdigest(),
                         "weights": result.weights, "engine": ds.attrs.get("engine"),
                         "energy_reference": attrs.get("energy_reference"), "versions": versions()}
    return result


def _shares(result, recipe: dict) -> dict[str, float]:
    """Each component's share of the summed |component curves| (a technique-neutral measure of size)."""
    names = set(amount_parameters(recipe).values())
    sizes = {n: float(np.abs(c).sum()) for n, c in result.components.items() if n in names}
    total = sum(sizes.values()) or 1.0
    return {n: s / total for n, s in sizes.items()}


def _own(name: str, component: str) -> bool:
    return name.startswith(f"{component}_")


def candidates(result, recipe: dict) -> tuple[list[str], list[str]]:
    """Components to remove: those whose amount ended at zero (certainly absent), and those with one of
    their own parameters at a bound or undetermined (absent if the data do not need them). The
    reference line of an XPS region's charge shift anchors the region and is never a suspect.

    Returns
    -------
    (list of str, list of str)
        Absent, and suspects ordered from the smallest share of the fitted intensity.
    """
    amounts = amount_parameters(recipe)
    absent = [amounts[n] for n, side in result.at_bound.items() if side == "lower" and n in amounts]
    loose = set(result.at_bound) | set(result.undetermined)
    shares = _shares(result, recipe)
    anchor = recipe.get("shift", {}).get("reference") if isinstance(recipe.get("shift"), dict) else None
    suspects = [c for c in dict.fromkeys(amounts.values()) if c not in absent and c != anchor
                and any(_own(n, c) for n in loose)]
    return absent, sorted(suspects, key=lambda c: shares.get(c, 0.0))


def _varying_of(result, components: list[str]) -> int:
    return sum(1 for n in result.varying if any(_own(n, c) for c in components))


def _accept(old, new, removed: list[str], level: float = 0.99) -> bool:
    """Likelihood-ratio test of removing components: accepted when χ² rises by less than the
    ``level`` quantile of χ² with as many degrees of freedom as parameters removed (χ² in units of the
    larger model's reduced χ²)."""
    k = max(_varying_of(old, removed), 1)
    scale = max(float(old.redchi), 1e-12)
    return (float(new.chisqr) - float(old.chisqr)) / scale < stats.chi2.ppf(level, k)


def _vanishing(ds, k: int, recipe: dict) -> list[str]:
    """Components of an unconverged row whose amount fell below 1e-3 of its start value: the usual
    reason the optimiser ran out of iterations (a flat valley along an absent component's shape)."""
    names = [str(n) for n in ds["param"].values]
    value, start = ds["value"].values[k], ds["start"].values[k]
    out = []
    for name, component in amount_parameters(recipe).items():
        if name in names:
            j = names.index(name)
            if np.isfinite(value[j]) and abs(value[j]) <= 1e-3 * abs(start[j]):
                out.append(component)
    return out


def _lmfit_rows(ds, spectra: list, recipe: dict, rows: list[int]):
    """``ds`` with ``rows`` refitted by the lmfit engine."""
    import xarray as xr

    from ..fitting.batch import fit_many

    again = fit_many([spectra[k] for k in rows], recipe, engine="lmfit")
    parts = [again.isel(spectrum=[rows.index(k)]) if k in rows else ds.isel(spectrum=[k])
             for k in range(len(spectra))]
    out = xr.concat(parts, dim="spectrum", data_vars="all", coords="minimal", compat="override",
                    combine_attrs="override")
    return out.assign_coords(spectrum=np.arange(len(spectra)))


def fit_all(spectra: list, recipe: dict) -> list[Fitted]:
    """Fit spectra of one kind with one recipe, removing components the data do not contain.

    Each round fits, in one :func:`spectra.fit_many` batch per recipe, every spectrum that still has
    a change to try: components whose amount ended at zero are removed outright (also from a fit that
    ran out of iterations while an amount vanished; other unconverged fits are redone with lmfit), and
    the components
    with a parameter at a bound (or undetermined; all but the largest when every component is one)
    with them if a likelihood-ratio test (99 %) says the data do not need them; otherwise those stay
    (flagged) and only the vanished ones are removed. At most :data:`MAX_REFITS` rounds.

    Parameters
    ----------
    spectra : list of xarray.DataArray
    recipe : dict

    Returns
    -------
    list of Fitted
        One per spectrum, in order.
    """
    from ..fitting.batch import fit_many

    out = [Fitted(recipe=recipe) for _ in spectra]
    #: spectrum → (recipe to try, components it removes, those of them certainly absent)
    todo: dict[int, tuple[dict, list[str], list[str]]] = {i: (recipe, [], []) for i in range(len(spectra))}
    for _ in range(MAX_REFITS + 1):
        batches: dict[str, list[int]] = {}
        for i, (r, _, _) in todo.items():
            batches.setdefault(repr(r), []).append(i)
        trial, todo = todo, {}
        for indices in batches.values():
            r = trial[indices[0]][0]
            try:
                ds = fit_many([spectra[i] for i in indices], r)
                stuck = [k for k in range(len(indices)) if not bool(ds["success"].values[k])
                         and "maximum iterations" in str(ds["message"].values[k])]
                gone = {k: _vanishing(ds, k, r) for k in stuck}
                hopeless = [k for k in stuck if not gone[k] or len(gone[k]) >= len(amount_parameters(r))]
                for k in stuck:
                    if k not in hopeless:  # refit without what vanished (batched, cheap)
                        todo[indices[k]] = (without(r, gone[k]), gone[k], gone[k])
                if hopeless and ds.attrs.get("engine") == "batched":
                    ds = _lmfit_rows(ds, [spectra[i] for i in indices], r, hopeless)
            except Exception as exc:  # noqa: BLE001 - a recipe that cannot be used fails its spectra, not the run
                ds, error = None, f"{type(exc).__name__}: {exc}"
            for k, i in enumerate(indices):
                if i in todo:
                    continue  # refitted without its vanished components in the next round
                _, removed, sure = trial[i]
                certain = set(removed) <= set(sure)
                result = None
                if ds is not None and bool(ds["success"].values[k]):
                    try:
                        result = result_from_row(spectra[i], r, ds, k)
                    except Exception as exc:  # noqa: BLE001
                        error = f"{type(exc).__name__}: {exc}"
                elif ds is not None:
                    error = f"fit failed: {ds['message'].values[k]}"
                if result is None:
                    if out[i].result is None:
                        out[i].error = error
                    continue
                if out[i].result is not None and not certain and not _accept(out[i].result, result, removed):
                    if sure:  # the data need a suspect: keep it, remove only what certainly vanished
                        todo[i] = (without(out[i].recipe, sure), sure, sure)
                    continue  # keep the larger model (flagged)
                out[i] = Fitted(result, r, out[i].absent + removed)
                absent, suspects = candidates(result, r)
                left = len(amount_parameters(r)) - len(absent)
                suspects = suspects[:max(left - 1, 0)]
                if (absent and left >= 1) or suspects:
                    gone = absent + suspects
                    todo[i] = (without(r, gone), gone, absent)
        if not todo:
            break
    every = list(dict.fromkeys(amount_parameters(recipe).values()))
    for f in out:  # absent: whatever the final recipe no longer has
        kept = set(amount_parameters(f.recipe).values())
        f.absent = [c for c in every if c not in kept]
        if f.result is None and not f.error:
            f.error = f"no converged fit after removing absent components {MAX_REFITS} times"
    return out
