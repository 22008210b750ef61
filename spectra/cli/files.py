"""``spectra info``, ``formats``, ``examples`` and ``convert``: look at files and convert them."""
from __future__ import annotations

import sys
from pathlib import Path

import click


def describe(da) -> str:
    """One line about a spectrum: format, technique, region, axis range and direction, points,
    units and counting time.

    Parameters
    ----------
    da : xarray.DataArray
        A spectrum as read by :func:`spectra.io.read`; the last dim is the axis.

    Returns
    -------
    str
        The line (counting time from ``counting_time`` or ``dwell_time``, in s per step).
    """
    dim = da.dims[-1]
    axis = da[dim].values
    unit = da[dim].attrs.get("units", "")
    direction = "ascending" if axis.size < 2 or axis[-1] >= axis[0] else "descending"
    shape = "x".join(str(n) for n in da.shape)
    time = da.attrs.get("counting_time", da.attrs.get("dwell_time"))
    time_text = f"{time:g} s/step" if isinstance(time, (int, float)) else "time n/a"
    return (f"{da.attrs.get('format', '?'):<15} {da.attrs.get('technique', '?'):<4} "
            f"{str(da.attrs.get('region', '')) or '-':<22} {dim} {axis[0]:.4g} -> {axis[-1]:.4g} {unit} "
            f"({direction}), {shape} points, {da.attrs.get('units', '?')}, {time_text}")


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def info(files):
    """One line per spectrum in each FILE. Unreadable files are reported and skipped (exit code 1).

    \b
    Examples:
      spectra info data/*.vms data/*.xrdml
      spectra info $(spectra examples)
    \f
    Parameters
    ----------
    files : tuple of Path
        The files to describe.
    """
    import warnings

    from ..errors import SpectraError
    from ..io import read

    failed = 0
    for path in files:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                spectra = read(path)
        except (SpectraError, OSError) as exc:
            failed += 1
            click.echo(f"{path}: error: {exc}", err=True)
            continue
        for message in caught:
            click.echo(f"{path}: warning: {message.message}", err=True)
        for index, da in enumerate(spectra):
            click.echo(f"{path}[{index}] {describe(da)}")
    sys.exit(1 if failed else 0)


@click.command()
def examples():
    """Print the paths of the example files shipped with spectra (one per line).

    \b
    Example:
      spectra info $(spectra examples)
    """
    from .. import examples as shipped

    for name in shipped.NAMES:
        click.echo(shipped.path(name))


@click.command()
def formats():
    """List the file formats spectra reads.

    \b
    Example:
      spectra formats | grep xrd
    """
    from ..io import formats as list_formats

    for f in list_formats():
        click.echo(f"{f['name']:<16} {f['technique']:<4} {' '.join(f['extensions']):<40} {f['description']}")


@click.command()
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.argument("target", type=click.Path(path_type=Path))
@click.option("--region", default=None, help="Region name or index when SOURCE holds several.")
@click.option("--overwrite", is_flag=True, help="Replace TARGET if it exists.")
def convert(source, target, region, overwrite):
    """Convert one spectrum to VAMAS (.vms), column text (.txt/.xy/.csv) or NetCDF (.nc/.h5).

    \b
    Examples:
      spectra convert scan.brml scan.xy
      spectra convert survey.spe s2p.vms --region "S2p"
    \f
    Parameters
    ----------
    source : Path
        The instrument file.
    target : Path
        Output file; its suffix picks the writer (any suffix other than .vms, .nc and .h5 gives
        column text).
    region : str or None
        Region name, or an integer index as text.
    overwrite : bool
        Replace ``target`` if it exists.
    """
    from ..errors import SpectraError
    from ..io import load
    from ..io.write import write_columns, write_netcdf, write_vamas

    try:
        da = load(source, region=int(region) if region is not None and region.lstrip("-").isdigit() else region)
        suffix = target.suffix.lower()
        writer = {".vms": write_vamas, ".nc": write_netcdf, ".h5": write_netcdf}.get(suffix, write_columns)
        writer(da, target, overwrite=overwrite)
    except SpectraError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {target}")
