"""The comparison pipeline: read → fit with default (or given) recipes → per-replicate metrics →
group values, tests and Holm → :class:`~spectra.comparison.result.Comparison`; and :func:`run`,
which also writes the outputs."""
from __future__ import annotations

import datetime as _dt
import hashlib
import os
import sys
from pathlib import Path

import pandas as pd

from .. import recipes as default_recipes
from ..errors import RecipeError, SpectraError
from ..recipe import load_recipe
from ..xps import referencing
from . import fits as fitting
from .groups import build_table
from .inputs import collect
from .metrics import DEFAULT_REFERENCE, energy_shift, parse_reference, replicate_metrics
from .result import Comparison

#: what the metrics use (other regions are fitted only for the energy reference or with a given recipe)
NEEDED = ("S 2p", "Li 1s", "Si 2p", "P 2p", "Cl 2p", "xrd")
#: regions fitted on the replicate's referenced energy scale without a charge shift of their own: Li 1s has
#: no line of its own to anchor a free shift (its argyrodite and Li2S lines are 0.65 eV apart and would
#: trade places with the shift), so it takes the charge measured on the reference line
REFERENCED_BEFORE_FIT = ("Li 1s",)


def _recipes(recipes) -> dict[str, dict]:
    """Defaults for every region, replaced by the user's per region (a folder, or a mapping of region →
    recipe path / TOML / dict)."""
    out = {name: default_recipes.default_recipe(name) for name in default_recipes.names()}
    if recipes is None:
        return out
    if isinstance(recipes, (str, os.PathLike)):
        out.update(default_recipes.from_folder(recipes))
        return out
    for key, recipe in dict(recipes).items():
        parsed = recipe if isinstance(recipe, dict) else load_recipe(recipe)
        canonical = default_recipes.canonical(key)
        if canonical != default_recipes.key_of(parsed, f"recipe for {key!r}"):
            raise RecipeError(f"the recipe given for {key!r} is for {default_recipes.key_of(parsed)!r}")
        out[canonical] = parsed
    return out


def _referenced(recs, fitted, energy_reference, recipe):
    """Spectra put on the referenced energy scale of their replicate, and their recipes without the
    region's charge shift there: every centre absolute, within its range (a replicate without a
    reference keeps the free shift)."""
    data, recipes_of = [], []
    fixed = {k: v for k, v in recipe.items() if k != "shift"}  # absolute centres, each within its range
    for rec in recs:
        mine = {k: f for (g, r, k), (_, f) in fitted.items() if (g, r) == (rec.group, rec.replicate)}
        shift, _ = energy_shift(mine, energy_reference)
        if shift is None:
            data.append(rec.data)
            recipes_of.append(recipe)
        else:
            data.append(referencing.apply(rec.data, shift))
            recipes_of.append(fixed)
    return data, recipes_of


def _fit_each(data: list, recipes_of: list) -> list:
    """:func:`fits.fit_all` over spectra that may have different recipes (one batch per recipe)."""
    out = [None] * len(data)
    batches: dict[str, list[int]] = {}
    for i, r in enumerate(recipes_of):
        batches.setdefault(repr(r), []).append(i)
    for indices in batches.values():
        for i, f in zip(indices, fitting.fit_all([data[i] for i in indices], recipes_of[indices[0]])):
            out[i] = f
    return out


def _given(recipes) -> list[str]:
    """The regions a user gave recipes for."""
    if recipes is None:
        return []
    if isinstance(recipes, (str, os.PathLike)):
        return list(default_recipes.from_folder(recipes))
    return [default_recipes.canonical(k) for k in dict(recipes)]


def _sha256(source: str) -> str | None:
    path = Path(source.split(" [block")[0])
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    except OSError:
        return None


