"""Mesh connectivity derived once from a face list (edges, neighbours, adjacent faces).

Shape symbols: V vertices, F faces, E edges.
"""

from __future__ import annotations

from typing import Tuple

import torch


def as_face_index_tensor(faces, num_vertices: int | None = None) -> torch.Tensor:
    """Return ``faces`` as a (F, 3) long tensor on its device, or raise ``ValueError``."""
    if not isinstance(faces, torch.Tensor):
        raise ValueError(f"faces must be a (F, 3) torch.Tensor of vertex indices, got {type(faces).__name__}")
    if faces.dim() != 2 or faces.shape[1] != 3:
        raise ValueError(f"faces must have shape (F, 3), got {tuple(faces.shape)}")
    if faces.dtype.is_floating_point or faces.dtype == torch.bool:
        raise ValueError(f"faces must hold integer vertex indices, got {faces.dtype}")
    faces = faces.long()
    if faces.numel() and faces.min() < 0:
        raise ValueError("faces must hold non-negative vertex indices")
    if num_vertices is not None and faces.numel() and faces.max() >= num_vertices:
        raise ValueError(f"faces refers to vertex {int(faces.max())} but num_vertices is {num_vertices}")
    return faces


def unique_edges(faces: torch.Tensor) -> torch.Tensor:
    """(E, 2) long: every undirected edge once, as (smaller index, larger index), sorted."""
    edges = torch.cat([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]], dim=0)
    edges = edges.sort(dim=1).values
    return torch.unique(edges, dim=0)


def face_adjacency_edges(faces: torch.Tensor) -> torch.Tensor:
    """(E_f, 2) long: pairs of faces that share an edge, as (smaller, larger) face index.

    Faces around a non-manifold edge (held by k > 2 faces) are linked in a chain of k - 1
    pairs, which keeps them connected without the k^2 pairs of a clique.
    """
    pairs = torch.stack([faces, faces.roll(-1, dims=1)], dim=-1).reshape(-1, 2).sort(dim=1).values  # (3F, 2)
    face_of = torch.arange(faces.shape[0], device=faces.device).repeat_interleave(3)  # (3F,)
    _, inverse = torch.unique(pairs, dim=0, return_inverse=True)
    order = torch.argsort(inverse, stable=True)  # occurrences of the same edge now adjacent
    same_edge = inverse[order][1:] == inverse[order][:-1]
    links = torch.stack([face_of[order][:-1][same_edge], face_of[order][1:][same_edge]], dim=1).sort(dim=1).values
    links = links[links[:, 0] != links[:, 1]]
    return torch.unique(links, dim=0)


def neighbour_table(faces: torch.Tensor, num_vertices: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """Padded neighbour lists of every vertex of a triangle mesh (see ``graph_neighbour_table``)."""
    return graph_neighbour_table(unique_edges(faces), num_vertices)


def graph_neighbour_table(edges: torch.Tensor, num_vertices: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """Padded neighbour lists of every node of an undirected graph.

    Args:
        edges: (E, 2) long, each undirected edge once.
        num_vertices: the number of nodes V.

    Returns:
        index: (V, K) long, K the largest degree: the neighbours of each node, padded
            with the node itself.
        mask: (V, K) bool: True for real neighbours.
    """
    directed = torch.cat([edges, edges.flip(1)], dim=0)  # (2E, 2): (vertex, neighbour)
    order = torch.argsort(directed[:, 0] * num_vertices + directed[:, 1])
    directed = directed[order]
    degree = torch.bincount(directed[:, 0], minlength=num_vertices)
    max_degree = int(degree.max()) if degree.numel() else 0
    starts = torch.cumsum(degree, 0) - degree
    slot = torch.arange(directed.shape[0], device=edges.device) - starts[directed[:, 0]]
    index = torch.arange(num_vertices, device=edges.device)[:, None].repeat(1, max(max_degree, 1))
    mask = torch.zeros_like(index, dtype=torch.bool)
    index[directed[:, 0], slot] = directed[:, 1]
    mask[directed[:, 0], slot] = True
    return index, mask


def interior_edge_quads(faces: torch.Tensor) -> torch.Tensor:
    """Edges shared by exactly two faces, with the vertex opposite the edge in each face.

    Returns:
        (E_i, 4) long: (v0, v1, v2, v3) with (v0, v1) the edge (v0 < v1) and v2, v3 the
        opposite vertices of its two faces. Boundary and non-manifold edges are left out.
    """
    pairs = torch.stack([faces, faces.roll(-1, dims=1)], dim=-1).reshape(-1, 2).sort(dim=1).values  # (3F, 2)
    opposite = faces.roll(-2, dims=1).reshape(-1)  # (3F,): the corner not on that edge
    _, inverse, counts = torch.unique(pairs, dim=0, return_inverse=True, return_counts=True)
    order = torch.argsort(inverse, stable=True)  # occurrences of the same edge now adjacent
    grouped = inverse[order]
    is_first = torch.ones_like(grouped, dtype=torch.bool)
    is_first[1:] = grouped[1:] != grouped[:-1]
    interior = counts[grouped] == 2
    firsts = order[is_first & interior]
    seconds = order[~is_first & interior]
    return torch.cat([pairs[firsts], opposite[firsts, None], opposite[seconds, None]], dim=1)
