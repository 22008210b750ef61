# %% [markdown]
# # Nanocrystalline Li2S beside argyrodite, silicon and carbon: a joint XRD fit
#
# With carbon in the anode, broad Li2S reflections appear at 2θ ≈ 27°, 45° and 53° (Cu Kα), each on
# top of another phase's reflection. Three free peaks would give wrong areas; a joint fit of phase
# templates computed from crystal structures does not. The pattern here is synthetic (known truth);
# with real data use `spectra.load("pattern.xrdml")`.
#
# Run as a script: `python tutorials/02_xrd_li2s_with_carbon.py`.

# %%
import matplotlib

matplotlib.use("Agg")

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
ax.figure.savefig("xrd_li2s_joint_fit.png", dpi=120)
