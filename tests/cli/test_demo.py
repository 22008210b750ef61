"""``spectra demo``: the whole pipeline on the bundled study, as a new user runs it (a real process,
nothing imported beforehand), within the one minute the README promises on 2 cores.

The bound is on the child's CPU time (user + system): on the shared test machines the wall time
depends on what else runs (measured 65 s wall for 24 s CPU at load average 5.6); on an idle
2-core machine the demo's wall time is about its CPU time (it runs in one process)."""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import time

import pytest

#: the promise (first run included: compiled caches are not assumed)
LIMIT_S = 60.0


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("SPECTRA_SLOW") != "1", reason="runs the whole demo (~1 min): SPECTRA_SLOW=1")
@pytest.mark.skipif(sys.platform == "win32", reason="CPU time of the child from resource (POSIX)")
def test_demo_writes_the_report_within_a_minute(tmp_path):
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = subprocess.run([sys.executable, "-m", "spectra.cli", "demo", str(tmp_path / "demo")], capture_output=True,
                         text=True, timeout=600, env={**os.environ, "TQDM_DISABLE": "1"})
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert run.returncode == 0, run.stdout + run.stderr
    report = tmp_path / "demo" / "report.html"
    assert f"report: {report.resolve()}" in run.stdout
    text = report.read_text()
    assert text.count("<svg") >= 10 and "lithiated_carbon" in text and "xps:S 2p:li2s_growth" in text
    for name in ("comparison.csv", "comparison.nc", "comparison.svg"):
        assert (tmp_path / "demo" / name).stat().st_size > 0
    assert cpu < LIMIT_S, f"spectra demo took {cpu:.1f} s of CPU ({elapsed:.1f} s wall)"


def test_demo_refuses_to_replace_files(tmp_path):
    from click.testing import CliRunner

    from spectra.cli import main

    (tmp_path / "report.html").write_text("mine")
    result = CliRunner().invoke(main, ["demo", str(tmp_path)])
    assert result.exit_code == 2 and "report.html" in result.output
    assert (tmp_path / "report.html").read_text() == "mine"
