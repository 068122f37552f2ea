"""Numba kernel that voxelises spheroids into a periodic grid (voxel centres inside -> True)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def voxelize(pos, axis, a, b, n, grid):
    """Mark voxels of the n^3 periodic grid whose centres lie inside any spheroid.

    pos, a, b in voxel units; ``axis`` unit vectors along the symmetry axes; ``a``/``b`` arrays.
    """
    for p in range(pos.shape[0]):
        ap = a[p]
        bp = b[p]
        ux = axis[p, 0]
        uy = axis[p, 1]
        uz = axis[p, 2]
        # axis-aligned half extents of the spheroid
        hx = math.sqrt(bp * bp + (ap * ap - bp * bp) * ux * ux)
        hy = math.sqrt(bp * bp + (ap * ap - bp * bp) * uy * uy)
        hz = math.sqrt(bp * bp + (ap * ap - bp * bp) * uz * uz)
        cx = pos[p, 0]
        cy = pos[p, 1]
        cz = pos[p, 2]
        for i in range(int(np.floor(cx - hx - 0.5)), int(np.ceil(cx + hx - 0.5)) + 1):
            dx = i + 0.5 - cx
            if abs(dx) > hx:
                continue
            ii = i % n
            for j in range(int(np.floor(cy - hy - 0.5)), int(np.ceil(cy + hy - 0.5)) + 1):
                dy = j + 0.5 - cy
                if abs(dy) > hy:
                    continue
                jj = j % n
                for k in range(int(np.floor(cz - hz - 0.5)), int(np.ceil(cz + hz - 0.5)) + 1):
                    dz = k + 0.5 - cz
                    s = dx * ux + dy * uy + dz * uz
                    perp2 = dx * dx + dy * dy + dz * dz - s * s
                    if s * s / (ap * ap) + perp2 / (bp * bp) <= 1.0:
                        grid[ii, jj, k % n] = True
    return grid
