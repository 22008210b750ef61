"""VAMAS blocks agree, value for value, with the independent ``vamas`` package (where it reads the file)."""
from __future__ import annotations

import numpy as np
import pytest

import spectra

from ..conftest import shared_files

vamas = pytest.importorskip("vamas", reason="the peer reader 'vamas' is not installed (pip install vamas)")

REGULAR = [p for p in shared_files() if p.suffix.lower() in (".vms", ".npl")
           and "IRREGULAR" not in p.read_text(errors="replace")[:2000] and "MALFORMED" not in p.name]


@pytest.mark.parametrize("path", REGULAR, ids=lambda p: p.name)
def test_blocks_match_vamas_package(path, tmp_path):
    copy = tmp_path / "copy.vms"  # the peer insists on the .vms extension and rejects leading blank lines
    copy.write_bytes(path.read_bytes().lstrip(b"\r\n"))
    peer = vamas.Vamas(str(copy)).blocks
    ours = spectra.read(path)
    assert len(ours) == len(peer)
    for da, block in zip(ours, peer):
        y = np.asarray(block.corresponding_variables[0].y_values, dtype=float)
        np.testing.assert_array_equal(da.values, y)
        x = block.x_start + block.x_step * np.arange(y.size)
        if "kinetic" in block.x_label.lower() and da.dims[-1] == "binding_energy":
            x = block.analysis_source_characteristic_energy - x
        np.testing.assert_allclose(da[da.dims[-1]].values, x, rtol=1e-12, atol=1e-9)
