"""The contract of the two verbs, :func:`spectra.fit` and :func:`spectra.fit_many`, across techniques.

The technique seam promises one behaviour whatever is fitted:

* **one data check** (:mod:`spectra.fitting.prepare`): a spectrum that cannot be fitted is refused
  by ``spectra.fit`` with the *same reason* that ``spectra.fit_many`` writes into its ``message``
  (``"not fitted: <reason>"``), for XPS and XRD alike — a table of bad inputs, one row per case;
* **one option check** (:mod:`spectra.fitting.options`): an invalid option is refused by name
  before any data is touched, and options of ``fit_many`` alone are refused by ``fit`` with a
  reason naming the option;
* **the same options for every technique** (Monte Carlo replicas, unit weights);
* **one result surface**: a single fit's ``to_dataset(curves=False)`` is the N = 1 slice of
  ``fit_many``'s Dataset (same variables, coords, dims, units and attributes; same numbers with the
  same lmfit engine), and every technique's result has ``table()``, ``summary()``, the notebook
  HTML and ``plot()``;
* **a registry of techniques**: a third technique is one :class:`~spectra.fitting.problem.Problem`
  subclass plus :func:`~spectra.fitting.problem.register` — demonstrated here with a toy technique
  (a Gaussian on a constant, axis ``x``) written in this file, fitted by both verbs and both engines;
* technique inference from a recipe's content.
"""
from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import spectra
import spectra.fitting.batch
import spectra.fitting.problem as problem_module
import spectra.fitting.single
from spectra import simulate
from spectra.errors import FitError, RecipeError, SpectraError
from spectra.fitting import propagate
from spectra.fitting.params import ParamInfo
from spectra.fitting.problem import Problem, problem_for, register, registered
from spectra.fitting.result import STDERR_METHOD, LeastSquaresResult

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

XPS_RECIPE = {"region": "S 2p", "components": ["PS4", "Li2S"]}
XRD_RECIPE = {"technique": "xrd", "phases": ["Si", "Li2S"], "window": [20.0, 60.0]}
XRD_PHASES = {"Si": {"scale": 8.0, "size": 300.0}, "Li2S": {"scale": 100.0, "size": 10.0}}


@pytest.fixture(scope="module")
def xps_spectrum():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        da, _ = simulate.xps("S 2p", {"PS4": 0.7, "Li2S": 0.3}, seed=1)
    return da


@pytest.fixture(scope="module")
def xrd_pattern():
    """A pattern wider than the recipe window (18-62° against 20-60°), so cases can damage points
    inside or outside the window."""
    da, _ = simulate.xrd(XRD_PHASES, two_theta=(18.0, 62.0), step=0.04, seed=1)
    return da


@pytest.fixture(scope="module")
def cases(xps_spectrum, xrd_pattern):
    """One good spectrum and recipe per registered technique: the row a new technique adds."""
    return {"xps": (xps_spectrum, XPS_RECIPE), "xrd": (xrd_pattern, XRD_RECIPE)}


#: the techniques the contracts below run over (every registered one; see the test after)
TECHNIQUES = registered()


def test_every_registered_technique_has_a_contract_case(cases):
    """A technique registered without a row in ``cases`` would escape the contracts of this file."""
    assert set(cases) == set(TECHNIQUES)


# ------------------------------------------------------------------------------------------ bad input
def _window(recipe, da):
    ax = da.dims[0]
    lo, hi = recipe.get("window") or (float(da[ax].min()), float(da[ax].max()))
    return ax, lo, hi


def _middle(da, recipe) -> int:
    """Index of a point well inside the recipe window."""
    ax, lo, hi = _window(recipe, da)
    return int(np.argmin(np.abs(da[ax].values - 0.5 * (lo + hi))))


def _with_values(da, values):
    return da.copy(data=np.asarray(values, dtype=float))


def _nan_inside(da, recipe):
    y = da.values.copy()
    y[_middle(da, recipe)] = np.nan
    return _with_values(da, y)


def _inf_inside(da, recipe):
    y = da.values.copy()
    y[_middle(da, recipe)] = np.inf
    return _with_values(da, y)


