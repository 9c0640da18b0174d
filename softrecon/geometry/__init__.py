"""Geometry helpers: icospheres, midpoint subdivision, normals, per-face gathering."""

from .faces import check_faces, gather_face_attributes
from .icosphere import icosphere
from .normals import face_normals, vertex_normals
from .subdivide import subdivide_midpoints

__all__ = [
    "check_faces",
    "face_normals",
    "gather_face_attributes",
    "icosphere",
    "subdivide_midpoints",
    "vertex_normals",
]
