# %% [markdown]
# # Nanocrystalline Li2S beside argyrodite, silicon and carbon: a joint XRD fit
#
# With carbon in the anode, broad Li2S reflections appear at 2θ ≈ 27°, 45° and 53° (Cu Kα), each on
# top of another phase's reflection. Three free peaks would give wrong areas; a joint fit of phase
# templates computed from crystal structures does not. The pattern here is synthetic (known truth);
# with real data use `spectra.load("pattern.xrdml")`.
#
# Open as a notebook with `jupytext --to notebook tutorials/03_xrd_li2s_joint_fit.py`, or run as a script.

# %%
import spectra
from spectra import simulate

pattern, truth = simulate.xrd({"Li6PS5Cl": {"scale": 10.0, "size": 80.0}, "Li2S": {"scale": 15.0, "size": 8.0},
                               "Si": {"scale": 6.0, "size": 200.0}}, two_theta=(15.0, 60.0), seed=3)

# %%
recipe = {
    "technique": "xrd",
    "phases": ["Li6PS5Cl", "Li2S", "Si"],
    "background": {"kind": "chebyshev", "order": 3},
    "phase_options": {"Li2S": {"size": {"value": 15, "min": 1, "max": 300}}},
}
result = spectra.fit(pattern, recipe)
size = result.size("Li2S")
print(f"Li2S crystallite size: {size} nm (truth {truth.params['Li2S_size']} nm)")
print(f"Li2S significance (scale/σ): {result.significance('Li2S'):.0f}")
print("weight fractions:", {k: f"{v:.3f}" for k, v in result.weight_fractions().items()})

# %%
ax = result.plot()

# %% [markdown]
# ## A series: Li2S growing as the electrolyte decomposes
#
# `spectra.fit_many` fits many patterns with the same recipe at once (its batched engine agrees
# with one-at-a-time fits to far below their uncertainties). Here twelve synthetic patterns follow
# a Li2S scale growing from 0 to 30 while the argyrodite shrinks; the result is a Dataset with each
# phase's weight fraction and crystallite size and their standard errors.

# %%
import matplotlib.pyplot as plt
import numpy as np

steps = np.linspace(0.0, 1.0, 12)
series = [simulate.xrd({"Li6PS5Cl": {"scale": 10.0 * (1 - 0.6 * s), "size": 80.0},
                        "Li2S": {"scale": 1e-3 + 30.0 * s, "size": 8.0}, "Si": {"scale": 6.0, "size": 200.0}},
                       two_theta=(15.0, 60.0), seed=10 + k)[0] for k, s in enumerate(steps)]
series_recipe = {**recipe, "phase_options": {"Li2S": {"size": {"value": 8, "vary": False}, "refine_cell": False}}}
fits = spectra.fit_many(series, series_recipe)
li2s = fits.sel(phase="Li2S")
print("all converged:", bool(fits.success.all()))
print("Li2S weight fraction:", np.round(li2s.weight_fraction.values, 3))

# the truth, by the same Hill-Howard relation W = S·Z·M·V / Σ S·Z·M·V
from spectra.xrd.structure import load_structure

zmv = {name: load_structure(name).z * load_structure(name).formula_mass * load_structure(name).volume
       for name in ("Li6PS5Cl", "Li2S", "Si")}
mass = np.array([[10.0 * (1 - 0.6 * s) * zmv["Li6PS5Cl"], (1e-3 + 30.0 * s) * zmv["Li2S"], 6.0 * zmv["Si"]]
                 for s in steps])
true_li2s = mass[:, 1] / mass.sum(axis=1)
print("truth:                ", np.round(true_li2s, 3))

# %%
fig, ax = plt.subplots()
ax.errorbar(steps, li2s.weight_fraction, yerr=2 * li2s.weight_fraction_stderr, fmt="o", capsize=2, label="fit_many")
ax.plot(steps, true_li2s, "k-", lw=0.8, label="truth")
ax.legend()
ax.set_xlabel("decomposition progress (simulated)")
ax.set_ylabel("Li2S weight fraction (±2σ)")
