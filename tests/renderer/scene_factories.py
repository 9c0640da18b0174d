"""Input factories of the kernel tests, reused by the rasterizer benchmarks.

Shape symbols: N batch, F faces, C colour channels. Every factory is deterministic
given its ``torch.Generator`` and returns screen-space inputs for ``soft_rasterize``:
face_vertices (N, F, 3, 3) (x, y NDC, z depth) and face_colors (N, F, 3, C).
"""

from __future__ import annotations

import math
from typing import Tuple

import torch

from softrecon import protocol
from softrecon.geometry import icosphere

# The paper's camera (docs/METHOD.md section 5): eye distance and viewing half-angle in degrees.
PAPER_CAMERA_DISTANCE = protocol.CAMERA_DISTANCE
PAPER_HALF_ANGLE_DEG = protocol.VIEWING_ANGLE
# Radius of the reconstruction template sphere (docs/METHOD.md section 7: unit icosphere * 0.5).
TEMPLATE_RADIUS = 0.5
# Random scenes keep their depths inside [near + margin, far - margin] unless a face is
# deliberately placed outside the range.
DEPTH_MARGIN = 0.1
# Doubled area of the sliver face of random_scene: just above the validity threshold 1e-8.
SLIVER_DOUBLE_AREA = 4e-8


