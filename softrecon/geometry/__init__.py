"""Geometry helpers: icospheres, normals, per-face gathering."""

from .faces import check_faces, gather_face_attributes
from .icosphere import icosphere
from .normals import face_normals, vertex_normals

__all__ = ["check_faces", "face_normals", "gather_face_attributes", "icosphere", "vertex_normals"]
