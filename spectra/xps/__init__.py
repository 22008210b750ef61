"""XPS as a technique: recipes (:mod:`.recipe`), the peak model (:mod:`.peak_model`) and its batched
form (:mod:`.batched`), the engine's problem (:mod:`.problem`, registered as ``xps``) and result
(:mod:`.result`); the core-level library, energy referencing, quantification and CasaXPS import."""
