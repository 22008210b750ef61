# %% [markdown]
# # XPS deconvolution: S 2p, Li 1s and Si 2p of a lithiated silicon anode
#
# Three regions tell whether the argyrodite electrolyte Li6PS5Cl has decomposed at the anode:
#
# * **S 2p**: a Li2S doublet (S 2p3/2 ≈ 160.0 eV) grows beside the PS4(3-) doublet (≈ 161.6 eV);
# * **Li 1s**: the line moves towards Li2S (≈ 55.6 eV);
# * **Si 2p**: a Li–Si component (≈ 97.5 eV) appears below Si(0) when the silicon is lithiated.
#
# The spectra here are synthetic, with a known truth, a 0.4 eV charge shift and a sloped background
# — the two things real spectra add that a textbook fit forgets. With your own files use
# `spectra.load("anode.vms", region="S 2p")`.

# %%
import matplotlib.pyplot as plt

import spectra
from spectra import simulate
from spectra.xps import referencing

charge = 0.4   # eV: the sample charged positively; every line sits 0.4 eV too high
s2p, s2p_truth = simulate.xps("S 2p", {"PS4": 0.7, "Li2S": 0.3}, peak_counts=1.5e4, charge_shift=charge, seed=1)
li1s, _ = simulate.xps("Li 1s", {"Li6PS5Cl": 0.6, "Li2S": 0.4}, peak_counts=3e3, charge_shift=charge, seed=2)
si2p, _ = simulate.xps("Si 2p", {"Si0": 0.5, "LixSi": 0.3, "SiO2": 0.2}, peak_counts=8e3, charge_shift=charge, seed=3)

# %% [markdown]
# ## S 2p
#
# A recipe names the region and its species; centres, widths, spin–orbit splittings and area
# ratios come from the core-level library (`spectra/xps/core_levels.toml`, every value with its
# source). `shift` fits one common charge offset, with PS4 as its reference line, and `linear`
# adds a slope to the active Shirley background.

# %%
s2p_recipe = {
    "region": "S 2p",
    "components": ["PS4", "Li2S"],
    "background": {"kind": "active-shirley", "linear": True},
    "shift": {"value": 0.0, "min": -3.0, "max": 3.0, "reference": "PS4"},
}
s2p_fit = spectra.fit(s2p, s2p_recipe)
print(s2p_fit.summary())

# %% [markdown]
# Every number carries its quality: `ok` is False and `flags` say why when a parameter sits at a
# bound (its σ is then withdrawn, not reported as 0), the covariance is singular or the residuals
# are not noise.

# %%
print("ok:", s2p_fit.ok, "| flags:", s2p_fit.flags or "none")
s2p_fit.table()

# %%
s2p_fit.plot()

# %% [markdown]
# ## Referencing
#
# The fitted shift is the charge estimate. `internal_shift` turns the PS4 line into an energy
# reference (161.6 eV), which then applies to the other regions of the same sample.

# %%
reference = referencing.internal_shift(s2p_fit, "PS4", 161.6)
print(f"shift {reference.shift:+.3f} ± {reference.stderr:.3f} eV ({reference.method}); truth {-charge:+.1f} eV")
li1s_referenced = referencing.apply(li1s, reference)
si2p_referenced = referencing.apply(si2p, reference)

# %% [markdown]
# ## Li 1s and Si 2p
#
# Li 1s lines of Li6PS5Cl and Li2S lie 0.1 eV apart: their shares are poorly determined, and the
# result says so through large σ and strong correlations rather than a falsely precise split. The
# area-weighted centroid is the robust number.

# %%
li1s_fit = spectra.fit(li1s_referenced, {"region": "Li 1s", "components": ["Li6PS5Cl", "Li2S"]})
si2p_fit = spectra.fit(si2p_referenced, {"region": "Si 2p", "components": ["Si0", "LixSi", "SiO2"]})
print(li1s_fit.summary())
print(si2p_fit.summary())

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
li1s_fit.plot(ax=axes[0])
si2p_fit.plot(ax=axes[1])
fig.tight_layout()

# %% [markdown]
# The lithiated fraction of silicon, LixSi / (Si(0) + LixSi): `areas()` gives correlated uncertain
# numbers (the `uncertainties` package), so arithmetic on them propagates the full covariance.

# %%
areas = si2p_fit.areas()
lithiated = areas["LixSi"] / (areas["Si0"] + areas["LixSi"])
print(f"LixSi / (Si0 + LixSi) = {lithiated:.2uP} (truth {0.3 / 0.8:.3f})")
