"""The ``spectra`` command (click): one module per command or family of commands.

* :mod:`.files` — ``info``, ``formats``, ``examples``, ``convert``
* :mod:`.fit` — ``fit`` (one recipe over many files into a results file)
* :mod:`.compare` — ``compare`` (groups of samples against a reference)
* :mod:`.report` — ``report`` (HTML or PDF from results files)
* :mod:`.demo` — ``demo`` (the whole pipeline on the bundled example study)
* :mod:`.recipe` — ``recipe show`` / ``recipe new`` (default recipes as editable TOML)

Modules here import only click at the top; everything heavy (xarray, lmfit, matplotlib) is imported
inside the command that needs it, so ``spectra --help`` stays fast (a test checks the modules loaded).
"""
from __future__ import annotations

import click

from . import compare, demo, files, fit, recipe, report


@click.group()
@click.version_option(package_name="spectra-xpsxrd")
def main():
    """Load, fit and compare XRD and XPS data of solid-state-battery interfaces.

    \b
    Start here:
      spectra demo                       the whole pipeline on the bundled example study
      spectra fit s2p.toml data/ -o s2p.h5
      spectra report s2p.h5 -o s2p.html
    Each command has examples in its --help.
    """


for _command in (files.info, files.formats, files.examples, files.convert, fit.fit, compare.compare, report.report,
                 demo.demo, recipe.recipe):
    main.add_command(_command)

__all__ = ["main"]
