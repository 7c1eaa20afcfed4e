"""Importing the library stays light: no plotting, no cluster, no SALib until asked for."""

import subprocess
import sys


def test_import_does_not_pull_in_optional_layers():
    code = ("import sys, aiscale_sim\n"
            "heavy = [m for m in ('matplotlib', 'dask', 'distributed', 'SALib', 'solara')"
            " if m in sys.modules]\n"
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == ""


def test_model_modules_do_not_import_plotting_or_cli():
    code = ("import sys, aiscale_sim.model, aiscale_sim.simulate\n"
            "print(','.join(m for m in ('aiscale_sim.plots', 'aiscale_sim.cli') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == ""
