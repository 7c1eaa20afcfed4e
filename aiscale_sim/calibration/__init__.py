"""Calibration: fitting the model by approximate Bayesian computation (ABC-SMC with pyABC).

:mod:`aiscale_sim.calibration.constants` declares the model's calibratable constants (a named
subset of the employee and pipeline constants, with priors and sources) and turns overrides of
them into the parameter objects the model takes. :mod:`aiscale_sim.calibration.observed` reads
an organisation's file of known levers and observed outcomes; :mod:`aiscale_sim.calibration.abc`
fits the free levers to those outcomes with pyABC's ``ABCSMC`` (Klinger, Rickert & Hasenauer
2018, "pyABC: distributed, likelihood-free inference"; Toni et al. 2009 for ABC-SMC itself).

Importing this package imports neither pyABC nor matplotlib.
"""
