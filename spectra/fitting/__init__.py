"""The fitting engine. It knows no technique: a technique provides a
:class:`~spectra.fitting.problem.Problem` (registered by name), and the engine does the rest.

* :mod:`.problem` — the Problem protocol, the :class:`~spectra.fitting.problem.Item` it is given,
  and the registry of techniques;
* :mod:`.options` and :mod:`.prepare` — the one validation point for options and data;
* :mod:`.single` (:func:`spectra.fit`) and :mod:`.batch` (:func:`spectra.fit_many`) — the verbs;
* :mod:`.lmfit_engine` — the one lmfit driver; :mod:`.lm` — the vectorised Levenberg–Marquardt;
* :mod:`.montecarlo`, :mod:`.propagate`, :mod:`.quality`, :mod:`.weights` — Poisson replicas, the
  delta method, honest flags, counting statistics;
* :mod:`.dataset` and :mod:`.result` — the one result layout and the single-fit result surface.
"""