def _flat_zeros(da, recipe):
    return _with_values(da, np.zeros(da.shape))


def _negative(da, recipe):
    """A background-subtracted look: the median removed, so about half the points are negative."""
    return _with_values(da, da.values - np.median(da.values))


def _few_points(da, recipe):
    """Five points inside the window."""
    i = _middle(da, recipe)
    return da.isel({da.dims[0]: slice(i, i + 5)})


def _outside_window(da, recipe):
    """Every point beyond the window (XPS, whose recipe takes the library window 155-172 eV: the
    spectrum shifted 50 eV up)."""
    ax, lo, hi = _window(recipe, da)
    if "window" in recipe:
        return da.where(da[ax] > hi, drop=True)
    return da.assign_coords({ax: da[ax].values + 50.0})


def _two_dimensional(da, recipe):
    return da.expand_dims(scan=2)


def _repeated_axis(da, recipe):
    ax = da.dims[0]
    x = da[ax].values.copy()
    i = _middle(da, recipe)
    x[i + 1] = x[i]
    return xr.DataArray(da.values, dims=(ax,), coords={ax: x}, attrs=da.attrs)


def _nan_axis(da, recipe):
    ax = da.dims[0]
    x = da[ax].values.copy()
    x[_middle(da, recipe)] = np.nan
    return xr.DataArray(da.values, dims=(ax,), coords={ax: x}, attrs=da.attrs)


def _wrong_axis(da, recipe):
    ax = da.dims[0]
    return da.rename({ax: "two_theta" if ax == "binding_energy" else "binding_energy"})


def _reversed(da, recipe):
    return da.isel({da.dims[0]: slice(None, None, -1)})


def _tiny_dwell(da, recipe):
    return da.assign_attrs(units="counts/s", dwell_time=1e-300, n_scans=1)


def _infinite_dwell(da, recipe):
    return da.assign_attrs(units="counts/s", dwell_time=float("inf"), n_scans=1)


def _huge(da, recipe):
    return da * 1e165


def _nan_outside_window(da, recipe):
    """A NaN beyond the window does not matter (XRD only: the simulated S 2p spectrum spans exactly
    the library window the XPS recipe takes)."""
    ax, lo, hi = _window(recipe, da)
    y = da.values.copy()
    y[int(np.argmax(da[ax].values))] = np.nan
    return _with_values(da, y)


REFUSED, ACCEPTED = "refused", "accepted"
#: (case, technique, mutation, outcome, reason text both verbs must give). One row per case.
BAD_INPUT = [
    ("nan-inside-window", "xps", _nan_inside, REFUSED, "1 non-finite intensities in the window"),
    ("nan-inside-window", "xrd", _nan_inside, REFUSED, "1 non-finite intensities in the window"),
    ("inf-inside-window", "xps", _inf_inside, REFUSED, "non-finite intensities"),
    ("inf-inside-window", "xrd", _inf_inside, REFUSED, "non-finite intensities"),
    ("nan-outside-window", "xrd", _nan_outside_window, ACCEPTED, None),
    ("all-zeros", "xps", _flat_zeros, REFUSED, "flat spectrum"),
    ("all-zeros", "xrd", _flat_zeros, REFUSED, "flat spectrum"),
    ("negative", "xps", _negative, REFUSED, "negative intensities"),
    ("negative", "xrd", _negative, ACCEPTED, None),  # background-subtracted patterns are valid
    ("too-few-points", "xps", _few_points, REFUSED, "only 5 points inside the window"),
    ("too-few-points", "xrd", _few_points, REFUSED, "only 5 points inside the window"),
    ("nothing-in-window", "xps", _outside_window, REFUSED, "only 0 points inside the window"),
    ("nothing-in-window", "xrd", _outside_window, REFUSED, "only 0 points inside the window"),
    ("two-dimensional", "xps", _two_dimensional, REFUSED, "needs a 1-D spectrum on binding_energy"),
    ("two-dimensional", "xrd", _two_dimensional, REFUSED, "needs a 1-D spectrum on two_theta"),
    ("repeated-axis", "xps", _repeated_axis, REFUSED, "repeated axis values"),
    ("repeated-axis", "xrd", _repeated_axis, REFUSED, "repeated axis values"),
    ("wrong-axis", "xps", _wrong_axis, REFUSED, "needs a 1-D spectrum on binding_energy"),
    ("wrong-axis", "xrd", _wrong_axis, REFUSED, "needs a 1-D spectrum on two_theta"),
    ("tiny-dwell", "xps", _tiny_dwell, REFUSED, "Poisson weights cannot be formed"),
    ("infinite-dwell", "xps", _infinite_dwell, REFUSED, "Poisson weights cannot be formed"),
    ("huge-intensities", "xps", _huge, REFUSED, "intensities beyond 1e+15"),
    ("huge-intensities", "xrd", _huge, REFUSED, "intensities beyond 1e+15"),
    ("descending-axis", "xps", _reversed, ACCEPTED, None),
    ("descending-axis", "xrd", _reversed, ACCEPTED, None),
]


