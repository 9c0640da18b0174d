"""SoftRas' camera modules (``soft_renderer/transform.py``): world -> screen space.

``Transform(camera_mode)`` wraps one of ``Projection`` ('projection': a 3 x 4 matrix
with lens distortion), ``Look`` ('look': from ``eye`` along ``camera_direction``) or
``LookAt`` ('look_at': from ``eye`` towards the origin), followed for the last two by a
perspective (half-angle ``viewing_angle``, degrees) or orthographic (``viewing_scale``)
projection. Shape symbols: N batch, V vertices.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn as nn

from . import functional as srf
from ._convert import as_float_tensor

CAMERA_MODES = ("projection", "look", "look_at")


def _default_eye(viewing_angle):
    """SoftRas' default eye: on -z, at the distance where the unit box fills the view."""
    return [0, 0, -(1.0 / math.tan(math.radians(viewing_angle)) + 1)]


class Projection(nn.Module):
    """``functional.projection`` with a fixed (N, 3, 4) matrix ``P`` (numpy or tensor) and
    (N, 5) ``dist_coeffs`` (default zeros: no distortion), in pixels of an
    ``orig_size`` image. Raises ValueError without a valid P, as SoftRas."""

    def __init__(self, P, dist_coeffs=None, orig_size=512):
        super().__init__()
        if isinstance(P, np.ndarray):
            P = as_float_tensor(P, "P")
        if not isinstance(P, torch.Tensor) or P.ndimension() != 3 or P.shape[1] != 3 or P.shape[2] != 4:
            raise ValueError("You need to provide a valid (batch_size)x3x4 projection matrix")
        self.P = P
        self.orig_size = orig_size
        self.dist_coeffs = P.new_zeros(P.shape[0], 5) if dist_coeffs is None else dist_coeffs

    def forward(self, vertices):
        return srf.projection(vertices, self.P, self.dist_coeffs, self.orig_size)


class _EyeCamera(nn.Module):
    """Shared by ``LookAt`` and ``Look``: the eye and the final projection."""

    def __init__(self, perspective=True, viewing_angle=30, viewing_scale=1.0, eye=None):
        super().__init__()
        self.perspective = perspective
        self.viewing_angle = viewing_angle
        self.viewing_scale = viewing_scale
        self._eye = _default_eye(viewing_angle) if eye is None else eye

    def _project(self, vertices):
        if self.perspective:
            return srf.perspective(vertices, angle=self.viewing_angle)
        return srf.orthogonal(vertices, scale=self.viewing_scale)


class LookAt(_EyeCamera):
    """Cameras at ``eye`` ((3,) or (N, 3)) looking at the origin with up +y, then perspective."""

    def __init__(self, perspective=True, viewing_angle=30, viewing_scale=1.0, eye=None):
        super().__init__(perspective, viewing_angle, viewing_scale, eye)

    def forward(self, vertices):
        return self._project(srf.look_at(vertices, self._eye))


class Look(_EyeCamera):
    """Cameras at ``eye`` looking along ``camera_direction`` with up +y, then perspective."""

    def __init__(self, camera_direction=[0, 0, 1], perspective=True, viewing_angle=30, viewing_scale=1.0, eye=None):  # noqa: B006
        super().__init__(perspective, viewing_angle, viewing_scale, eye)
        self.camera_direction = camera_direction

    def forward(self, vertices):
        return self._project(srf.look(vertices, self._eye, self.camera_direction))


class Transform(nn.Module):
    """The camera of a renderer: ``forward(mesh)`` replaces ``mesh.vertices`` by their
    screen-space positions and returns the mesh.

    SoftRas bugs not reproduced (their documented behaviour is): SoftRas builds ``Look``
    with its arguments shifted by one (``camera_direction`` receives ``perspective``),
    so camera_mode='look' never worked there; here every argument reaches its keyword.
    SoftRas' ``eyes`` property reads a missing ``_eyes``; here it returns the eye(s).
    """

    def __init__(
        self,
        camera_mode="projection",
        P=None,
        dist_coeffs=None,
        orig_size=512,
        perspective=True,
        viewing_angle=30,
        viewing_scale=1.0,
        eye=None,
        camera_direction=[0, 0, 1],  # noqa: B006
    ):
        super().__init__()
        self.camera_mode = camera_mode
        if camera_mode == "projection":
            self.transformer = Projection(P, dist_coeffs, orig_size)
        elif camera_mode == "look":
            self.transformer = Look(
                camera_direction=camera_direction,
                perspective=perspective,
                viewing_angle=viewing_angle,
                viewing_scale=viewing_scale,
                eye=eye,
            )
        elif camera_mode == "look_at":
            self.transformer = LookAt(perspective, viewing_angle, viewing_scale, eye)
        else:
            raise ValueError("Camera mode has to be one of projection, look or look_at")

    def forward(self, mesh):
        mesh.vertices = self.transformer(mesh.vertices)
        return mesh

    def set_eyes_from_angles(self, distances, elevations, azimuths):
        """Place the eye(s) by ``functional.get_points_from_angles`` (degrees)."""
        if self.camera_mode not in ("look", "look_at"):
            raise ValueError("Projection does not need to set eyes")
        self.transformer._eye = srf.get_points_from_angles(distances, elevations, azimuths)

    def set_eyes(self, eyes):
        """Set the eye(s): (3,) or (N, 3)."""
        if self.camera_mode not in ("look", "look_at"):
            raise ValueError("Projection does not need to set eyes")
        self.transformer._eye = eyes

    @property
    def eyes(self):
        return self.transformer._eye
