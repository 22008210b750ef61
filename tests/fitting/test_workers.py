"""fit_many split over forked worker processes (:mod:`spectra.fitting.workers`): the same result as one
process (to rounding: values, flags, messages, Monte Carlo quantiles), failures isolated as before,
a worker that dies costs nothing but time, and options that cannot apply are refused.

The spectra are an independent forward calculation (GL(30) doublets of ``tests/forward_lines.py`` on a
sloped Shirley-type background, per-spectrum compositions, widths and charge shifts, Poisson noise)."""
from __future__ import annotations

import os
import threading

import numpy as np
import pytest
import xarray as xr

import spectra
from spectra.errors import FitError
from spectra.fitting import batch, workers

from ..forward_lines import gl30

RECIPE = {"region": "S 2p", "components": ["PS4", "Li2S"], "lineshape": "GL(30)",
          "background": {"kind": "active-shirley", "linear": True}, "shift": {"value": 0, "min": -3, "max": 3}}
STATIC = {"region": "S 2p", "components": ["PS4", "Li2S"], "lineshape": "GL(30)"}

pytestmark = pytest.mark.skipif(not workers.can_fork(), reason="worker processes need the fork start method")


def _varied(n: int, seed: int) -> xr.DataArray:
    rng = np.random.default_rng(seed)
    x = np.round(np.arange(155.0, 172.0 + 0.025, 0.05), 10)
    f, height, shift = rng.uniform(0.05, 0.6, (n, 1)), rng.uniform(2e3, 2e4, (n, 1)), rng.uniform(-0.2, 0.2, (n, 1))
    width = rng.uniform(1.0, 1.3, (n, 1))
    peaks = sum(gl30(x, c + shift, width, a) + gl30(x, c + shift + 1.18, width, a / 2)
                for c, a in ((161.6, 1 - f), (160.0, f)))
    peaks = peaks * height / peaks.max(axis=1, keepdims=True)
    step = np.cumsum(peaks, axis=1) / peaks.sum(axis=1, keepdims=True)
    background = height * (0.5 + 0.2 * step + rng.uniform(-0.05, 0.1, (n, 1)) * (x - x[0]) / (x[-1] - x[0]))
    counts = rng.poisson(peaks + background).astype(float)
    return xr.DataArray(counts, dims=("spectrum", "binding_energy"), coords={"binding_energy": x},
                        attrs={"technique": "xps", "units": "counts", "region": "S 2p", "excitation_energy": 1486.6,
                               "energy_axis": "binding"})


def _same(a: xr.Dataset, b: xr.Dataset) -> None:
    """The same fits: flags, iterations and messages exactly; numbers to rounding (a chunk's linear algebra
    and the start values sum in an order that depends on which spectra share them): 1e-6 σ, 1e-6 relative."""
    for name in ("success", "nfev", "flags", "at_bound"):
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
    sigma = a.stderr.values
    moved = np.abs(a.value.values - b.value.values)[np.isfinite(sigma)] / sigma[np.isfinite(sigma)]
    assert moved.max(initial=0.0) < 1e-6
    for name in ("stderr", "covariance", "redchi", "start"):
        np.testing.assert_allclose(a[name].values, b[name].values, rtol=1e-6, err_msg=name)
    assert (a.message.values == b.message.values).all()
    assert a.attrs["complete"] == b.attrs["complete"] == 1


def test_two_workers_give_the_one_process_result_with_failures_isolated():
    data = _varied(300, 1)
    poisoned = data.copy()
    poisoned[17, 40] = np.nan  # one bad spectrum in the first part, one in the second
    poisoned[250] = 5.0
    one = spectra.fit_many(poisoned, RECIPE, chunk_size=32, workers=1)
    two = spectra.fit_many(poisoned, RECIPE, chunk_size=32, workers=2)
    _same(one, two)
    assert "non-finite" in str(two.message.values[17]) and "flat" in str(two.message.values[250])
    assert two.success.values.sum() == 298


def test_monte_carlo_quantiles_do_not_depend_on_the_split():
    data = _varied(40, 2)
    one = spectra.fit_many(data, STATIC, mc_replicas=20, seed=5, chunk_size=8, workers=1)
    three = spectra.fit_many(data, STATIC, mc_replicas=20, seed=5, chunk_size=8, workers=3)
    _same(one, three)
    np.testing.assert_allclose(one.mc_value.values, three.mc_value.values, rtol=1e-9)
    np.testing.assert_allclose(one.mc_fraction.values, three.mc_fraction.values, rtol=1e-9)
    assert bool(three.mc_done.all())


