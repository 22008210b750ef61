"""The tutorials run end to end as scripts and write what they say they write."""
from __future__ import annotations

import runpy
from pathlib import Path

import pytest

TUTORIALS = sorted((Path(__file__).parent.parent / "tutorials").glob("*.py"))
OUTPUTS = {"01_s2p_depth_profile.py": ["s2p_depth_profile.png", "s2p_depth_profile_fits.nc"],
           "02_xrd_li2s_with_carbon.py": ["xrd_li2s_joint_fit.png", "xrd_li2s_series.png"]}


def test_every_tutorial_is_listed():
    assert sorted(p.name for p in TUTORIALS) == sorted(OUTPUTS)


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.name)
def test_tutorial_runs(path, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(path), run_name="__main__")
    for name in OUTPUTS[path.name]:
        assert (tmp_path / name).stat().st_size > 0
    assert "Traceback" not in capsys.readouterr().err
