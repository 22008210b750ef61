"""The compiled kernels are cached on disk (numba ``cache=True``): a second fresh process loads them
instead of compiling them again. Each process fits XPS and XRD spectra and reports numba's dispatcher
statistics for every kernel it used; the cache is a temporary directory
(``NUMBA_CACHE_DIR``), so the first process always starts from an empty cache."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("numba", reason="the compiled kernels need numba (the 'fast' extra)")

_CHILD = textwrap.dedent("""
    import json, time, warnings
    warnings.simplefilter("ignore")
    import numpy as np
    import spectra
    from numba.core.registry import CPUDispatcher
    from spectra import simulate
    from spectra.kernels import _loops, windowed
    xps, _ = simulate.xps("S 2p", {"PS4": 0.7, "Li2S": 0.3}, peak_counts=1e4, seed=1)
    xrd, _ = simulate.xrd({"Li2S": {"scale": 60.0, "size": 8.0}, "Si": {"scale": 8.0, "size": 300.0}},
                          two_theta=(20.0, 56.0), step=0.04, seed=1)
    start = time.perf_counter()
    spectra.fit_many([xps, xps], {"region": "S 2p", "components": ["PS4", "Li2S"], "shift": {"value": 0},
                                  "background": {"kind": "active-shirley", "linear": True}}, workers=1)
    spectra.fit_many([xps], {"region": "S 2p", "components": ["PS4", "Li2S"], "background": "shirley"}, workers=1)
    spectra.fit_many([xrd, xrd], {"technique": "xrd", "phases": ["Li2S", "Si"]}, workers=1)
    used = [d for d in (*vars(_loops).values(), windowed._loop()) if isinstance(d, CPUDispatcher) and d.signatures]
    print(json.dumps({"seconds": time.perf_counter() - start, "kernels": sorted(d.__name__ for d in used),
                      "hits": sum(sum(d.stats.cache_hits.values()) for d in used),
                      "misses": sum(sum(d.stats.cache_misses.values()) for d in used)}))
""")


def _run(cache_dir) -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir), "SPECTRA_NUMBA": "1"}
    out = subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_second_process_loads_the_kernels_from_the_cache(tmp_path):
    """Every kernel an XPS fit (active and static Shirley) and an XRD fit use is compiled once, written,
    and loaded by the next process."""
    entry = {"xps_moments_loop", "moments_loop", "solve_loop", "cumulative_loop", "shirley_loop", "_window_loop"}
    first = _run(tmp_path)
    assert entry <= set(first["kernels"]), first
    assert first["misses"] >= len(first["kernels"]) and first["hits"] == 0  # compiled, and written to the cache
    assert any(p.suffix == ".nbi" for p in tmp_path.rglob("*")) and any(p.suffix == ".nbc" for p in tmp_path.rglob("*"))
    second = _run(tmp_path)
    # loaded, not compiled (a helper that only compiled kernels call comes inside them, not on its own)
    assert entry <= set(second["kernels"]) <= set(first["kernels"])
    assert second["hits"] >= len(second["kernels"]) and second["misses"] == 0
    # loading is much cheaper than compiling (a loose bound: other processes share the machine)
    assert second["seconds"] < first["seconds"]