def test_lmfit_engine_in_workers():
    data = _varied(12, 3)
    one = spectra.fit_many(data, STATIC, engine="lmfit", workers=1)
    two = spectra.fit_many(data, STATIC, engine="lmfit", workers=2)
    _same(one, two)


def test_progress_counts_every_spectrum_from_the_workers():
    seen = []
    spectra.fit_many(_varied(200, 4), STATIC, chunk_size=16, workers=2, progress=lambda done, total: seen.append(done))
    assert seen == sorted(seen) and seen[-1] == 200 and len(seen) > 2


def test_a_worker_that_dies_costs_only_time(monkeypatch):
    parent = os.getpid()
    run = batch._run

    def dies_in_a_worker(problem, items, fit_todo, mc_todo, out, *args):
        if os.getpid() != parent and out.position[0] > 0:  # the second part's worker: gone without a word
            os._exit(9)
        return run(problem, items, fit_todo, mc_todo, out, *args)

    monkeypatch.setattr(batch, "_run", dies_in_a_worker)
    data = _varied(100, 5)
    two = spectra.fit_many(data, STATIC, chunk_size=16, workers=2)
    monkeypatch.setattr(batch, "_run", run)
    _same(spectra.fit_many(data, STATIC, chunk_size=16, workers=1), two)


def test_run_forked_reports_what_arrived_and_which_tasks_ended_early():
    received = []

    def work(task, send):
        send(task * 10)
        if task == 2:
            os._exit(3)
        send(task * 10 + 1)

    unfinished = workers.run_forked([1, 2, 3], work, lambda k, message: received.append((k, message)))
    assert unfinished == [1]
    assert sorted(received) == [(0, 10), (0, 11), (1, 20), (2, 30), (2, 31)]


def test_workers_run_blas_on_one_thread():
    import threadpoolctl

    seen = []
    workers.run_forked([0], lambda task, send: send([p["num_threads"] for p in threadpoolctl.threadpool_info()
                                                     if p["user_api"] == "blas"]),
                       lambda k, threads: seen.extend(threads))
    assert seen and set(seen) == {1}


@pytest.mark.parametrize("options,needle", [
    ({"workers": 0}, "workers=0 is not valid"),
    ({"workers": 2.0}, "workers=2.0 is not valid"),
    ({"workers": 2, "start": "neighbour"}, "use workers=1"),
])
def test_workers_options_are_checked(options, needle):
    with pytest.raises(FitError, match=needle):
        spectra.fit_many(_varied(2, 6), STATIC, **options)


def test_fit_refuses_workers():
    with pytest.raises(FitError, match="workers does not apply to spectra.fit"):
        spectra.fit(_varied(1, 7)[0], STATIC, workers=2)


def test_auto_stays_in_one_process_while_another_thread_runs(monkeypatch):
    with monkeypatch.context() as alone:  # as in a script (earlier tests may have left thread pools running)
        alone.setattr(threading, "active_count", lambda: 1)
        alone.setattr(workers.sys, "platform", "linux")
        assert workers.auto_workers(10**6, 100) == min(workers.available_cpus(), 10**4)
        alone.setattr(workers.sys, "platform", "darwin")  # fork is not safe with macOS's system libraries
        assert workers.auto_workers(10**6, 100) == 1
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert workers.auto_workers(10**6, 100) == 1
    finally:
        release.set()
        other.join()
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    assert workers.auto_workers(150, 100) == 1  # too few items for a second worker


def test_processes_take_the_next_task_when_done():
    """Two processes, six tasks: the one whose first task is slow leaves the others to the other one."""
    import time

    done_by = {}

    def work(task, send):
        if task == 0:
            time.sleep(1.0)
        send(os.getpid())

    unfinished = workers.run_forked(list(range(6)), work, lambda k, pid: done_by.setdefault(k, pid), processes=2)
    assert unfinished == [] and sorted(done_by) == list(range(6))
    assert len(set(done_by.values())) == 2
    assert all(pid != done_by[0] for k, pid in done_by.items() if k > 0)  # the slow one's process did no more


