# %% [markdown]
# # S 2p depth profile: how much of the argyrodite has become Li2S?
#
# A sputter depth profile of the anode|electrolyte interface gives one S 2p spectrum per
# sputter step. Here the spectra are synthetic, with a known Li2S fraction that falls from 60 %
# at the interface to 5 % in the bulk electrolyte, so every number below can be checked against
# the truth. With real data, replace `spectra_at_depth` with `spectra.load(...)` of your files.
#
# Open as a notebook with `jupytext --to notebook tutorials/04_batch_depth_profile.py`, or run as a
# script.

# %%
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

import spectra
from spectra import simulate
from spectra.fitting.batch import write_results

depth_nm = np.linspace(0, 50, 26)
true_li2s = 0.05 + 0.55 * np.exp(-depth_nm / 12)
spectra_at_depth = [simulate.xps("S 2p", {"PS4": 1 - f, "Li2S": f}, peak_counts=2e4, seed=k)[0]
                    for k, f in enumerate(true_li2s)]
profile = xr.concat(spectra_at_depth, dim="spectrum").assign_coords(depth_nm=("spectrum", depth_nm))

# %% [markdown]
# One recipe for all spectra: the PS4(3-) and Li2S doublets from the core-level library
# (2p3/2–2p1/2 splitting 1.18 eV, 2:1 areas, tied FWHM) on an active Shirley background.

# %%
recipe = {"region": "S 2p", "components": ["PS4", "Li2S"], "background": "active-shirley", "lineshape": "GL(30)"}
results = spectra.fit_many(profile, recipe, mc_replicas=200, seed=1)
print(results.attrs["engine"], "engine;", int(results.success.sum()), "of", results.sizes["spectrum"], "fits succeeded")

# %% [markdown]
# Fractions carry two uncertainties: `fraction_stderr` from the covariance of each fit, and the
# Monte Carlo percentiles of 200 Poisson replicas per spectrum (`mc_fraction`).

# %%
li2s = results.fraction.sel(component="Li2S")
sigma = results.fraction_stderr.sel(component="Li2S")
mc = results.mc_fraction.sel(component="Li2S")
pulls = (li2s.values - true_li2s) / sigma.values
print(f"Li2S at the interface: {float(li2s[0]):.3f} ± {float(sigma[0]):.3f} (truth {true_li2s[0]:.3f})")
print(f"Li2S in the bulk:      {float(li2s[-1]):.3f} ± {float(sigma[-1]):.3f} (truth {true_li2s[-1]:.3f})")
print(f"pulls (fit - truth)/σ: mean {pulls.mean():+.2f}, sd {pulls.std(ddof=1):.2f}")

# %%
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.errorbar(depth_nm, li2s, yerr=2 * sigma, fmt="o", ms=3, label="fit ± 2σ (covariance)")
ax.fill_between(depth_nm, mc.sel(quantile=0.025), mc.sel(quantile=0.975), alpha=0.3, label="Monte Carlo 95 %")
ax.plot(depth_nm, true_li2s, "k--", label="truth")
ax.set(xlabel="depth (nm)", ylabel="Li2S fraction of S 2p")
ax.legend()
fig.tight_layout()

# %% [markdown]
# The results are an ordinary xarray Dataset; `write_results` stores them as NetCDF atomically
# (an existing file is never overwritten unless you say so). Here into a temporary folder.

# %%
import tempfile
from pathlib import Path

saved = write_results(results, Path(tempfile.mkdtemp(prefix="spectra-tutorial-")) / "s2p_depth_profile_fits.nc")
print("written:", saved)