@pytest.mark.parametrize("case,technique,mutate,outcome,reason", BAD_INPUT,
                         ids=[f"{t}-{c}" for c, t, *_ in BAD_INPUT])
def test_bad_input_same_reason_through_both_verbs(cases, case, technique, mutate, outcome, reason):
    good, recipe = cases[technique]
    da = mutate(good, recipe)
    many = spectra.fit_many([da], recipe)
    message = str(many.message.values[0])
    if outcome == REFUSED:
        assert message.startswith("not fitted: "), f"fit_many accepted {case}: {message}"
        why = message[len("not fitted: "):]
        assert reason in why
        assert not bool(many.success.values[0]) and np.all(np.isnan(many.value.values))
        with pytest.raises(SpectraError) as info:
            spectra.fit(da, recipe)
        assert isinstance(info.value, FitError)
        assert why in str(info.value), f"spectra.fit gave {info.value!s}; fit_many gave {why!r}"
    else:
        assert bool(many.success.values[0]), f"fit_many refused or failed {case}: {message}"
        result = spectra.fit(da, recipe)
        assert result.success, f"spectra.fit failed on {case}: {result.message}"


def test_one_bad_spectrum_does_not_stop_the_batch(cases):
    good, recipe = cases["xps"]
    many = spectra.fit_many([good, _flat_zeros(good, recipe), good], recipe)
    assert many.success.values.tolist() == [True, False, True]


# ------------------------------------------------------------------------------------------- options
class Poison:
    """Data that fails loudly when touched in any way: passing options that are refused must never
    reach it."""

    def __getattr__(self, name):
        raise AssertionError(f"the data was touched ({name}) before the options were checked")

    def __iter__(self):
        raise AssertionError("the data was iterated before the options were checked")

    def __len__(self):
        raise AssertionError("the data was measured before the options were checked")


#: (verb, option, value, regex the message must match). One row per case.
BAD_OPTIONS = [
    (verb, *row) for verb in ("fit", "fit_many") for row in [
        ("weights", "poison", r"weights='poison' is not valid; use one of 'poisson', 'none'"),
        ("weights", None, r"weights=None is not valid"),
        ("method", "nelder", r"method='nelder' is not valid; use one of 'leastsq', 'least_squares'"),
        ("mc_replicas", -1, r"mc_replicas=-1 is not valid; use an integer ≥ 2 \(or 0 for none\)"),
        ("mc_replicas", 1, r"mc_replicas=1 is not valid"),
        ("mc_replicas", 2.5, r"mc_replicas=2.5 is not valid"),
        ("mc_replicas", True, r"mc_replicas=True is not valid"),
        ("seed", -3, r"seed=-3 is not valid; use an integer ≥ 0"),
        ("seed", "x", r"seed='x' is not valid"),
        ("weight", "none", r"unknown options \['weight'\]"),
    ]
] + [
    ("fit_many", "engine", "gpu", r"engine='gpu' is not valid; use one of 'auto', 'batched', 'lmfit'"),
    ("fit_many", "chunk_size", -1, r"chunk_size=-1 is not valid; use an integer ≥ 1"),
    ("fit_many", "chunk_size", 0, r"chunk_size=0 is not valid"),
    ("fit_many", "chunk_size", 2.0, r"chunk_size=2.0 is not valid"),
    ("fit_many", "start", "previous", r"start='previous' is not valid; use one of 'recipe', 'neighbour'"),
    ("fit_many", "progress", "yes", r"progress='yes' is not valid; use True, False or a callable"),
    # options of fit_many alone, refused by fit with the reason
    ("fit", "chunk_size", 10, r"chunk_size does not apply to spectra.fit: chunks split many spectra"),
    ("fit", "engine", "batched", r"engine does not apply to spectra.fit"),
    ("fit", "engine", "lmfit", r"engine does not apply to spectra.fit"),
    ("fit", "start", "neighbour", r"start does not apply to spectra.fit: seeding from neighbours needs a series"),
    ("fit", "progress", True, r"progress does not apply to spectra.fit"),
    ("fit", "resume", None, r"resume does not apply to spectra.fit"),
    ("fit", "client", None, r"client does not apply to spectra.fit"),
]


