"""Exact binomial and Poisson upper tails P(K >= n) on a grid, for many n at once (numba).

For each grid point the probability mass function is built by the ratio recurrence outwards from
its mode (so nothing overflows) over the window of counts that matters, then summed from the top.
This is much faster than evaluating the regularised incomplete beta function for every (n, p) pair
when N is large.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def tail_matrix(counts, grid, scale, binomial):
    """Matrix T[i, g] = P(K >= counts[i]) for K ~ Binomial(scale, grid[g]) or Poisson(scale*grid[g]).

    ``counts`` must be sorted ascending and non-negative.
    """
    nu = counts.shape[0]
    out = np.zeros((nu, grid.shape[0]))
    if nu == 0:
        return out
    nmax_total = int(scale) if binomial else 1 << 62
    for g in range(grid.shape[0]):
        p = grid[g]
        if binomial:
            if p <= 0.0:
                for i in range(nu):
                    out[i, g] = 1.0 if counts[i] <= 0 else 0.0
                continue
            if p >= 1.0:
                for i in range(nu):
                    out[i, g] = 1.0 if counts[i] <= nmax_total else 0.0
                continue
            mu = scale * p
            sd = math.sqrt(scale * p * (1.0 - p))
        else:
            mu = scale * p
            if mu <= 0.0:
                for i in range(nu):
                    out[i, g] = 1.0 if counts[i] <= 0 else 0.0
                continue
            sd = math.sqrt(mu)
        lo = int(max(0.0, mu - 40.0 * sd - 2.0))
        hi = int(mu + 40.0 * sd + 2.0)
        if binomial and hi > nmax_total:
            hi = nmax_total
        mode = int(mu)
        if mode < lo:
            mode = lo
        if mode > hi:
            mode = hi
        width = hi - lo + 1
        pmf = np.empty(width)
        pmf[mode - lo] = 1.0
        if binomial:
            r = p / (1.0 - p)
            for k in range(mode, hi):
                pmf[k + 1 - lo] = pmf[k - lo] * (scale - k) / (k + 1.0) * r
            for k in range(mode, lo, -1):
                pmf[k - 1 - lo] = pmf[k - lo] * k / ((scale - k + 1.0) * r)
        else:
            for k in range(mode, hi):
                pmf[k + 1 - lo] = pmf[k - lo] * mu / (k + 1.0)
            for k in range(mode, lo, -1):
                pmf[k - 1 - lo] = pmf[k - lo] * k / mu
        total = 0.0
        for k in range(width):
            total += pmf[k]
        # cumulative from the top: sf[k] = sum_{j >= k} pmf[j] / total
        i = nu - 1
        acc = 0.0
        k = hi
        while i >= 0:
            c = counts[i]
            if c > hi:
                out[i, g] = 0.0
                i -= 1
                continue
            while k >= max(c, lo):
                acc += pmf[k - lo]
                k -= 1
            if c <= lo:
                out[i, g] = 1.0
            else:
                out[i, g] = min(1.0, acc / total)
            i -= 1
    return out
