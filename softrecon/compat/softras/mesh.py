"""SoftRas' ``Mesh`` (``soft_renderer/mesh.py``): a batch of meshes with textures, the
object its renderer, lighting and camera modules pass along and modify.

Shape symbols: N batch, V vertices, F faces, R surface texture resolution.

``textures`` are (N, F, R * R, 3) per-face surface textures (``texture_type='surface'``,
SoftRas' default; the texel layout of ``softrecon.structures.textures``) or (N, V, 3)
per-vertex colours ('vertex'). The native equivalent is ``softrecon.structures.Mesh``
(``to_native()``).
"""

from __future__ import annotations

import numpy as np
import torch

from ...geometry.normals import face_normals
from ...structures.mesh import Mesh as NativeMesh
from . import functional as srf
from ._convert import as_float_tensor, as_index_tensor

TEXTURE_TYPES = ("surface", "vertex")


class Mesh(object):
    """A batch of triangle meshes, as SoftRas' ``Mesh``.

    Args:
        vertices: (N, V, 3) or (V, 3) tensor or numpy array (numpy goes to
            ``default_device()`` as float32, as SoftRas' ``.float().cuda()``).
        faces: (N, F, 3) or (F, 3) integer tensor or numpy array.
        textures: None (white: ones of the layout of ``texture_type``), or
            (N, F, R * R, 3) / (F, R * R, 3) surface textures, or (N, V, 3) / (V, 3)
            vertex colours.
        texture_res: R of the white default surface textures.
        texture_type: 'surface' | 'vertex'.

    Attributes user code reads: ``vertices``, ``faces``, ``textures`` (settable),
    ``face_vertices`` (N, F, 3, 3), ``surface_normals`` (N, F, 3), ``vertex_normals``
    (N, V, 3), ``face_textures`` ((N, F, R * R, 3) or per-corner (N, F, 3, 3)),
    ``device``, ``texture_type``, ``texture_res``, ``batch_size``, ``num_vertices``,
    ``num_faces``. Derived tensors are recomputed after ``vertices`` or ``faces`` is set.
    """

    def __init__(self, vertices, faces, textures=None, texture_res=1, texture_type="surface"):
        if texture_type not in TEXTURE_TYPES:
            raise ValueError(f"texture_type must be 'surface' or 'vertex', got {texture_type!r}")
        self._vertices = as_float_tensor(vertices, "vertices") if isinstance(vertices, np.ndarray) else vertices
        self._faces = as_index_tensor(faces, "faces")
        if not isinstance(self._vertices, torch.Tensor) or not self._vertices.dtype.is_floating_point:
            raise ValueError(f"vertices must be a floating tensor or numpy array, got {type(vertices).__name__}")
        if self._vertices.ndimension() == 2:
            self._vertices = self._vertices[None, :, :]
        if self._faces.ndimension() == 2:
            self._faces = self._faces[None, :, :]
        if self._vertices.dim() != 3 or self._vertices.shape[2] != 3:
            raise ValueError(f"vertices must have shape (N, V, 3) or (V, 3), got {tuple(vertices.shape)}")
        if self._faces.dim() != 3 or self._faces.shape[2] != 3:
            raise ValueError(f"faces must have shape (N, F, 3) or (F, 3), got {tuple(faces.shape)}")
        self._faces = self._faces.to(self._vertices.device)

        self.device = self._vertices.device
        self.texture_type = texture_type
        self.batch_size = self._vertices.shape[0]
        self.num_vertices = self._vertices.shape[1]
        self.num_faces = self._faces.shape[1]
        self._face_vertices = None
        self._face_vertices_update = True
        self._surface_normals = None
        self._surface_normals_update = True
        self._vertex_normals = None
        self._vertex_normals_update = True
        self._fill_back = False

        dtype = self._vertices.dtype
        if textures is None:
            if texture_type == "surface":
                self._textures = torch.ones(
                    self.batch_size, self.num_faces, texture_res**2, 3, dtype=dtype, device=self.device
                )
                self.texture_res = texture_res
            else:
                self._textures = torch.ones(self.batch_size, self.num_vertices, 3, dtype=dtype, device=self.device)
                self.texture_res = 1
        else:
            if isinstance(textures, np.ndarray):
                textures = as_float_tensor(textures, "textures", self._vertices)
            if textures.ndimension() == 3 and texture_type == "surface":
                textures = textures[None, :, :, :]
            if textures.ndimension() == 2 and texture_type == "vertex":
                textures = textures[None, :, :]
            self._check_textures(textures)
            self._textures = textures
            self.texture_res = int(np.sqrt(self._textures.shape[2])) if texture_type == "surface" else 1

        self._origin_vertices = self._vertices
        self._origin_faces = self._faces
        self._origin_textures = self._textures

    def _check_textures(self, textures) -> None:
        if self.texture_type == "surface":
            ok = textures.dim() == 4 and textures.shape[1] == self.num_faces and textures.shape[3] == 3
            expected = f"(N, F={self.num_faces}, R * R, 3)"
        else:
            ok = textures.dim() == 3 and textures.shape[1] == self.num_vertices and textures.shape[2] == 3
            expected = f"(N, V={self.num_vertices}, 3)"
        if not ok:
            raise ValueError(
                f"textures for texture_type={self.texture_type!r} must have shape {expected}, got {tuple(textures.shape)}"
            )

    # ------------------------------------------------------------------ SoftRas' properties
    @property
    def faces(self):
        return self._faces

    @faces.setter
    def faces(self, faces):
        self._faces = faces
        self.num_faces = self._faces.shape[1]
        self._face_vertices_update = True
        self._surface_normals_update = True
        self._vertex_normals_update = True

    @property
    def vertices(self):
        return self._vertices

    @vertices.setter
    def vertices(self, vertices):
        self._vertices = vertices
        self.num_vertices = self._vertices.shape[1]
        self._face_vertices_update = True
        self._surface_normals_update = True
        self._vertex_normals_update = True

    @property
    def textures(self):
        return self._textures

    @textures.setter
    def textures(self, textures):
        self._textures = textures

    @property
    def face_vertices(self):
        """(N, F, 3, 3) the corners of every face (``functional.face_vertices``)."""
        if self._face_vertices_update:
            self._face_vertices = srf.face_vertices(self.vertices, self.faces)
            self._face_vertices_update = False
        return self._face_vertices

    @property
    def surface_normals(self):
        """(N, F, 3) unit face normals, right-hand rule (``softrecon.geometry.face_normals``;
        SoftRas divides by max(|n|, 1e-6), softrecon gives 0 only for |n| < 1e-12)."""
        if self._surface_normals_update:
            self._surface_normals = face_normals(self.vertices, self.faces.long())
            self._surface_normals_update = False
        return self._surface_normals

    @property
    def vertex_normals(self):
        """(N, V, 3) area-weighted unit vertex normals (``functional.vertex_normals``)."""
        if self._vertex_normals_update:
            self._vertex_normals = srf.vertex_normals(self.vertices, self.faces)
            self._vertex_normals_update = False
        return self._vertex_normals

    @property
    def face_textures(self):
        """What the rasterizer takes: (N, F, R * R, 3) surface textures, or the vertex
        colours gathered per corner (N, F, 3, 3)."""
        if self.texture_type == "surface":
            return self.textures
        if self.texture_type == "vertex":
            return srf.face_vertices(self.textures, self.faces)
        raise ValueError("texture type not applicable")

    # ------------------------------------------------------------------ in-place edits
    def fill_back_(self):
        """Append every face with reversed winding (and its texture), once."""
        if not self._fill_back:
            self.faces = torch.cat((self.faces, self.faces[:, :, [2, 1, 0]]), dim=1)
            if self.texture_type == "surface":  # SoftRas concatenates vertex colours too (a V mismatch): skipped
                self.textures = torch.cat((self.textures, self.textures), dim=1)
            self._fill_back = True

    def reset_(self):
        """Back to the vertices, faces and textures given to the constructor."""
        self.vertices = self._origin_vertices
        self.faces = self._origin_faces
        self.textures = self._origin_textures
        self._fill_back = False

    # ------------------------------------------------------------------ files
    @classmethod
    def from_obj(cls, filename_obj, normalization=False, load_texture=False, texture_res=1, texture_type="surface"):
        """A batch of one mesh from a file (``functional.load_obj``)."""
        if load_texture:
            vertices, faces, textures = srf.load_obj(
                filename_obj,
                normalization=normalization,
                texture_res=texture_res,
                load_texture=True,
                texture_type=texture_type,
            )
        else:
            vertices, faces = srf.load_obj(
                filename_obj, normalization=normalization, texture_res=texture_res, load_texture=False
            )
            textures = None
        return cls(vertices, faces, textures, texture_res, texture_type)

    def save_obj(self, filename_obj, save_texture=False, texture_res_out=16):
        """Write the (single) mesh; with ``save_texture``, its textures too (``functional.save_obj``)."""
        if self.batch_size != 1:
            raise ValueError("Could not save when batch size >= 1")
        if save_texture:
            srf.save_obj(
                filename_obj,
                self.vertices[0],
                self.faces[0],
                textures=self.textures[0],
                texture_res=texture_res_out,
                texture_type=self.texture_type,
            )
        else:
            srf.save_obj(filename_obj, self.vertices[0], self.faces[0], textures=None)

    def voxelize(self, voxel_size=32):
        """(N, R, R, R) int32 occupancy: SoftRas maps v to v R / (R - 1) + 1/2 of the
        grid, then ``functional.voxelization``."""
        face_vertices_norm = self.face_vertices * voxel_size / (voxel_size - 1) + 0.5
        return srf.voxelization(face_vertices_norm, voxel_size, False)

    # ------------------------------------------------------------------ native bridge
    def to_native(self) -> NativeMesh:
        """The same meshes as a ``softrecon.structures.Mesh`` (textures as 'texture' or
        'vertex' colours). Not part of SoftRas: for porting to the native API."""
        mode = "texture" if self.texture_type == "surface" else "vertex"
        return NativeMesh(self.vertices, self.faces.long(), self.textures.to(self.vertices.dtype), color_mode=mode)