@pytest.fixture
def no_work(monkeypatch):
    """Record (and refuse) any reading or preparation of data, in both verbs. fit_many turns an
    exception while preparing one spectrum into that spectrum's failure, so the calls are recorded
    rather than only raised."""
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise AssertionError("data were prepared before the options were checked")

    for module in (spectra.fitting.batch, spectra.fitting.single):
        monkeypatch.setattr(module, "prepare", refuse)
        monkeypatch.setattr(module, "as_raw", refuse)
    return calls


@pytest.mark.parametrize("verb,option,value,pattern", BAD_OPTIONS,
                         ids=[f"{v}-{o}={x!r}" for v, o, x, _ in BAD_OPTIONS])
@pytest.mark.parametrize("recipe", [XPS_RECIPE, XRD_RECIPE], ids=["xps", "xrd"])
def test_invalid_option_refused_by_name_before_any_work(no_work, verb, option, value, pattern, recipe):
    call = getattr(spectra, verb)
    with pytest.raises(FitError, match=pattern) as info:
        call(Poison(), recipe, **{option: value})
    assert option in str(info.value)
    assert no_work == []


def test_valid_options_reach_the_data(no_work, xps_spectrum):
    """The guard above is live: with valid options the verbs do reach the data."""
    with pytest.raises(AssertionError, match="before the options were checked"):
        spectra.fit(xps_spectrum, XPS_RECIPE, weights="none", seed=0)
    assert len(no_work) == 1
    many = spectra.fit_many([xps_spectrum], XPS_RECIPE, chunk_size=1, engine="lmfit")
    assert "before the options were checked" in str(many.message.values[0])
    assert len(no_work) == 2


# ----------------------------------------------------------------------------- the same options for all
def test_xrd_monte_carlo_through_spectra_fit(cases):
    da, recipe = cases["xrd"]
    result = spectra.fit(da, recipe, mc_replicas=5, seed=1)
    mc = result.monte_carlo
    assert mc["replicas"] == 5 and mc["seed"] == 1
    assert set(mc["params"]) == set(result.problem.names)
    assert set(mc["fractions"]) == {"Si", "Li2S"}
    for label in ("Si", "Li2S"):
        q = mc["fractions"][label]
        assert 0 < q["p2.5"] <= q["p50"] <= q["p97.5"] < 1
    ds = result.to_dataset(curves=False)
    assert ds.mc_fraction.dims == ("spectrum", "quantile", "phase")
    assert np.all(np.isfinite(ds.mc_fraction.values))


