"""Recovery studies: synthetic data with known truth fitted as a user would, and the statistics that
say whether the reported uncertainties are calibrated (used by the tests and ``tools/``; the core
fitting code imports nothing from here)."""
