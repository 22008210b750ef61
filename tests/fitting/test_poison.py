"""One bad spectrum never costs another its result: good spectra mixed with every kind of poison
give bit-identical results to a run without the poison, on both engines, with and without numba,
and each poison gets its reason. Interrupts (Ctrl-C as a real SIGINT to a child process) leave a
consistent partial result that ``resume=`` completes."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import spectra
from spectra import simulate

RECIPE = {"region": "S 2p", "components": ["PS4", "Li2S"]}


def _good(n: int):
    return [simulate.xps("S 2p", {"PS4": 0.7, "Li2S": 0.3}, peak_counts=1e4, seed=300 + k)[0] for k in range(n)]


def _poisons(template):
    """(name, spectrum, reason text) for each kind of bad input."""
    x = template.binding_energy.values
    duplicated = template.assign_coords(binding_energy=np.where(np.arange(x.size) == 5, x[4], x))
    nan = template.copy(data=np.where(np.arange(x.size) == 100, np.nan, template.values))
    return [
        ("duplicated axis", duplicated, "repeated axis values"),
        ("inf dwell", template.assign_attrs(units="counts/s", dwell_time=float("inf"), n_scans=1),
         "Poisson weights cannot be formed"),
        ("1e300 counts", template * 1e300, "intensities beyond"),
        ("NaN", nan, "non-finite intensities"),
        ("negative", template - 2 * float(template.max()), "negative intensities"),
        ("flat", template * 0 + 5, "flat spectrum"),
    ]


@pytest.mark.parametrize("numba", ["1", "0"])
@pytest.mark.parametrize("engine", ["batched", "lmfit"])
def test_poison_costs_no_other_spectrum_its_result(engine, numba, monkeypatch):
    monkeypatch.setenv("SPECTRA_NUMBA", numba)
    good = _good(4)
    clean = spectra.fit_many(good, RECIPE, engine=engine)
    poisons = _poisons(good[0])
    mixed_items = [good[0], poisons[0][1], good[1], poisons[1][1], poisons[2][1], good[2], poisons[3][1],
                   poisons[4][1], poisons[5][1], good[3]]
    mixed = spectra.fit_many(mixed_items, RECIPE, engine=engine)
    good_rows, poison_rows = [0, 2, 5, 9], [1, 3, 4, 6, 7, 8]
    for name in ("value", "stderr", "redchi", "fraction", "fraction_stderr", "covariance"):
        np.testing.assert_array_equal(mixed[name].values[good_rows], clean[name].values, err_msg=name)
    assert mixed.success.values[good_rows].all() and not mixed.success.values[poison_rows].any()
    for row, (name, _, reason) in zip(poison_rows, poisons):
        assert reason in str(mixed.message.values[row]), (name, str(mixed.message.values[row]))


_CHILD = textwrap.dedent("""
    import json, signal, sys, warnings
    # a child of a background job starts with SIGINT ignored (and then Python installs no
    # KeyboardInterrupt handler); Ctrl-C at a terminal is what this test stands for
    signal.signal(signal.SIGINT, signal.default_int_handler)
    warnings.simplefilter("ignore")
    import numpy as np, xarray as xr
    import spectra
    import spectra.fitting.batch  # imported as by an earlier call: the signal must land in the run itself
    from spectra import simulate
    da = simulate.xps("S 2p", {{"PS4": 0.7, "Li2S": 0.3}}, peak_counts=1e4, seed=1)[0]
    rng = np.random.default_rng(0)
    stack = xr.concat([da.copy(data=rng.poisson(np.maximum(da.values, 0))) for _ in range({n})], dim="spectrum")
    recipe = {{"region": "S 2p", "components": ["PS4", "Li2S"]}}
    print("ready", flush=True)
    result = spectra.fit_many(stack, recipe, mc_replicas={mc}, seed=2, chunk_size=64, workers={workers})
    done = spectra.fit_many(stack, recipe, mc_replicas={mc}, seed=2, chunk_size=64, resume=result)
    waiting = result.message.values == "not fitted: the run was interrupted before this spectrum"
    print(json.dumps({{"complete": int(result.attrs["complete"]), "pending": int(result.attrs["pending"]),
                      "fitted": int((~waiting).sum()),
                      "waiting_clean": bool(not result.success.values[waiting].any()
                                            and np.isnan(result.value.values[waiting]).all()),
                      "resumed_complete": int(done.attrs["complete"]), "resumed_pending": int(done.attrs["pending"]),
                      "all_ok": bool(done.success.all()),
                      "mc_finite": bool(np.isfinite(done.mc_value.values).all()) if "mc_value" in done else None}}))
""")


@pytest.mark.parametrize("phase,n,mc,delay,signals,workers", [
    ("set-up", 20000, 0, 0.1, 1, 1),          # while 20,000 spectra are checked and given start values
    ("set-up in workers", 20000, 0, 0.1, 1, 2),
    ("mid-run", 20000, 0, 1.0, 1, 1),
    ("mid-run in workers", 20000, 0, 0.8, 1, 2),  # the workers are stopped; what they sent is kept
    ("Monte Carlo", 300, 100, 0.8, 1, 1),
    ("Monte Carlo in workers", 600, 100, 0.8, 1, 2),
    ("double Ctrl-C", 20000, 0, 1.0, 2, None),
])
def test_sigint_leaves_a_consistent_partial_result(phase, n, mc, delay, signals, workers):
    child = subprocess.Popen([sys.executable, "-c", _CHILD.format(n=n, mc=mc, workers=workers)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        time.sleep(delay)
        for _ in range(signals):
            child.send_signal(signal.SIGINT)
            time.sleep(0.01)
        out, err = child.communicate(timeout=300)
    finally:
        child.kill()
    assert child.returncode == 0, err[-2000:]
    report = json.loads(out.strip().splitlines()[-1])
    assert report["complete"] == 0 and report["pending"] > 0  # interrupted: it says so, and what is left
    assert report["waiting_clean"]  # nothing of a spectrum not finished (a stopped worker's writes are undone)
    if phase.startswith("set-up"):
        assert report["fitted"] == 0
    assert report["resumed_complete"] == 1 and report["resumed_pending"] == 0 and report["all_ok"]
    if mc:
        assert report["mc_finite"]
