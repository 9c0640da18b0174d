"""Face and vertex normals of batched triangle meshes; differentiable and NaN-free.

Shape symbols: N batch, V vertices, F faces.
"""

from __future__ import annotations

import torch

from .faces import gather_face_attributes

# Below this length an (unnormalized) normal is treated as zero: degenerate faces and
# isolated vertices get a zero normal instead of NaN, and finite gradients.
NORMAL_EPS = 1e-12


def _face_cross(vertices: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
    """(N, F, 3) cross(v1 - v0, v2 - v0): the face normal scaled by twice the face area."""
    if not isinstance(vertices, torch.Tensor) or vertices.dim() != 3 or vertices.shape[-1] != 3:
        raise ValueError(f"vertices must be a (N, V, 3) tensor, got {getattr(vertices, 'shape', type(vertices))}")
    if not vertices.dtype.is_floating_point:
        raise ValueError(f"vertices must be floating point, got {vertices.dtype}")
    corners = gather_face_attributes(vertices, faces)  # (N, F, 3, 3)
    v0, v1, v2 = corners.unbind(-2)
    return torch.cross(v1 - v0, v2 - v0, dim=-1)


def _safe_normalize(vectors: torch.Tensor) -> torch.Tensor:
    """Unit vectors along the last dimension; vectors shorter than NORMAL_EPS become 0."""
    squared = (vectors * vectors).sum(-1, keepdim=True)
    # sqrt is not differentiable at 0: clamp before it, so the gradient stays finite.
    return vectors * torch.rsqrt(squared.clamp_min(NORMAL_EPS * NORMAL_EPS)) * (squared > NORMAL_EPS * NORMAL_EPS)


def face_normals(vertices: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
    """Unit outward normals of the faces (right-hand rule: CCW winding seen from outside).

    Args:
        vertices: (N, V, 3) float, positions in any frame.
        faces: (F, 3) or (N, F, 3) int64 vertex indices.

    Returns:
        (N, F, 3) same dtype: unit normals; exactly 0 for degenerate (zero-area) faces,
        including the all-zero padding faces of ``Mesh.from_list``.
    """
    return _safe_normalize(_face_cross(vertices, faces))


def vertex_normals(vertices: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
    """Area-weighted unit vertex normals: the normalized sum of the adjacent faces' normals
    times their areas.

    Args:
        vertices: (N, V, 3) float.
        faces: (F, 3) or (N, F, 3) int64 vertex indices.

    Returns:
        (N, V, 3) same dtype: unit normals; 0 for vertices in no (non-degenerate) face.
    """
    cross = _face_cross(vertices, faces)  # (N, F, 3), length = 2 * area
    num_vertices = vertices.shape[1]
    faces = faces if faces.dim() == 3 else faces[None]
    index = faces.expand(cross.shape[0], -1, -1).reshape(cross.shape[0], -1)  # (N, F*3)
    contributions = cross[:, :, None, :].expand(-1, -1, 3, -1).reshape(cross.shape[0], -1, 3)
    summed = cross.new_zeros(cross.shape[0], num_vertices, 3)
    summed = summed.scatter_add(1, index[..., None].expand(-1, -1, 3), contributions)
    return _safe_normalize(summed)
