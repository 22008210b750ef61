"""``spectra fit``: a folder mixing good and bad files, Ctrl-C and --resume, a dask cluster, XRD."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

import spectra
from spectra import examples
from spectra.cli import fit as fit_command
from spectra.cli import main

from .conftest import S2P, XRD

#: the README's XRD recipe (examples.RECIPES, the model the example pattern was made with), as TOML
XRD_TOML = """\
technique = "xrd"
phases = ["Li6PS5Cl", "Li2S", "Si"]
amorphous = ["carbon_black"]
background = {kind = "chebyshev", order = 3}
instrument = {u = 0.004, v = -0.002, w = 0.002, x = 0.0, y = 0.02}
phase_options = {Li2S = {size = {value = 10, min = 1, max = 300}}}
"""


def _truth_fraction() -> float:
    da = spectra.load(examples.path(S2P))
    return json.loads(da.attrs["metadata"])["truth"]["components"]["Li2S"]["fraction"]


def test_folder_with_corrupt_files_as_a_user_runs_it(mixed_folder, s2p_recipe, tmp_path):
    """The done-when run, in a real process: every bad file is named with its reason, the good ones
    are written, the exit code is 1, and the file reloads with curves."""
    out = tmp_path / "s2p.h5"
    run = subprocess.run([sys.executable, "-m", "spectra.cli", "fit", str(s2p_recipe), str(mixed_folder),
                          "-o", str(out)], capture_output=True, text=True, env={**os.environ, "TQDM_DISABLE": "1"},
                         timeout=300)
    assert run.returncode == 1, run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 3, run.stderr
    assert any("truncated.vms" in e and "line" in e for e in errors)  # where the reader gave up
    assert any("notes.txt" in e and "no numeric data" in e for e in errors)
    assert any("pattern.xy" in e and "xrd data" in e for e in errors)  # XRD data for an XPS recipe
    assert "2 ok, 0 flagged, 3 failed" in run.stdout
    assert "spectrum/s" not in run.stderr  # no progress bar on a pipe

    results = spectra.load_results(out)
    block = results["S 2p"]
    ok = {os.path.basename(s) for s, good in zip(block["source"].values, block["ok"].values) if good}
    assert ok == {"anode_1.vms", "anode_2.vms"}
    li2s = block["fraction"].sel(component="Li2S").values[block["ok"].values]
    sigma = block["fraction_stderr"].sel(component="Li2S").values[block["ok"].values]
    assert np.all(np.abs(li2s - _truth_fraction()) < 3 * sigma)  # the file's recorded truth
    assert results.provenance["command"][1:3] == ["fit", str(s2p_recipe)]
    assert set(results.provenance["inputs"]) == {str(p) for p in sorted(mixed_folder.iterdir())}
    one = results.fit("S 2p", 0)
    np.testing.assert_array_equal(one["data"].values[0], spectra.fit(spectra.load(examples.path(S2P)),
                                                                     examples.RECIPES[S2P]).y)


def test_existing_output_is_never_replaced_unasked(mixed_folder, s2p_recipe, tmp_path):
    out = tmp_path / "s2p.h5"
    out.write_text("precious")
    result = CliRunner().invoke(main, ["fit", str(s2p_recipe), str(mixed_folder / "anode_1.vms"), "-o", str(out)])
    assert result.exit_code == 2 and "exists" in result.output
    assert out.read_text() == "precious"


def test_pattern_matching_nothing_is_a_usage_error(s2p_recipe, tmp_path):
    result = CliRunner().invoke(main, ["fit", str(s2p_recipe), str(tmp_path / "*.vms"), "-o", str(tmp_path / "o.h5")])
    assert result.exit_code == 2 and "matches no file" in result.output


def test_ctrl_c_leaves_a_partial_file_that_resume_completes(mixed_folder, s2p_recipe, tmp_path, monkeypatch):
    files = [str(mixed_folder / "anode_1.vms"), str(mixed_folder / "anode_2.vms")]
    args = ["fit", str(s2p_recipe), *files, "--engine", "lmfit"]
    whole = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "whole.h5")])
    assert whole.exit_code == 0, whole.output

    def interrupt(self, done, total):  # Ctrl-C while the first spectrum is being stored
        raise KeyboardInterrupt

    out = tmp_path / "partial.h5"
    with monkeypatch.context() as patch:
        patch.setattr(fit_command._Bar, "__call__", interrupt)
        stopped = CliRunner().invoke(main, [*args, "-o", str(out)])
    assert stopped.exit_code == fit_command.INTERRUPTED, stopped.output
    assert "--resume" in stopped.stderr
    partial = spectra.load_results(out)["S 2p"]
    assert partial.attrs["complete"] == 0 and partial.attrs["pending"] >= 1
    assert "pending" in stopped.stdout

    resumed = CliRunner().invoke(main, [*args, "-o", str(out), "--resume"])
    assert resumed.exit_code == 0, resumed.output
    done = spectra.load_results(out)["S 2p"]
    reference = spectra.load_results(tmp_path / "whole.h5")["S 2p"]
    assert done.attrs["complete"] == 1 and done.attrs["pending"] == 0
    np.testing.assert_allclose(done["value"].values, reference["value"].values, rtol=1e-9)
    np.testing.assert_allclose(done["best_fit"].values, reference["best_fit"].values, rtol=1e-9)

    other = CliRunner().invoke(main, ["fit", str(s2p_recipe), files[0], "-o", str(out), "--resume"])
    assert other.exit_code == 2 and "same FILES" in other.output


def test_runs_on_a_dask_cluster(mixed_folder, s2p_recipe, tmp_path):
    distributed = pytest.importorskip("dask.distributed", reason="dask.distributed not installed (extra 'dask')")
    files = [str(mixed_folder / "anode_1.vms"), str(mixed_folder / "truncated.vms"), str(mixed_folder / "anode_2.vms")]
    local = CliRunner().invoke(main, ["fit", str(s2p_recipe), *files, "-o", str(tmp_path / "local.h5")])
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cl:
        remote = CliRunner().invoke(main, ["fit", str(s2p_recipe), *files, "-o", str(tmp_path / "remote.h5"),
                                           "--scheduler", cl.scheduler_address, "--chunk-size", "2"])
    assert local.exit_code == remote.exit_code == 1, remote.output
    a, b = (spectra.load_results(tmp_path / f"{n}.h5")["S 2p"] for n in ("local", "remote"))
    np.testing.assert_allclose(a["value"].values, b["value"].values, rtol=1e-9)
    assert list(b["success"].values) == [True, False, True] and "truncated.vms" in remote.stderr
    assert b.attrs["blocks"] == 2  # two tasks on the cluster


def test_workers_split_the_files_and_give_the_one_process_result(mixed_folder, s2p_recipe, tmp_path):
    """--workers 2 in a real process: each worker reads and fits its share of the folder; the bad files
    are reported as in one process, and the numbers are the same."""
    runs = {}
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}.h5"
        runs[workers] = subprocess.run([sys.executable, "-m", "spectra.cli", "fit", str(s2p_recipe), str(mixed_folder),
                                        "-o", str(out), "--workers", workers], capture_output=True, text=True,
                                       env={**os.environ, "TQDM_DISABLE": "1"}, timeout=300)
        assert runs[workers].returncode == 1, runs[workers].stderr
    one, two = (spectra.load_results(tmp_path / f"w{w}.h5")["S 2p"] for w in ("1", "2"))
    assert two.attrs["workers"] == 2 and one.attrs["workers"] == 1
    np.testing.assert_allclose(one["value"].values, two["value"].values, rtol=1e-9)
    assert list(one["message"].values) == list(two["message"].values)
    assert runs["1"].stdout.replace("w1.h5", "w2.h5") == runs["2"].stdout  # the same per-file table
    clash = CliRunner().invoke(main, ["fit", str(s2p_recipe), str(mixed_folder), "-o", str(tmp_path / "c.h5"),
                                      "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"])
    assert clash.exit_code == 2 and "give one" in clash.output


def test_xrd_recipe_and_options(tmp_path):
    recipe = tmp_path / "xrd.toml"
    recipe.write_text(XRD_TOML)
    out = tmp_path / "xrd.h5"
    result = CliRunner().invoke(main, ["fit", str(recipe), str(examples.path(XRD)), "-o", str(out),
                                       "--weights", "poisson", "--engine", "batched"])
    assert result.exit_code == 0, result.output
    (name, block), = spectra.load_results(out).items()
    assert block.attrs["technique"] == "xrd" and block.attrs["engine"] == "batched"
    assert set(block["curve"].values) >= {"Li6PS5Cl", "Li2S", "Si"} and "two_theta" in block["data"].dims
    bad = CliRunner().invoke(main, ["fit", str(recipe), str(examples.path(XRD)), "-o", str(tmp_path / "b.h5"),
                                    "--mc", "1"])
    assert bad.exit_code == 1 and "mc_replicas" in bad.output  # refused by fit_many's option check, by name


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
@pytest.mark.parametrize(("disable", "shown"), [("", True), ("1", False)])
def test_progress_bar_only_on_a_terminal_and_unless_disabled(disable, shown):
    """On a terminal the bar is drawn (and TQDM_DISABLE=1 silences it); on a pipe it never is (the
    subprocess run above checks that)."""
    import pty
    import termios

    code = "from spectra.cli.fit import _Bar; b = _Bar(4, 'S 2p'); b(1, 4); b(4, 4); b.close()"
    env = {k: v for k, v in os.environ.items() if k != "TQDM_DISABLE"}
    env.update({"TQDM_DISABLE": disable} if disable else {"COLUMNS": "100"})
    master, slave = pty.openpty()
    termios.tcsetwinsize(slave, (30, 100))
    try:
        subprocess.run([sys.executable, "-c", code], stderr=slave, env=env, check=True, timeout=60)
        os.close(slave)
        text = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal's other side is closed and everything was read
                break
            if not chunk:
                break
            text += chunk
    finally:
        os.close(master)
    assert ("spectrum/s" in text.decode(errors="replace")) is shown, text
