"""SoftRas' lighting modules (``soft_renderer/lighting.py``): ambient plus directional
lights applied to a ``Mesh``'s textures in the world frame, before the camera.

Shape symbols: N batch, V vertices, F faces, R texture resolution.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from . import functional as srf

LIGHT_MODES = ("surface", "vertex")


class AmbientLighting(nn.Module):
    """light += intensity * color (``functional.ambient_lighting``)."""

    def __init__(self, light_intensity=0.5, light_color=(1, 1, 1)):
        super().__init__()
        self.light_intensity = light_intensity
        self.light_color = light_color

    def forward(self, light):
        return srf.ambient_lighting(light, self.light_intensity, self.light_color)


class DirectionalLighting(nn.Module):
    """light += intensity * color * max(0, n . direction) (``functional.directional_lighting``)."""

    def __init__(self, light_intensity=0.5, light_color=(1, 1, 1), light_direction=(0, 1, 0)):
        super().__init__()
        self.light_intensity = light_intensity
        self.light_color = light_color
        self.light_direction = light_direction

    def forward(self, light, normals):
        return srf.directional_lighting(light, normals, self.light_intensity, self.light_color, self.light_direction)


class Lighting(nn.Module):
    """One ambient and one directional light (more can be appended to ``directionals``).

    ``light_mode='surface'``: one light per face from its face normal, multiplying all
    R * R texels of the face ((N, F, R * R, 3) textures); 'vertex': one light per vertex
    from the vertex normals, multiplying (N, V, 3) colours. ``forward(mesh)`` replaces
    ``mesh.textures`` and returns the mesh, as SoftRas.
    """

    def __init__(
        self,
        light_mode="surface",
        intensity_ambient=0.5,
        color_ambient=[1, 1, 1],  # noqa: B006 (SoftRas' signature; never mutated)
        intensity_directionals=0.5,
        color_directionals=[1, 1, 1],  # noqa: B006
        directions=[0, 1, 0],  # noqa: B006
    ):
        super().__init__()
        if light_mode not in LIGHT_MODES:
            raise ValueError("Lighting mode only support surface and vertex")
        self.light_mode = light_mode
        self.ambient = AmbientLighting(intensity_ambient, color_ambient)
        self.directionals = nn.ModuleList([DirectionalLighting(intensity_directionals, color_directionals, directions)])

    def forward(self, mesh):
        if self.light_mode not in LIGHT_MODES:
            raise ValueError("Lighting mode only support surface and vertex")
        surface = self.light_mode == "surface"
        normals = mesh.surface_normals if surface else mesh.vertex_normals
        light = torch.zeros(normals.shape, dtype=mesh.textures.dtype, device=normals.device)
        light = self.ambient(light)
        for directional in self.directionals:
            light = directional(light, normals)
        mesh.textures = mesh.textures * (light[:, :, None, :] if surface else light)
        return mesh
