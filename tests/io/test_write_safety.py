"""Writers: no-clobber that holds under a race, no temporary file left behind (even after kill -9),
and VAMAS output that spectra can read back whatever the names and numbers."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import spectra
from spectra.dataarray import xps_spectrum
from spectra.errors import SpectraError
from spectra.io import write
from spectra.io.write import TEMP_SUFFIX, atomic_write, write_columns, write_vamas


def _temporaries(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.endswith(TEMP_SUFFIX)]


def _spectrum(**attrs):
    return xps_spectrum(np.linspace(290.0, 289.0, 11), np.arange(11.0) + 1, energy_axis="binding",
                        excitation_energy=1486.6, **attrs)


# --- no-clobber -----------------------------------------------------------------------------------------

def test_a_target_created_during_the_write_is_not_replaced(tmp_path):
    target = tmp_path / "out.txt"

    def slow_write(tmp: str) -> None:
        Path(tmp).write_text("ours")
        target.write_text("precious")  # another program creates the target meanwhile

    with pytest.raises(SpectraError, match="exists"):
        atomic_write(target, slow_write)
    assert target.read_text() == "precious"
    assert _temporaries(tmp_path) == []


def test_overwrite_replaces(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    atomic_write(target, lambda tmp: Path(tmp).write_text("new"), overwrite=True)
    assert target.read_text() == "new" and _temporaries(tmp_path) == []


def test_written_file_has_the_usual_permissions(tmp_path):
    target = atomic_write(tmp_path / "p.txt", lambda tmp: Path(tmp).write_text("x"))
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask


RACER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from spectra.io.write import atomic_write
    from spectra.errors import SpectraError
    target, name, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
    def write(tmp):
        Path(tmp).write_text(name * 1000)
        time.sleep(0.3)  # every racer has passed the early exists() check before any finishes
    time.sleep(max(0.0, start - time.time()))
    try:
        atomic_write(target, write)
        print("won")
    except SpectraError:
        print("lost")
""")


def test_concurrent_no_clobber_writes_have_exactly_one_winner(tmp_path):
    target = tmp_path / "race.txt"
    start = time.time() + 1.5
    procs = [subprocess.Popen([sys.executable, "-c", RACER, os.fspath(target), name, str(start)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name in "ABCD"]
    outcomes = [p.communicate(timeout=60) for p in procs]
    results = [out.strip() for out, _err in outcomes]
    assert sorted(results) == ["lost", "lost", "lost", "won"], outcomes
    winner = "ABCD"[results.index("won")]
    assert target.read_text() == winner * 1000
    assert _temporaries(tmp_path) == []


# --- temporary files ---------------------------------------------------------------------------------------

def test_temporary_file_is_removed_on_any_exception(tmp_path):
    def interrupted(tmp: str) -> None:
        Path(tmp).write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(tmp_path / "x.txt", interrupted)
    assert list(tmp_path.iterdir()) == []


KILLED = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from spectra.io.write import atomic_write
    def big_write(tmp):
        with open(tmp, "wb") as fh:
            fh.write(b"x" * (20 << 20))
            fh.flush()
            print("writing", flush=True)
            time.sleep(120)
    atomic_write(sys.argv[1], big_write, overwrite=True)
""")


def test_kill_9_during_a_large_write_leaves_the_target_intact_and_the_temporary_is_cleaned(tmp_path, monkeypatch):
    target = tmp_path / "result.txt"
    target.write_text("precious")
    child = subprocess.Popen([sys.executable, "-c", KILLED, os.fspath(target)], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "writing"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    stale = _temporaries(tmp_path)
    assert len(stale) == 1 and stale[0].stat().st_size == 20 << 20 and f".{child.pid}." in stale[0].name
    assert target.read_text() == "precious"
    monkeypatch.setattr(write, "_CLEANED", {})
    write_columns(_spectrum(), tmp_path / "next.txt")  # the next write to the folder removes it
    assert _temporaries(tmp_path) == []
    assert target.read_text() == "precious"


def test_a_live_writers_temporary_is_kept(tmp_path, monkeypatch):
    live = tmp_path / f".x.txt.{write._host()}.{os.getppid()}.abcd1234{TEMP_SUFFIX}"
    live.write_text("in progress")
    monkeypatch.setattr(write, "_CLEANED", {})
    write_columns(_spectrum(), tmp_path / "y.txt")
    assert live.exists()


# --- VAMAS content -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("breaker", ["\n", "\r", "\u2028", "\u2029", "\x85", "\x0b"])
def test_vamas_names_with_line_breaks_round_trip(tmp_path, breaker):
    da = _spectrum(region=f"C 1s{breaker}shifted", sample=f"line one{breaker}line two", anode=f"Al{breaker}mono")
    path = write_vamas(da, tmp_path / "names.vms")
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) == len(text.split("\n")) - 1  # no line break inside a field
    back = spectra.load(path)
    assert back.attrs["region"] == da.attrs["region"] and back.attrs["sample"] == da.attrs["sample"]
    np.testing.assert_array_equal(back.values, da.values)


@pytest.mark.parametrize("attr,value", [("n_scans", float("nan")), ("n_scans", float("inf")),
                                        ("dwell_time", float("inf")), ("excitation_energy", float("nan")),
                                        ("pass_energy", float("-inf")), ("n_scans", "many"),
                                        ("work_function", 1e308), ("n_scans", -1)])
def test_vamas_refuses_non_finite_numbers(tmp_path, attr, value):
    da = _spectrum()
    da.attrs[attr] = value
    with pytest.raises(SpectraError, match=attr):
        write_vamas(da, tmp_path / "bad.vms")
    assert list(tmp_path.iterdir()) == []


def test_vamas_refuses_empty_and_non_finite_spectra(tmp_path):
    empty = xps_spectrum(np.array([]), np.array([]), energy_axis="binding")
    with pytest.raises(SpectraError, match="empty"):
        write_vamas(empty, tmp_path / "e.vms")
    nan = _spectrum()
    nan.values[3] = np.nan
    with pytest.raises(SpectraError, match="NaN or infinite"):
        write_vamas(nan, tmp_path / "n.vms")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("technique,label,axis", [("ups", "UPS", "binding"), ("aes", "AES dir", "kinetic"),
                                                  ("xps", "XPS", "binding")])
def test_vamas_block_technique_follows_the_spectrum(tmp_path, technique, label, axis):
    da = xps_spectrum(np.linspace(20.0, 10.0, 11), np.arange(11.0), energy_axis=axis, technique=technique,
                      excitation_energy=21.2 if technique == "ups" else None)
    path = write_vamas(da, tmp_path / "t.vms")
    assert label in path.read_text().splitlines()
    assert spectra.load(path).attrs["technique"] == technique
