"""The Ishigami function (Ishigami & Homma 1990), the standard known-answer test of Sobol' indices.

With a = 7, b = 0.1 and x1..x3 uniform on [-pi, pi]: S1 = (0.314, 0.442, 0), ST = (0.558, 0.442,
0.244). ``x4`` is a dummy argument the function ignores (its indices must be ~0).

    aiscale sensitivity --method sobol --function experiments/ishigami.py:ishigami \
        --problem experiments/ishigami_problem.toml --n 4096
"""

import math

import numpy as np


def ishigami(x1, x2, x3, x4=0.0, a=7.0, b=0.1):
    """Ishigami function value (x4 is ignored)."""
    return math.sin(x1) + a * math.sin(x2) ** 2 + b * x3**4 * math.sin(x1)


def ishigami_outputs(x1, x2, x3, x4=0.0):
    """Two outputs: the Ishigami value and a copy that depends on x1 only."""
    return {"ishigami": ishigami(x1, x2, x3, x4), "sin_x1": math.sin(x1)}


def seed_noise(x1, x2, x3, x4=0.0, seed=0):
    """An output driven only by the replicate seed (all its variance is noise)."""
    return float(np.random.default_rng(seed).normal())