def compare(groups: dict, *, reference: str, recipes=None, alpha: float = 0.05,
            energy_reference: str | None = DEFAULT_REFERENCE, excitation: str = "al_ka",
            progress=None) -> Comparison:
    """Compare groups of samples (XPS regions and XRD patterns) against a reference group.

    Parameters
    ----------
    groups : dict
        Label → a folder, a glob, a file, a list of paths, or a list of DataArrays: one group's
        replicates, any mix of XPS files (regions recognised from the files) and XRD patterns. Files
        of one sample share their name apart from the extension (and a trailing ``_xps`` / ``_xrd``).
    reference : str
        The label of the reference group (e.g. ``"pristine"``).
    recipes : str, PathLike or dict, optional
        Replace default recipes per region: a folder of TOML recipes (each names its ``region`` or
        ``technique = "xrd"``), or region → recipe (path, TOML text or dict). The defaults are
        :mod:`spectra.recipes`.
    alpha : float
        Family-wise significance level (Holm's correction over every test of the comparison).
    energy_reference : str or None
        ``"REGION:COMPONENT=EV"`` (default ``"S 2p:PS4=161.6"``: the argyrodite's internal line),
        ``"C 1s"`` (adventitious C–C at 284.8 eV) or None (energies as measured). Applied per
        replicate before the energy metrics (the Li 1s centroid) and recorded.
    excitation : {"al_ka", "mg_ka"}
        For the quantification behind the atomic ratios.
    progress : callable, optional
        Called with a short message as each kind of spectrum is fitted.

    Returns
    -------
    Comparison

    Raises
    ------
    spectra.errors.SpectraError
        ``reference`` is not a group, ``alpha`` is not in (0, 1), a recipe or the energy reference is
        invalid, or no input at all could be used. Bad *inputs* (unreadable files, missing regions,
        failed fits, single replicates) do not raise: they are recorded and the rest is compared.
    """
    groups = {str(k): v for k, v in groups.items()}
    if reference not in groups:
        raise SpectraError(f"reference group {reference!r} is not one of the groups: {', '.join(groups)}")
    if not 0 < alpha < 1:
        raise SpectraError(f"alpha must be between 0 and 1, not {alpha}")
    try:
        parse_reference(energy_reference)
    except ValueError as exc:
        raise SpectraError(str(exc)) from None
    used = _recipes(recipes)
    needed = set(NEEDED) | set(_given(recipes))
    ref = parse_reference(energy_reference)
    if ref is not None:
        needed.add(ref[0])
    records, skipped = collect(groups)
    by_key: dict[str, list] = {}
    unused = []
    for rec in records:
        if rec.key not in used:
            skipped[rec.source] = f"group {rec.group!r}, sample {rec.replicate!r}: no recipe for {rec.key}"
            continue
        if rec.key not in needed:
            unused.append(rec.source)
            continue
        by_key.setdefault(rec.key, []).append(rec)
    if not by_key:
        raise SpectraError("no usable spectrum in any group; skipped: "
                           + "; ".join(f"{k}: {v}" for k, v in skipped.items()))
    fitted = {}
    order = sorted(by_key, key=lambda k: (k != (ref[0] if ref else None), k))  # the reference region first
    for key in order:
        recs = by_key[key]
        if progress:
            progress(f"fitting {len(recs)} {key} spectra")
        data = [r.data for r in recs]
        recipes_of = [used[key]] * len(recs)
        if key in REFERENCED_BEFORE_FIT and ref is not None:
            data, recipes_of = _referenced(recs, fitted, energy_reference, used[key])
        for rec, f in zip(recs, _fit_each(data, recipes_of)):
            fitted[rec.group, rec.replicate, key] = (rec, f)
    replicates = list(dict.fromkeys((r.group, r.replicate) for r in records if r.key in used))
    obs, missing, absent, energy, fits = [], {}, {}, {}, {}
    for group, replicate in replicates:
        mine = {key: f for (g, r, key), (_, f) in fitted.items() if (g, r) == (group, replicate)}
        sources = {key: rec.source for (g, r, key), (rec, _) in fitted.items() if (g, r) == (group, replicate)}
        values, why, info = replicate_metrics(mine, used, reference=energy_reference, excitation=excitation,
                                              referenced=REFERENCED_BEFORE_FIT if ref is not None else ())
        for metric, o in values.items():
            obs.append({"group": group, "replicate": replicate, "metric": metric, "value": o.value,
                        "stderr": o.stderr, "unit": o.unit, "note": o.note})
        expected = [k for k in used if k in {key for (g, _, key) in fitted if g == group}]
        for key in expected:
            if key not in mine:
                files = ", ".join(sorted({src.split(" [block")[0] for src in sources.values()}))
                why[f"({key})"] = (f"sample {replicate!r} of group {group!r} has no {key} spectrum (its files: "
                                   f"{files}; a {'/'.join(sorted(mine))} only)")
        for key, f in mine.items():
            if f.result is None:
                why[f"({key})"] = f"group {group!r}, sample {replicate!r}, {sources[key]}: {f.error}"
            else:
                fits[group, replicate, key] = f.result
            if f.absent:
                absent[group, replicate, key] = list(f.absent)
        if why:
            missing[group, replicate] = why
        energy[f"{group}/{replicate}"] = info
    observations = pd.DataFrame(obs, columns=["group", "replicate", "metric", "value", "stderr", "unit", "note"])
    labels = list(groups)
    table, relative = build_table(observations, labels, reference, alpha)
    per_replicate = pd.concat([observations, relative], ignore_index=True) if len(relative) else observations
    for group in labels:
        n = len({r for g, r in replicates if g == group})
        if n == 1:
            missing.setdefault((group, "*"), {})["(replicates)"] = (
                f"group {group!r} has one replicate: its stderr is the fit error alone")
        elif n == 0:
            missing.setdefault((group, "*"), {})["(replicates)"] = f"group {group!r} has no usable spectrum"
    from ..fitting.dataset import versions

    provenance = {"inputs": {rec.source: _sha256(rec.source) for rec in records},
                  "energy_reference": energy, "energy_reference_option": energy_reference,
                  "not_fitted": {"spectra": unused, "why": "no metric uses these regions (C 1s is fitted for "
                                 "energy_reference='C 1s'; any region is fitted when a recipe is given for it)"},
                  "excitation": excitation, "versions": versions(),
                  "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                  "command": " ".join(sys.argv)}
    return Comparison(reference, alpha, labels, table, per_replicate, fits, skipped, missing,
                      {k: used[k] for k in sorted(by_key)}, absent, provenance)


def run(groups: dict, *, reference: str, recipes_dir=None, csv=None, netcdf=None, figure=None,
        overwrite: bool = False, **options) -> Comparison:
    """:func:`compare`, then write the table (CSV), the Dataset (NetCDF) and the figure, each atomically.

    Parameters
    ----------
    groups, reference
        As :func:`compare`.
    recipes_dir : str or PathLike, optional
        A folder of recipes replacing the defaults per region (``compare(recipes=...)``).
    csv, netcdf, figure : str or PathLike, optional
        Where to write the tidy table, the Dataset and the figure (format from the extension:
        ``.svg``, ``.png``, ``.pdf``).
    overwrite : bool
        Replace existing output files; by default an existing file is never replaced.
    **options
        Passed to :func:`compare` (``alpha``, ``energy_reference``, ...).

    Returns
    -------
    Comparison

    Raises
    ------
    spectra.errors.SpectraError
        As :func:`compare`; or an output exists (checked before any fitting) and ``overwrite`` is False.
    """
    from ..io.write import atomic_write, atomic_write_text, write_netcdf

    for out in (csv, netcdf, figure):
        if out is not None and Path(out).exists() and not overwrite:
            raise SpectraError(f"{out} exists; pass overwrite=True (--overwrite) to replace it")
    result = compare(groups, reference=reference, recipes=recipes_dir, **options)
    if csv is not None:
        atomic_write_text(csv, result.table().to_csv(index=False, float_format="%.10g"), overwrite=overwrite)
    if netcdf is not None:
        write_netcdf(result.to_dataset(), netcdf, overwrite=overwrite)
    if figure is not None:
        import matplotlib

        if "matplotlib.pyplot" not in sys.modules:
            matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig = result.plot()
        fmt = Path(figure).suffix.lstrip(".") or "svg"
        atomic_write(figure, lambda tmp: fig.savefig(tmp, format=fmt, dpi=150), overwrite=overwrite)
        plt.close(fig)
    return result


