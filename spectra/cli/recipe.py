"""``spectra recipe show REGION`` and ``spectra recipe new REGION -o FILE``: the default recipes
(:mod:`spectra.recipes`) as editable TOML."""
from __future__ import annotations

from pathlib import Path

import click

from ._common import click_error


@click.group()
def recipe():
    """The default fit recipes, as editable TOML starting points.

    \b
    Examples:
      spectra recipe list
      spectra recipe show "S 2p"
      spectra recipe new "Li 1s" -o li1s.toml     # edit, then: spectra fit li1s.toml data/ -o li1s.h5
    """


@recipe.command("list")
def list_():
    """The regions (and "xrd") that have a default recipe."""
    from ..recipes import names

    for name in names():
        click.echo(name)


@recipe.command()
@click.argument("region")
def show(region):
    """Print the default recipe of REGION (e.g. "S 2p", "S2p", "xrd"), with its comments.

    \b
    Example:
      spectra recipe show "Si 2p"
    """
    from ..errors import SpectraError
    from ..recipes import text

    try:
        click.echo(text(region), nl=False)
    except SpectraError as exc:
        raise click_error(exc) from None


@recipe.command()
@click.argument("region")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The TOML file to write (never replaced).")
def new(region, output):
    """Write the default recipe of REGION to a TOML file to edit.

    \b
    Example:
      spectra recipe new "S 2p" -o s2p.toml && spectra fit s2p.toml data/ -o s2p.h5
    """
    from ..errors import SpectraError
    from ..io.write import atomic_write_text
    from ..recipes import text

    try:
        atomic_write_text(output, text(region))
    except SpectraError as exc:
        raise click_error(exc) from None
    click.echo(f"wrote {output}")
