"""Union-find on an int array for the numba kernels (inlined where it is called).

``link[i] >= 0`` is the parent of ``i``; a root holds minus the size of its cluster. ``find``
halves paths, ``union`` hangs the smaller tree under the larger.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True, inline="always")
def find(link, i):
    """Root of i with path halving (link >= 0: parent; root: -size)."""
    while link[i] >= 0:
        p = link[i]
        if link[p] >= 0:
            link[i] = link[p]
        i = p
    return i


@njit(cache=True, inline="always")
def union(link, a, b):
    """Merge the clusters of a and b (union by size)."""
    ra = find(link, a)
    rb = find(link, b)
    if ra == rb:
        return
    if link[ra] > link[rb]:  # ra is smaller (sizes are stored negated)
        ra, rb = rb, ra
    link[ra] += link[rb]
    link[rb] = ra
