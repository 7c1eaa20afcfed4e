"""The live dashboard: a Mesa SolaraViz page of one enterprise, week by week.

``aiscale dashboard`` serves it (:mod:`aiscale_sim.dashboard.server`). The page
(:mod:`aiscale_sim.dashboard.app`) needs the ``viz`` extra (solara); everything it draws is
made by plain functions of the model (:mod:`aiscale_sim.dashboard.figures`), and its controls
come from the lever table (:mod:`aiscale_sim.dashboard.controls`). Importing this package
imports neither solara nor matplotlib.
"""