def test_guided_parts_shrink_to_the_smallest_and_cover_the_run_in_order():
    todo = list(range(10_000))
    parts = batch._guided_parts(todo, 2, 256)
    assert [i for part in parts for i in part] == todo
    sizes = [len(p) for p in parts]
    assert sizes[0] == 5000 and sizes[1] == 2500 and min(sizes) >= 256
    assert batch._guided_parts(list(range(100)), 2, 256) == [list(range(100))]
    assert [len(p) for p in batch._guided_parts(list(range(1000)), 2, 128)] == [500, 250, 250]  # no part of 125


def test_a_forked_child_writes_shared_memory_in_place():
    shared = workers.shared_copy(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(shared, np.arange(6.0).reshape(2, 3))

    def work(task, send):
        shared[task] = -1.0
        send(None)

    assert workers.run_forked([1], work, lambda k, message: None) == []
    np.testing.assert_array_equal(shared, [[0.0, 1.0, 2.0], [-1.0, -1.0, -1.0]])
    with pytest.raises(TypeError, match="numbers"):
        workers.shared_copy(np.array(["a"], dtype=object))


def test_a_resumed_run_in_workers_copies_what_it_has():
    """Rows to refit scattered through the run (not contiguous): the workers get copies of their rows
    and send everything back; the result equals a resumed run in one process."""
    data = _varied(300, 8)
    first = spectra.fit_many(data, STATIC, chunk_size=32, workers=1)
    interrupted = first.copy(deep=True)
    redo = np.arange(3, 300, 7)
    message = interrupted.message.values.astype(object)
    message[redo] = batch.PENDING
    interrupted["message"] = ("spectrum", message.astype(str))
    interrupted.attrs.update(complete=0, pending=len(redo))
    one = spectra.fit_many(data, STATIC, chunk_size=32, workers=1, resume=interrupted)
    two = spectra.fit_many(data, STATIC, chunk_size=32, workers=2, resume=interrupted)
    _same(one, two)
    _same(first, two)


def test_fit_many_runs_blas_on_one_thread_and_gives_the_callers_back():
    import threadpoolctl

    def blas_threads():
        return [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]

    before, inside = blas_threads(), []
    spectra.fit_many(_varied(3, 9), STATIC, workers=1,
                     progress=lambda done, total: inside.extend(blas_threads()))
    assert inside and set(inside) == {1}
    assert blas_threads() == before


def test_the_result_of_a_run_in_workers_is_not_shared_with_later_processes():
    result = spectra.fit_many(_varied(300, 10), STATIC, chunk_size=32, workers=2)
    before = result.value.values.copy()

    def scribble(task, send):
        result.value.values[:] = -1.0
        send(None)

    assert workers.run_forked([0], scribble, lambda k, message: None) == []
    np.testing.assert_array_equal(result.value.values, before)


def test_overlapping_blas_limits_give_the_callers_setting_back():
    """Two fit_many calls in two threads enter and leave out of order: the limit is lifted when the
    last one leaves, to what the caller had."""
    import threadpoolctl

    def blas_threads():
        return [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]

    before = blas_threads()
    first, second = workers.single_threaded_blas(), workers.single_threaded_blas()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert set(blas_threads()) == {1}
    second.__exit__(None, None, None)
    assert blas_threads() == before


def test_monte_carlo_of_a_worker_that_dies_is_done_by_the_caller(monkeypatch):
    parent = os.getpid()
    real = batch._monte_carlo

    def dies_in_a_worker(problem, item, out, *args):
        if os.getpid() != parent and out.position[item.index] >= 30:  # after its fits were sent
            os._exit(9)
        return real(problem, item, out, *args)

    monkeypatch.setattr(batch, "_monte_carlo", dies_in_a_worker)
    data = _varied(40, 2)
    two = spectra.fit_many(data, STATIC, mc_replicas=5, seed=5, chunk_size=8, workers=2)
    monkeypatch.setattr(batch, "_monte_carlo", real)
    one = spectra.fit_many(data, STATIC, mc_replicas=5, seed=5, chunk_size=8, workers=1)
    assert two.attrs["complete"] == 1 and two.attrs["pending"] == 0 and bool(two.mc_done.all())
    np.testing.assert_allclose(one.mc_value.values, two.mc_value.values, rtol=1e-9)
