"""``python -m spectra.cli`` runs the ``spectra`` command."""
from . import main

main(prog_name="spectra")
