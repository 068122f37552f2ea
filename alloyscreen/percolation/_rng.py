"""A tiny counter-free SplitMix64 random stream for the numba kernels.

The kernels draw their own random numbers so that a whole Monte Carlo sample runs inside compiled
code without materialising permutations or coordinate arrays in Python. Every sample receives its
own 64-bit seed derived with :class:`numpy.random.SeedSequence`, so results do not depend on thread
scheduling and no global random state (NumPy's or numba's) is touched.

SplitMix64: G. L. Steele, D. Lea, C. H. Flood, "Fast splittable pseudorandom number generators",
OOPSLA 2014, doi:10.1145/2714064.2660195 (the finaliser constants are those of that paper).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53


@njit(cache=True, inline="always")
def next_u64(state):
    """Advance ``state`` (a uint64 array of length 1) and return a 64-bit random integer."""
    state[0] += _GOLDEN
    z = state[0]
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def uniform(state):
    """A double in [0, 1) with 53 random bits."""
    return float(next_u64(state) >> _S11) * _INV53


@njit(cache=True, inline="always")
def randbelow(state, m):
    """An integer in [0, m) (m < 2**53; the bias is below 2**-53 * m)."""
    return int(uniform(state) * m)


@njit(cache=True, inline="always")
def normal(state):
    """A standard normal deviate (Box–Muller, one value per call)."""
    u1 = uniform(state)
    while u1 <= 0.0:
        u1 = uniform(state)
    u2 = uniform(state)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def sample_seeds(seed: int, n: int, *keys: int) -> np.ndarray:
    """``n`` independent uint64 seeds derived from ``seed`` and the integer ``keys``."""
    ss = np.random.SeedSequence([int(seed) & 0xFFFFFFFF, *[int(k) & 0xFFFFFFFF for k in keys]])
    return ss.generate_state(max(int(n), 1), dtype=np.uint64)[: int(n)]
