"""The command line: ``spectra info``, ``formats`` and ``convert``."""
from __future__ import annotations

import re

from click.testing import CliRunner

import spectra
from spectra.cli import main


def test_info_lines(shared_data):
    result = CliRunner().invoke(main, ["info", str(shared_data / "xps/yadg_phi_test0.spe"),
                                       str(shared_data / "xrd/xylib_bruker_BT86_v3.raw")])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 3
    assert re.search(r"phi +xps +1su +binding_energy 1355 -> -5 eV \(descending\), 3401 points, counts/s, 0.08 s/step",
                     lines[0])
    assert re.search(r"bruker_raw +xrd +range 1 +two_theta 3 -> 40 degree \(ascending\), 2374 points, counts, "
                     r"0.5 s/step", lines[2])


def test_info_reports_bad_files_and_carries_on(shared_data, tmp_path):
    bad = tmp_path / "bad.vms"
    bad.write_text("VAMAS Surface Chemical Analysis Standard Data Transfer Format 1988 May 4\n")
    result = CliRunner().invoke(main, ["info", str(bad), str(shared_data / "xps/pynxtools-xps_regular.vms")])
    assert result.exit_code == 1
    assert "bad.vms" in result.stderr and "error" in result.stderr
    assert "vamas" in result.stdout and "Survey" in result.stdout


def test_formats_lists_every_reader():
    result = CliRunner().invoke(main, ["formats"])
    assert result.exit_code == 0
    for f in spectra.io.formats():
        assert f["name"] in result.output


def test_convert_then_read_back(shared_data, tmp_path):
    target = tmp_path / "c1s.vms"
    result = CliRunner().invoke(main, ["convert", str(shared_data / "xps/importtool_phi_multipak.SPE"),
                                       str(target), "--region", "C1s"])
    assert result.exit_code == 0, result.output
    back = spectra.load(target)
    original = spectra.load(shared_data / "xps/importtool_phi_multipak.SPE", region="C1s")
    assert back.attrs == original.attrs and (back.values == original.values).all()
    again = CliRunner().invoke(main, ["convert", str(shared_data / "xps/importtool_phi_multipak.SPE"),
                                      str(target), "--region", "C1s"])
    assert again.exit_code == 1 and "exists" in again.output


def test_examples_are_shipped_and_readable():
    result = CliRunner().invoke(main, ["examples"])
    assert result.exit_code == 0
    paths = result.output.split()
    assert len(paths) == 2
    info = CliRunner().invoke(main, ["info", *paths])
    assert info.exit_code == 0, info.output
    assert "vamas" in info.output and "S 2p" in info.output and "columns" in info.output
