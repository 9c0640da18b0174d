"""Gathering per-vertex quantities onto faces.

Shape symbols: N batch, V vertices, F faces, D values per vertex.
"""

from __future__ import annotations

import torch


def check_faces(faces, name: str = "faces") -> None:
    """Raise ValueError unless ``faces`` is an int64 tensor of shape (F, 3) or (N, F, 3)."""
    if not isinstance(faces, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(faces).__name__}")
    if faces.dim() not in (2, 3) or faces.shape[-1] != 3:
        raise ValueError(f"{name} must have shape (F, 3) or (N, F, 3), got {tuple(faces.shape)}")
    if faces.dtype != torch.int64:
        raise ValueError(f"{name} must be int64 (torch.long), got {faces.dtype}")


def gather_face_attributes(attributes: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
    """Per-face, per-corner copies of per-vertex attributes (positions, colours, normals).

    Args:
        attributes: (N, V, D) any dtype: one row of D values per vertex.
        faces: (F, 3) (shared by the batch) or (N', F, 3) int64 indices into V, with
            N' equal to N, or either of N and N' equal to 1 (broadcast).

    Returns:
        (max(N, N'), F, 3, D): ``out[n, f, k] = attributes[n, faces[n, f, k]]``.
        Differentiable with respect to ``attributes``.
    """
    check_faces(faces)
    if not isinstance(attributes, torch.Tensor) or attributes.dim() != 3:
        raise ValueError(f"attributes must be a (N, V, D) tensor, got {getattr(attributes, 'shape', type(attributes))}")
    if faces.dim() == 2:
        faces = faces[None]
    n_attr, n_faces = attributes.shape[0], faces.shape[0]
    if n_attr != n_faces and 1 not in (n_attr, n_faces):
        raise ValueError(
            f"attributes (batch {n_attr}) and faces (batch {n_faces}) must have equal batch sizes or one of them 1"
        )
    n = max(n_attr, n_faces)
    num_faces, dim = faces.shape[1], attributes.shape[2]
    if n_attr == 1 and n > 1:
        attributes = attributes.expand(n, -1, -1)
    index = faces.expand(n, -1, -1).reshape(n, num_faces * 3, 1).expand(-1, -1, dim)
    return attributes.gather(1, index).reshape(n, num_faces, 3, dim)
