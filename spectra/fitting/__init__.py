"""Fitting: the model built from a recipe (``model``), the lmfit path for one spectrum (``single``),
its result (``result``) and uncertainties (``uncertainty``)."""
