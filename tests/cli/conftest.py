"""Fixtures of the command-line tests: a recipe file and a folder of good and bad files."""
from __future__ import annotations

import shutil

import pytest

from spectra import examples

S2P = "S2p_carbon_anode.vms"
XRD = "Li2S_argyrodite_xrd.xy"

#: the README's S 2p recipe (the example file was simulated with exactly this model), as TOML
S2P_TOML = """\
region = "S 2p"
components = ["PS4", "Li2S"]
background = "active-shirley"
lineshape = "GL(30)"

[overrides.Li2S]
center = {value = 160.0, min = 159.5, max = 160.6}
"""


@pytest.fixture
def s2p_recipe(tmp_path):
    path = tmp_path / "s2p.toml"
    path.write_text(S2P_TOML)
    return path


@pytest.fixture
def mixed_folder(tmp_path):
    """Two good S 2p files and three bad ones: a truncated VAMAS file, a text file that holds no
    spectrum, and an XRD pattern where an XPS region is expected."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    good = examples.path(S2P)
    shutil.copy(good, folder / "anode_1.vms")
    shutil.copy(good, folder / "anode_2.vms")
    (folder / "truncated.vms").write_bytes(good.read_bytes()[:2000])
    (folder / "notes.txt").write_text("sample notes, no data\n")
    shutil.copy(examples.path(XRD), folder / "pattern.xy")
    return folder