def random_scene(
    num_batch: int,
    num_faces: int,
    generator: torch.Generator,
    dtype: torch.dtype = torch.float64,
    num_channels: int = 3,
    near: float = 1.0,
    far: float = 3.0,
    extent: float = 0.9,
    special_faces: bool = True,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Random overlapping triangles of both windings at varied depths.

    With ``special_faces`` (and F >= 6) the first faces of every image are nasty on
    purpose: a zero-area (collinear) face, a sliver just above the area threshold, a
    face behind ``near``, one beyond ``far``, one with two coincident vertices, and one
    crossing ``near`` (its depth is in range at some pixels only).

    Returns:
        face_vertices (N, F, 3, 3) and face_colors (N, F, 3, C), both ``dtype``.
    """
    xy = (torch.rand(num_batch, num_faces, 3, 2, generator=generator, dtype=torch.float64) * 2 - 1) * extent
    z = (
        near
        + DEPTH_MARGIN
        + torch.rand(num_batch, num_faces, 3, 1, generator=generator, dtype=torch.float64)
        * (far - near - 2 * DEPTH_MARGIN)
    )
    faces = torch.cat([xy, z], dim=-1)
    if special_faces and num_faces >= 6:
        faces[:, 0, 2, :2] = 2 * faces[:, 0, 1, :2] - faces[:, 0, 0, :2]  # collinear: zero area
        base = faces[:, 1, 1, :2] - faces[:, 1, 0, :2]
        normal = torch.stack([-base[:, 1], base[:, 0]], dim=-1) / base.norm(dim=-1, keepdim=True) ** 2
        faces[:, 1, 2, :2] = faces[:, 1, 0, :2] + 0.5 * base + SLIVER_DOUBLE_AREA * normal  # sliver
        faces[:, 2, :, 2] = near * 0.5  # entirely behind near
        faces[:, 3, :, 2] = far * 1.5  # entirely beyond far
        faces[:, 4, 1] = faces[:, 4, 0]  # two coincident vertices
        faces[:, 5, 0, 2] = near * 0.3  # crosses near
    colors = torch.rand(num_batch, num_faces, 3, num_channels, generator=generator, dtype=torch.float64)
    return faces.to(dtype), colors.to(dtype)


def _random_rotation(generator: torch.Generator) -> torch.Tensor:
    """A random 3 x 3 rotation (float64), from the QR decomposition of a Gaussian matrix."""
    q, r = torch.linalg.qr(torch.randn(3, 3, generator=generator, dtype=torch.float64))
    q = q * torch.sign(torch.diagonal(r))[None, :]
    if torch.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def uv_sphere(rings: int, segments: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """A unit latitude-longitude sphere: two poles and ``rings`` x ``segments`` vertices,
    2 x rings x segments outward-wound faces (deterministic meshes of chosen face counts).

    Returns:
        vertices (V, 3) float64 and faces (F, 3) long.
    """
    if rings < 1 or segments < 3:
        raise ValueError(f"uv_sphere needs rings >= 1 and segments >= 3, got {rings}, {segments}")
    polar = torch.arange(1, rings + 1, dtype=torch.float64) * math.pi / (rings + 1)  # (rings,)
    azimuth = torch.arange(segments, dtype=torch.float64) * 2 * math.pi / segments  # (segments,)
    ring = torch.stack(
        [
            polar.sin()[:, None] * azimuth.cos()[None, :],
            polar.cos()[:, None].expand(-1, segments),
            polar.sin()[:, None] * azimuth.sin()[None, :],
        ],
        dim=-1,
    ).reshape(-1, 3)
    vertices = torch.cat(
        [
            torch.tensor([[0.0, 1.0, 0.0]], dtype=torch.float64),
            ring,
            torch.tensor([[0.0, -1.0, 0.0]], dtype=torch.float64),
        ]
    )
    south = len(vertices) - 1
    index = lambda r, k: 1 + r * segments + (k % segments)  # noqa: E731
    faces = []
    for k in range(segments):
        faces.append((0, index(0, k + 1), index(0, k)))
        faces.append((south, index(rings - 1, k), index(rings - 1, k + 1)))
        for r in range(rings - 1):
            a, b, c, d = index(r, k), index(r, k + 1), index(r + 1, k), index(r + 1, k + 1)
            faces += [(a, b, d), (a, d, c)]
    return vertices, torch.tensor(faces, dtype=torch.long)


def mesh_scene(
    vertices: torch.Tensor,
    faces: torch.Tensor,
    num_batch: int,
    generator: torch.Generator,
    dtype: torch.dtype = torch.float64,
    radius: float = TEMPLATE_RADIUS,
    distance: float = PAPER_CAMERA_DISTANCE,
    half_angle_deg: float = PAPER_HALF_ANGLE_DEG,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """A mesh (unit-sized: |v| <= 1) scaled to ``radius`` and seen by the paper's
    perspective camera, one random orientation per image.

    The eye sits at distance ``distance`` on the -z axis looking at the origin (docs/METHOD.md
    section 5 with elevation and azimuth 0), projection x / (z tan a), y / (z tan a).
    Per-vertex colours are the vertex positions mapped to [0, 1].

    Returns:
        face_vertices (N, F, 3, 3) and face_colors (N, F, 3, 3), both ``dtype``.
    """
    vertices = vertices.to(torch.float64)
    tan_half = math.tan(math.radians(half_angle_deg))
    scenes, colors = [], []
    for _ in range(num_batch):
        world = radius * vertices @ _random_rotation(generator).T
        depth = world[:, 2] + distance
        screen = torch.stack([world[:, 0] / (depth * tan_half), world[:, 1] / (depth * tan_half), depth], dim=-1)
        scenes.append(screen[faces])
        colors.append(((world / radius + 1) / 2)[faces])
    return torch.stack(scenes).to(dtype), torch.stack(colors).to(dtype)


def sphere_scene(
    level: int,
    num_batch: int,
    generator: torch.Generator,
    dtype: torch.dtype = torch.float64,
    radius: float = TEMPLATE_RADIUS,
    distance: float = PAPER_CAMERA_DISTANCE,
    half_angle_deg: float = PAPER_HALF_ANGLE_DEG,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Icospheres of level ``level`` seen by the paper's camera (``mesh_scene``).

    Returns:
        face_vertices (N, F, 3, 3) and face_colors (N, F, 3, 3), both ``dtype``.
    """
    vertices, faces = icosphere(level)
    return mesh_scene(vertices, faces, num_batch, generator, dtype, radius, distance, half_angle_deg)