@pytest.mark.parametrize("technique", TECHNIQUES)
def test_unit_weights_through_both_verbs(cases, technique):
    da, recipe = cases[technique]
    poisson = spectra.fit(da, recipe)
    single = spectra.fit(da, recipe, weights="none")
    lmfit_many = spectra.fit_many([da], recipe, weights="none", engine="lmfit")
    batched = spectra.fit_many([da], recipe, weights="none")
    assert single.success and single.provenance["weights"] == "none"
    assert np.allclose(single.sigma, 1.0)
    assert single.redchi == pytest.approx(float(lmfit_many.redchi.values[0]), rel=1e-9)
    assert bool(batched.success.values[0])
    assert single.redchi == pytest.approx(float(batched.redchi.values[0]), rel=1e-4)
    # counts data with σ = 1: χ²ᵣ is of the order of the counts, not of 1
    assert not math.isclose(single.redchi, poisson.redchi, rel_tol=0.5)
    assert single.redchi > 10 * poisson.redchi


# ------------------------------------------------------------------------------------ one result surface
@pytest.fixture(scope="module")
def pairs(cases):
    """(single result, fit_many Dataset with the lmfit engine) per technique."""
    return {t: (spectra.fit(da, recipe), spectra.fit_many([da], recipe, engine="lmfit"))
            for t, (da, recipe) in cases.items()}


@pytest.mark.parametrize("technique", TECHNIQUES)
def test_single_dataset_is_the_one_row_of_fit_many(pairs, technique):
    result, many = pairs[technique]
    single = result.to_dataset(curves=False)
    assert set(single.data_vars) == set(many.data_vars)
    assert set(single.coords) == set(many.coords)
    assert dict(single.sizes) == dict(many.sizes)
    assert set(many.attrs) <= set(single.attrs)
    for key in ("technique", "engine", "recipe", "recipe_sha256", "region", "complete", "pending"):
        assert single.attrs[key] == many.attrs[key], key
    assert single.attrs["technique"] == technique
    for name in [*many.data_vars, *many.coords]:
        a, b = single[name], many[name]
        assert a.dims == b.dims, name
        assert a.attrs.get("units") == b.attrs.get("units"), name
        if name == "source":
            continue  # see test_source_coordinate_is_the_same_for_both_verbs
        if a.dtype.kind in "fc":
            np.testing.assert_allclose(a.values, b.values, rtol=1e-9, atol=0, equal_nan=True, err_msg=name)
        else:
            np.testing.assert_array_equal(a.values, b.values, err_msg=name)


@pytest.mark.parametrize("technique", TECHNIQUES)
def test_source_coordinate_is_the_same_for_both_verbs(pairs, cases, technique):
    """The same DataArray fitted by either verb should be labelled with the same ``source``."""
    result, many = pairs[technique]
    da, _ = cases[technique]
    single = str(result.to_dataset(curves=False).source.values[0])
    batch = str(many.source.values[0])
    assert single == batch, (
        f"source coordinate differs for the same DataArray (attrs['source'] = {da.attrs.get('source')!r}): "
        f"spectra.fit -> {single!r}, spectra.fit_many -> {batch!r}. fit_many fills `source` only for file "
        "paths (batch.py: out.source = [str(item) if isinstance(item, (str, os.PathLike)) else '' ...]) while "
        "LeastSquaresResult.to_dataset uses provenance['source'] = attrs['source']")


@pytest.mark.parametrize("technique", TECHNIQUES)
def test_table_summary_html(pairs, technique):
    result, _ = pairs[technique]
    table = result.table()
    assert isinstance(table, pd.DataFrame)
    assert {"quantity", "value", "stderr", "unit"} <= set(table.columns)
    assert table["quantity"].tolist()[:len(result.problem.names)] == result.problem.names
    fraction = "fraction" if technique == "xps" else "weight_fraction"
    assert any(q.startswith(f"{fraction}:") for q in table["quantity"])
    summary = result.summary()
    assert isinstance(summary, str)
    assert technique.upper() in summary
    assert "chi-square" in summary and f"{result.chisqr:.6g}" in summary
    assert STDERR_METHOD in summary
    html = result._repr_html_()
    assert "<table>" in html and "</table>" in html
    for quantity in table["quantity"]:
        assert f"<td>{quantity}</td>" in html


