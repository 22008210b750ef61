"""``spectra --help`` stays fast: the command line and ``import spectra`` load nothing heavy, and the
lazy front door still gives every public name; the xarray accessors appear once xarray is there."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest
from click.testing import CliRunner

import spectra
from spectra.cli import main

#: modules whose import costs tenths of a second each; none may load for --help
HEAVY = ("numpy", "scipy", "xarray", "pandas", "lmfit", "matplotlib", "h5py", "h5netcdf", "dask", "tqdm")


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONWARNINGS": "error::RuntimeWarning"})


def test_help_of_every_command_loads_nothing_heavy():
    run = _python(f"""
        import sys
        from click.testing import CliRunner
        import spectra
        from spectra.cli import main
        commands = [[]] + [[name] for name in main.commands] + [["recipe", "show"], ["recipe", "new"]]
        for args in commands:
            result = CliRunner().invoke(main, [*args, "--help"])
            assert result.exit_code == 0, (args, result.output)
        print(sorted(m for m in {HEAVY!r} if m in sys.modules))
        """)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]", f"imported for --help: {run.stdout}"


def test_help_time_in_a_real_process():
    """The target is 0.5 s; measured here ~0.1 s. The bound leaves room for a busy machine (the
    deterministic check is the test above)."""
    best = min(_timed([sys.executable, "-m", "spectra.cli", "--help"]) for _ in range(3))
    assert best < 1.0, f"spectra --help took {best:.2f} s"


def _timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True, timeout=60)
    return time.perf_counter() - start


def test_every_command_has_examples_in_its_help():
    for name, command in main.commands.items():
        text = CliRunner().invoke(main, [name, "--help"]).output
        assert "Example" in text, f"spectra {name} --help shows no example"


def test_front_door_is_lazy_and_complete():
    assert set(spectra.__all__) >= {"load", "read", "fit", "fit_many", "compare", "load_results", "__version__"}
    assert set(spectra.__all__) <= set(dir(spectra))
    for name in spectra.__all__:
        assert callable(getattr(spectra, name)) or name == "__version__"
    assert spectra.compare is spectra.comparison.compare
    assert spectra.load_results is spectra.results.load_results
    assert spectra.simulate.xps and spectra.io.formats()  # submodules after `import spectra`
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        spectra.nonsense  # noqa: B018


def test_import_spectra_loads_nothing_heavy():
    run = _python(f"""
        import sys, spectra
        print(sorted(m for m in {HEAVY!r} if m in sys.modules))
        """)
    assert run.stdout.strip() == "[]", run.stdout + run.stderr


def test_accessors_are_registered_once_xarray_is_imported():
    """`import spectra`, then xarray imported by the user (or by spectra.load): `da.xps` works;
    and the hook that waited for xarray is gone."""
    run = _python("""
        import sys, spectra
        assert "xarray" not in sys.modules
        import xarray as xr
        da = xr.DataArray([1.0, 2.0, 3.0], dims="binding_energy", coords={"binding_energy": [3.0, 2.0, 1.0]})
        print(type(da.xps).__module__, type(da.xrd).__module__)
        print(any(type(f).__name__ == "_AfterXarrayImport" for f in sys.meta_path))
        """)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["spectra.accessors", "spectra.accessors", "False"]


def test_accessors_when_xarray_came_first_and_after_load():
    run = _python("""
        import xarray as xr
        import spectra
        from spectra import examples
        print(hasattr(spectra.load(examples.path("S2p_carbon_anode.vms")), "xps"))
        """)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "True"
