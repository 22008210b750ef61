"""The compiled kernels are cached on disk (numba ``cache=True``): a second fresh process loads them
instead of compiling them again. Each process runs the XPS line kernel and the Shirley iteration
once and reports numba's dispatcher statistics; the cache is a temporary directory
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
    import json, time
    import numpy as np
    from spectra import kernels
    from spectra.kernels import _loops
    x = np.linspace(155.0, 172.0, 41)
    start = time.perf_counter()
    one = np.ones((2, 1))
    kernels.xps_lines(x, 160.0 * one, 1.2 * one, 1e3 * one, one, 0 * one, np.array([[1.0, 0.3, 1.0, 1.0]]),
                      np.array([[0, -1, 1, 2, -1]]), True)
    y = 100.0 + np.cumsum(np.ones((2, x.size)), axis=1)
    n = np.zeros(2, np.int64)
    background = np.repeat(y[:, :1], x.size, 1)
    kernels.shirley_iterations(x, y, y[:, 0].copy(), y[:, -1].copy(), np.ones(2), 1e-6, 50, background, n,
                               np.zeros(2, bool), np.zeros(2, bool))
    stats = [_loops.xps.stats, _loops.shirley.stats]
    print(json.dumps({"seconds": time.perf_counter() - start,
                      "hits": sum(sum(s.cache_hits.values()) for s in stats),
                      "misses": sum(sum(s.cache_misses.values()) for s in stats)}))
""")


def _run(cache_dir) -> dict:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir), "SPECTRA_NUMBA": "1"}
    out = subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_second_process_loads_the_kernels_from_the_cache(tmp_path):
    first = _run(tmp_path)
    assert first["misses"] == 2 and first["hits"] == 0  # compiled, and written to the cache
    assert any(p.suffix == ".nbi" for p in tmp_path.rglob("*")) and any(p.suffix == ".nbc" for p in tmp_path.rglob("*"))
    second = _run(tmp_path)
    assert second["hits"] == 2 and second["misses"] == 0  # loaded, not compiled
    # loading is much cheaper than compiling (a loose bound: other processes share the machine)
    assert second["seconds"] < first["seconds"]
