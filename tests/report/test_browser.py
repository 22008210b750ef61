"""The HTML report in headless Chromium (Debian ``chromium``): it loads without console errors,
every figure is laid out with a size, no image is broken, and a screenshot is drawn."""
from __future__ import annotations

import json
import re
import subprocess

import pytest

from spectra.report import write_report

from ..plotting.fits import XPS, XRD, example_fit
from .tools import ensure

#: appended to a copy of the report (the report itself has no script): measures what was laid out
PROBE = """<script>
const images = [...document.images];
const svgs = [...document.querySelectorAll("svg")];
const out = {images: images.length, broken: images.filter(i => !i.complete || i.naturalWidth === 0).length,
             svgs: svgs.length, empty: svgs.filter(s => { const b = s.getBoundingClientRect();
                                                        return b.width < 50 || b.height < 50; }).length};
const pre = document.createElement("pre"); pre.id = "probe"; pre.textContent = JSON.stringify(out);
document.body.appendChild(pre);
</script></body>"""
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
         "--virtual-time-budget=5000"]


def _run(chromium, *args, timeout=180):
    return subprocess.run([chromium, *FLAGS, *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def chromium():
    return ensure("chromium", "chromium")


def test_report_renders_in_chromium(chromium, tmp_path):
    report = write_report([example_fit(XPS), example_fit(XRD)], tmp_path / "report.html")
    text = report.read_text(encoding="utf-8")
    probe = tmp_path / "probe.html"
    probe.write_text(text.replace("</body>", PROBE), encoding="utf-8")
    run = _run(chromium, "--dump-dom", probe.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
    assert not console, console
    found = re.search(r'<pre id="probe">(.*?)</pre>', run.stdout)
    assert found, "the page did not finish loading"
    laid_out = json.loads(found.group(1).replace("&quot;", '"'))
    assert laid_out == {"images": 0, "broken": 0, "svgs": 2, "empty": 0}
    # the unmodified report: no console message either, and a screenshot
    shot = tmp_path / "report.png"
    run = _run(chromium, "--window-size=1200,1800", f"--screenshot={shot}", report.as_uri())
    assert run.returncode == 0 and not [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
    assert shot.stat().st_size > 20_000
