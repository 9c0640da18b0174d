"""Canonical pose of the realcad models: y up, front along -z (ShapeNetCore v2's frame,
https://shapenet.org: "up is +Y, front is -Z"), bounding-box centre at the origin and
longest side 1, as the NMR renders (docs/METHOD.md section 6).

Every source file is y up (AC3D's convention; Sweet Home 3D models after their
``modelRotation``); only the direction of the front differs per source, so the pose is
a rotation about y (named in classes.csv) followed by the unit-box normalization.
"""

from __future__ import annotations

import numpy as np
import torch

from softrecon.io import unit_box_transform

# Rotation (applied as v' = R v) that turns the named front axis to -z, keeping y.
FRONT_ROTATIONS = {
    "-z": np.eye(3),
    "+z": np.array([[-1.0, 0, 0], [0, 1.0, 0], [0, 0, -1.0]]),
    "+x": np.array([[0, 0, 1.0], [0, 1.0, 0], [-1.0, 0, 0]]),
    "-x": np.array([[0, 0, -1.0], [0, 1.0, 0], [1.0, 0, 0]]),
}
FRONTS = tuple(FRONT_ROTATIONS)
CANONICAL_FRONT = np.array([0.0, 0.0, -1.0])
CANONICAL_UP = np.array([0.0, 1.0, 0.0])


def canonical_pose(vertices: np.ndarray, front: str) -> np.ndarray:
    """Turn ``front`` to -z and normalize to the unit box.

    Args:
        vertices: (V, 3) float array in the file's frame (y up).
        front: one of ``FRONTS``.

    Returns:
        (V, 3) float64 array: bounding-box centre at the origin, longest side 1.

    Raises:
        ValueError: unknown ``front``; vertices all at one point (nothing to normalize).
    """
    if front not in FRONT_ROTATIONS:
        raise ValueError(f"front must be one of {FRONTS}, got {front!r}")
    turned = np.asarray(vertices, dtype=np.float64) @ FRONT_ROTATIONS[front].T
    centre, scale = (t.numpy() for t in unit_box_transform(torch.from_numpy(turned)))
    return (turned - centre[0]) * scale[0, 0]