@pytest.mark.parametrize("technique", TECHNIQUES)
def test_plot_returns_axes_and_never_shows(pairs, technique, monkeypatch):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes

    def no_show(*args, **kwargs):
        raise AssertionError("plot() called plt.show()")

    monkeypatch.setattr(plt, "show", no_show)
    result, _ = pairs[technique]
    ax = result.plot()
    try:
        assert isinstance(ax, Axes)
        assert len(ax.lines) >= 3  # data, background, fit
        fig, given = plt.subplots()
        assert result.plot(ax=given) is given
        plt.close(fig)
    finally:
        plt.close(ax.figure)


# ------------------------------------------------------------------------------------------ registry
# ---- toy technique: begin (a third technique is this much code) ----
@dataclass
class ToySpec:
    text: str
    window: tuple[float, float] | None
    region: str = "toy Gaussian"

    @property
    def sha256(self) -> str:
        import hashlib

        return hashlib.sha256(self.text.encode()).hexdigest()


class ToyBatched:
    """A Gaussian ``h·exp(-(x-c)²/2s²) + b`` for N items on one grid, with its analytic Jacobian."""

    def __init__(self, x, vary):
        self.x, self.vary = x[None, :], vary

    def evaluate(self, theta, want_jacobian, rows=slice(None)):
        h, c, s, b = (theta[:, k:k + 1] for k in range(4))
        z = (self.x - c) / s
        g = np.exp(-0.5 * z**2)
        model = h * g + b
        if not want_jacobian:
            return model, None
        jac = np.stack([g, h * g * z / s, h * g * z**2 / s, np.ones_like(g)], axis=1)
        return model, jac[:, self.vary]


class ToyModel:
    def __init__(self, item, params):
        self.x, self.params = item.x, params

    def evaluate(self, v):
        peak = v["height"] * np.exp(-0.5 * ((self.x - v["center"]) / v["sigma"]) ** 2)
        background = np.full_like(self.x, v["background"])
        return peak + background, {"peak": peak}, background


class ToyProblem(Problem):
    name = "toy"
    axis = "x"
    fraction_dim = "peak"
    fraction_attrs = {"units": "1", "long_name": "fraction of the peak areas"}
    UNITS = {"height": "counts", "center": "x", "sigma": "x", "background": "counts"}

    def parse(self, source, attrs):
        unknown = set(source.data) - {"technique", "window"}
        if unknown:
            raise RecipeError(f"unknown toy recipe keys {sorted(unknown)}")
        window = source.data.get("window")
        return ToySpec(source.text, tuple(sorted(map(float, window))) if window else None)

    def parameters(self):
        return [ParamInfo(n, None, -math.inf, math.inf, True, u) for n, u in self.UNITS.items()]

    @property
    def fraction_labels(self):
        return ["peak"]

    def attach_models(self, items, *, start=None):
        for item in items:
            x, y = item.x, item.y
            item.lo = np.array([0.0, x.min(), np.ptp(x) / (10 * x.size), -np.inf])
            item.hi = np.array([np.inf, x.max(), np.ptp(x), np.inf])
            if start is not None:  # Monte Carlo replicas: refitted from the best fit
                item.start = np.clip(start, item.lo, item.hi)
                continue
            b = float(np.percentile(y, 10))
            h = float(y.max() - b)
            width = max(np.count_nonzero(y - b > h / 2) * np.ptp(x) / (x.size - 1), np.ptp(x) / x.size)
            item.start = np.array([h, x[np.argmax(y)], width / 2.3548, b])

    def batched_model(self, items):
        return ToyBatched(items[0].x, self.vary)

    def lmfit_model(self, item):
        return ToyModel(item, [ParamInfo(n, v, lo, hi, True, self.UNITS[n])
                               for n, v, lo, hi in zip(self.names, item.start, item.lo, item.hi)])

    def make_result(self, item, model, fit):
        return LeastSquaresResult(self.spec, item.x, item.y, item.sigma, fit.best_fit, fit.background, fit.curves,
                                  fit.values, fit.stderr, fit.varying, fit.covariance, fit.chisqr, fit.redchi,
                                  fit.nfev, fit.success, fit.message, problem=self)

    def derived(self, value, covariance):
        free = propagate.free_index(self.names, self.vary)
        h, s = value[:, 0], value[:, 2]
        area = (math.sqrt(2 * math.pi) * h * s)[:, None]
        grad = np.zeros((len(value), 1, len(free)))
        grad[:, 0, free["height"]] = math.sqrt(2 * math.pi) * s
        grad[:, 0, free["sigma"]] = math.sqrt(2 * math.pi) * h
        area_cov = propagate.linear(grad, covariance)
        fraction, _ = propagate.shares(area, area_cov)
        dims = ("spectrum", "peak")
        return {"area": (dims, area, {"units": "counts*x", "long_name": "peak area"}),
                "area_stderr": (dims, propagate.diagonal_sd(area_cov),
                                {"units": "counts*x", "long_name": "standard error of the peak area"})}, fraction
