# %% [markdown]
# # Loading instrument files
#
# Every reader of spectra returns the same thing: an `xarray.DataArray` with a labelled axis
# (`binding_energy` in eV for XPS, `two_theta` in degrees for XRD), intensities as counted, and the
# file's header in `attrs`. This tutorial reads the real instrument files in `../shared/data` when
# they are beside the repository (set `SPECTRA_SHARED_DATA` to point elsewhere), and the example
# files that ship with spectra otherwise.
#
# Open it as a notebook with `jupytext --to notebook tutorials/01_loading_files.py`, or run it as a
# script.

# %%
import os
from pathlib import Path

import matplotlib.pyplot as plt

import spectra
from spectra import examples

shared = Path(os.environ.get("SPECTRA_SHARED_DATA", "../shared/data"))
if shared.is_dir():
    xps_file = shared / "xps" / "lg4x_kratos_supra_NiW.vms"
    xrd_file = shared / "xrd" / "gsas2tut_LaB6_Jan2018_v3.raw"
else:
    xps_file, xrd_file = examples.path("S2p_carbon_anode.vms"), examples.path("Li2S_argyrodite_xrd.xy")
print("XPS file:", xps_file.name, "| XRD file:", xrd_file.name)

# %% [markdown]
# `spectra.read` returns every block of a file (VAMAS files hold one per region and scan), in file
# order; `spectra.load` returns exactly one and lists the regions when the file holds several.

# %%
blocks = spectra.read(xps_file)
for da in blocks:
    print(f"{da.attrs['region']!r:>12}: {da.sizes['binding_energy']} points, "
          f"{float(da.binding_energy.min()):.1f}-{float(da.binding_energy.max()):.1f} eV, {da.attrs['units']}")
spectrum = blocks[-1]   # the last region
spectrum

# %% [markdown]
# The header fields that matter for fitting are plain attributes (`excitation_energy`,
# `pass_energy`, `dwell_time`, `n_scans`, ...); every other field of the file is kept as JSON in
# `attrs["metadata"]`, so nothing is lost.

# %%
{key: spectrum.attrs[key] for key in ("format", "technique", "excitation_energy", "energy_reference")
 if key in spectrum.attrs}

# %% [markdown]
# XRD patterns look the same, on a `two_theta` axis, with the wavelengths from the file.

# %%
pattern = spectra.load(xrd_file)
print(pattern.attrs.get("format"), pattern.attrs.get("anode"), pattern.attrs.get("wavelength_ka1"), "Å")

# %% [markdown]
# Plotting: binding energy runs from high to low, as XPS spectra are drawn.

# %%
fig, (ax_xps, ax_xrd) = plt.subplots(1, 2, figsize=(9, 3.2))
ax_xps.plot(spectrum.binding_energy, spectrum, lw=1)
ax_xps.set(xlabel="binding energy (eV)", ylabel=spectrum.attrs["units"], title=str(spectrum.attrs["region"]))
ax_xps.invert_xaxis()
ax_xrd.plot(pattern.two_theta, pattern, lw=0.8)
ax_xrd.set(xlabel="2θ (degree)", ylabel=pattern.attrs["units"], title=xrd_file.name)
fig.tight_layout()

# %% [markdown]
# What can be read, and a damaged file: readers refuse with a `FileFormatError` that names the file
# and, where it makes sense, the line or byte offset, instead of returning garbage.

# %%
print(len(spectra.io.formats()), "formats")
import tempfile

from spectra.errors import FileFormatError

with tempfile.TemporaryDirectory() as folder:
    broken = Path(folder) / "broken.vms"
    broken.write_text("VAMAS Surface Chemical Analysis Standard Data Transfer Format 1988 May 4\nnot a header\n")
    try:
        spectra.read(broken)
    except FileFormatError as error:
        print("refused:", error)
