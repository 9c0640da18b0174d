"""Write the thin-legged test mesh of docs/FITTING.md ("quadruped"): an ellipsoid body,
a head, four legs and a tail, the legs and tail thin cylinders (about 2 pixels wide in
the 64 x 64 fitting views once the mesh is normalized to the unit box).

    python benchmarks/thin_parts/make_quadruped.py quadruped.obj

The parts overlap (a union of closed surfaces, not one manifold), which the silhouettes
and the flood-filled voxelizer handle. Prints the output path.
"""

from __future__ import annotations

import sys

import numpy as np

from softrecon.dataset_builders.primitives import cylinder, ellipsoid
from softrecon.io import save_obj

BODY = dict(center=(0.0, 0.15, 0.0), radii=(0.42, 0.17, 0.15), level=3)
HEAD = dict(center=(0.48, 0.3, 0.0), radii=(0.12, 0.1, 0.09), level=2)
LEG_RADIUS = 0.022
LEG_TOP, LEG_BOTTOM = 0.12, -0.45
LEG_X, LEG_Z = (-0.28, 0.28), (-0.09, 0.09)
TAIL = dict(start=(-0.38, 0.18, 0.0), end=(-0.62, 0.02, 0.0), radius=0.015)


def quadruped():
    """(vertices (V, 3), faces (F, 3)) of the union of the parts."""
    parts = [ellipsoid(**BODY), ellipsoid(**HEAD), cylinder(TAIL["start"], TAIL["end"], TAIL["radius"])]
    parts += [cylinder((x, LEG_TOP, z), (x, LEG_BOTTOM, z), LEG_RADIUS) for x in LEG_X for z in LEG_Z]
    offsets = np.cumsum([0] + [len(v) for v, _ in parts[:-1]])
    return np.concatenate([v for v, _ in parts]), np.concatenate([f + o for (_, f), o in zip(parts, offsets)])


if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else "quadruped.obj"
    save_obj(path, *quadruped())
    print(path)