# ---- toy technique: end ----


TOY_TRUTH = {"height": 500.0, "center": 4.3, "sigma": 0.6, "background": 50.0}
TOY_AREA = math.sqrt(2 * math.pi) * TOY_TRUTH["height"] * TOY_TRUTH["sigma"]


def _toy_spectrum(seed):
    x = np.linspace(0.0, 10.0, 201)
    t = TOY_TRUTH
    expected = t["height"] * np.exp(-0.5 * ((x - t["center"]) / t["sigma"]) ** 2) + t["background"]
    y = np.random.default_rng(seed).poisson(expected).astype(float)
    return xr.DataArray(y, dims=("x",), coords={"x": x}, attrs={"units": "counts", "source": f"toy seed {seed}"})


@pytest.fixture
def toy_registered(monkeypatch):
    monkeypatch.setattr(problem_module, "_REGISTRY", dict(problem_module._REGISTRY))
    register("toy", ToyProblem)
    yield
    # monkeypatch puts the original registry back


def test_builtin_techniques_are_registered():
    assert {"xps", "xrd"} <= set(registered())


def test_a_third_technique_is_one_class_and_its_registration(toy_registered):
    assert "toy" in registered()
    recipe = {"technique": "toy"}
    assert isinstance(problem_for(recipe), ToyProblem)
    da = _toy_spectrum(3)
    result = spectra.fit(da, recipe)
    assert result.success
    area = result.table().set_index("quantity").loc["area:peak"]
    assert abs(area["value"] - TOY_AREA) < 3 * area["stderr"]
    assert "TOY" in result.summary()
    data = [_toy_spectrum(seed) for seed in range(3, 8)]
    for engine in ("batched", "lmfit"):
        many = spectra.fit_many(data, recipe, engine=engine)
        assert many.attrs["technique"] == "toy" and many.attrs["engine"] == engine
        assert many.success.values.all(), many.message.values
        pulls = (many.area.sel(peak="peak").values - TOY_AREA) / many.area_stderr.sel(peak="peak").values
        assert np.all(np.abs(pulls) < 3), pulls
        assert many.area.values[0, 0] == pytest.approx(area["value"], rel=1e-6 if engine == "lmfit" else 1e-4)
    single = result.to_dataset(curves=False)
    assert set(single.data_vars) == set(many.data_vars)
    mc = spectra.fit_many(data[:2], recipe, mc_replicas=20, seed=1)  # Monte Carlo through the same seam
    low, high = mc.mc_value.sel(param="height").values[:, [0, -1]].T
    assert bool(mc.mc_done.all()) and np.all(low < mc.value.sel(param="height").values) and np.all(
        mc.value.sel(param="height").values < high)
    # the same bad-input reasons hold for the new technique
    flat = da.copy(data=np.zeros(da.shape))
    reason = str(spectra.fit_many([flat], recipe).message.values[0])[len("not fitted: "):]
    with pytest.raises(FitError, match=re.escape(reason)):
        spectra.fit(flat, recipe)


def test_registration_is_undone_by_restoring_the_registry():
    before = dict(problem_module._REGISTRY)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(problem_module, "_REGISTRY", dict(problem_module._REGISTRY))
        register("toy", ToyProblem)
        assert "toy" in registered()
    assert "toy" not in registered()
    assert problem_module._REGISTRY == before


