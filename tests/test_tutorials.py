"""The tutorials run end to end, as scripts and as a notebook, without leaving files behind.

They are jupytext percent scripts stored without outputs. Run as a script (matplotlib's Agg backend,
set by the environment, never by the tutorial) each must finish with no traceback and write
nothing into the folder it runs from; executed as a notebook its figures must appear as images
(once each: a tutorial that set the Agg backend itself would show none).
"""
from __future__ import annotations

import os
import runpy
from pathlib import Path

import pytest

TUTORIALS = sorted((Path(__file__).parent.parent / "tutorials").glob("[0-9][0-9]_*.py"))
#: the topics issue 14 asks for, by number
TOPICS = {"01": "loading", "02": "xps", "03": "xrd", "04": "batch", "05": "comparison"}


def test_the_tutorial_series_is_complete():
    numbers = {p.name[:2]: p.name for p in TUTORIALS}
    for number, topic in TOPICS.items():
        assert topic in numbers.get(number, ""), f"tutorial {number} ({topic}) is missing: {sorted(numbers.values())}"


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.name)
def test_tutorial_runs_as_a_script(path, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    import matplotlib.pyplot as plt

    runpy.run_path(str(path), run_name="__main__")
    plt.close("all")
    assert list(tmp_path.iterdir()) == [], "a tutorial must not leave files in the folder it runs from"
    assert "Traceback" not in capsys.readouterr().err


def test_a_tutorial_executes_as_a_notebook_and_shows_its_figures(tmp_path):
    jupytext = pytest.importorskip("jupytext", reason="jupytext is in the test extra: pip install -e '.[test]'")
    nbclient = pytest.importorskip("nbclient", reason="nbclient is in the test extra: pip install -e '.[test]'")
    pytest.importorskip("ipykernel", reason="ipykernel is in the test extra: pip install -e '.[test]'")
    path = next(p for p in TUTORIALS if p.name.startswith("02_"))
    notebook = jupytext.read(path)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}   # the kernel's own inline backend
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute(env=env)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [out for cell in code for out in cell.outputs if out.output_type == "error"] == []
    plotting = [cell for cell in code if ".plot(" in cell.source]
    assert len(plotting) >= 2
    for cell in plotting:
        images = [out for out in cell.outputs if "image/png" in out.get("data", {})]
        assert len(images) == 1, f"the figure of this cell is shown {len(images)} times:\n{cell.source}"
    assert list(tmp_path.iterdir()) == []