@pytest.mark.parametrize("technique", ["toy", "xps", "xrd"])
def test_nan_axis_value_is_refused_whatever_the_window(cases, toy_registered, technique):
    """A NaN on the axis is corrupt data: prepare() has a reason for it ("non-finite axis values"),
    and every technique should give it, with or without a recipe window."""
    if technique == "toy":
        good, recipe = _toy_spectrum(3), {"technique": "toy"}
    else:
        good, recipe = cases[technique]
    da = _nan_axis(good, recipe)
    message = str(spectra.fit_many([da], recipe).message.values[0])
    try:
        spectra.fit(da, recipe)
        single = "accepted"
    except FitError as exc:
        single = str(exc)
    assert message == "not fitted: non-finite axis values" and "non-finite axis values" in single, (
        f"{technique}: fit_many -> {message!r}, fit -> {single!r}. With a recipe window, prepare() selects "
        "(x >= lo) & (x <= hi), which is False for NaN, so the point is dropped silently and the "
        "'non-finite axis values' check is never reached; without a window (toy) it is refused")


def test_toy_is_gone():
    assert "toy" not in registered()
    with pytest.raises(RecipeError, match=r"unknown technique 'toy'; known: .*xps.*xrd"):
        problem_for({"technique": "toy"})


# --------------------------------------------------------------------------------- technique inference
@pytest.mark.parametrize("recipe,technique", [
    ({"technique": "XRD", "phases": ["Si"]}, "xrd"),
    ({"technique": " Xrd ", "phases": ["Si"]}, "xrd"),
    ({"phases": ["Si", "Li2S"]}, "xrd"),
    ({"anode": "Cu", "peaks": [{"name": "p", "center": 28.4}]}, "xrd"),
    ({"technique": "XPS", "region": "S 2p", "components": ["PS4"]}, "xps"),
    ({"region": "S 2p", "components": ["PS4"]}, "xps"),
    ('technique = "XRD"\nphases = ["Si"]\n', "xrd"),
])
def test_technique_inferred_from_the_recipe(recipe, technique):
    problem = problem_for(recipe)
    assert problem.name == technique
    assert type(problem).__name__ == f"{technique.upper()}Problem"


def test_unknown_technique_lists_the_known_ones():
    with pytest.raises(RecipeError, match=r"unknown technique 'nmr'; known: .*xps.*xrd"):
        problem_for({"technique": "NMR"})


def test_more_parameters_than_points_is_refused_alike(xps_spectrum):
    """A window holding fewer points than the recipe has varying parameters cannot be fitted: both
    verbs say so (it used to give a negative χ²ᵣ through fit_many and a raw TypeError through fit)."""
    recipe = {"region": "S 2p", "components": ["PS4", "Li2S", "P2Sx", "S8"], "window": [159.5, 160.0]}
    with pytest.raises(FitError, match="varying parameters") as info:
        spectra.fit(xps_spectrum, recipe)
    message = str(spectra.fit_many([xps_spectrum], recipe).message.values[0])
    assert message.startswith("not fitted: ") and message[len("not fitted: "):] in str(info.value)


@pytest.mark.parametrize("verb", ["fit", "fit_many"])
def test_monte_carlo_needs_counting_weights(verb, xrd_pattern):
    run = spectra.fit if verb == "fit" else spectra.fit_many
    with pytest.raises(FitError, match="mc_replicas draws Poisson replicas"):
        run(xrd_pattern if verb == "fit" else [xrd_pattern], XRD_RECIPE, weights="none", mc_replicas=5)


def test_xrd_weight_fractions_agree_across_views(xrd_pattern):
    """weight_fractions() (uncertain numbers, cell lengths included) equals table() and fit_many."""
    single = spectra.fit(xrd_pattern, XRD_RECIPE)
    rows = single.table().set_index("quantity")
    for phase, w in single.weight_fractions().items():
        assert w.n == pytest.approx(rows.loc[f"weight_fraction:{phase}", "value"], rel=1e-12)
        assert w.s == pytest.approx(rows.loc[f"weight_fraction:{phase}", "stderr"], rel=1e-6)
