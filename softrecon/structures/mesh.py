"""``Mesh``: a batch of triangle meshes with optional per-vertex or per-face colours, or
per-face R x R surface textures.

Shape symbols: N batch, V vertices, F faces, C colour channels, R surface texture
resolution.

Colour modes (``Mesh.color_mode``), told apart by the shape of ``colors``:

- 'vertex': (N, V, C), interpolated over each face;
- 'face': (N, F, C), one flat colour per face;
- 'texture': (N, F, R * R, C), an R x R "surface" texture per face (SoftRas'
  ``texture_type='surface'``; texel layout in ``softrecon.structures.textures``, baked
  from a UV texture map by ``bake_uv_texture`` or ``softrecon.io.load_mesh``). A 4-D
  ``colors`` is always a texture, a 3-D one per-vertex or per-face.

Meshes of different sizes are batched by padding (``Mesh.from_list``): extra vertices
are zeros and extra faces are all-zero index triples (0, 0, 0). A padding face is
degenerate (zero area), so the rasterizer ignores it and it adds nothing to normals.
"""

from __future__ import annotations

import math
from typing import Optional, Sequence, Tuple, Union

import torch

from ..geometry.faces import check_faces, gather_face_attributes
from ..geometry.normals import face_normals, vertex_normals

COLOR_MODES = ("vertex", "face", "texture")


class Mesh:
    """A batch of N triangle meshes sharing the padded sizes V and F.

    Attributes:
        vertices: (N, V, 3) float32/float64 positions (object/world frame).
        faces: (N, F, 3) int64 indices into V (a (F, 3) input is expanded, not copied).
        colors: None, or (N, V, C) per-vertex colours, (N, F, C) per-face colours or
            (N, F, R * R, C) surface textures, same dtype and device as ``vertices``.
        color_mode: None (no colours), 'vertex', 'face' or 'texture'.
        verts_per_mesh, faces_per_mesh: (N,) int64 counts of real (unpadded) vertices
            and faces; V and F for meshes not built with ``from_list``.
    """

    def __init__(
        self,
        vertices: torch.Tensor,
        faces: torch.Tensor,
        colors: Optional[torch.Tensor] = None,
        color_mode: Optional[str] = None,
        verts_per_mesh: Optional[torch.Tensor] = None,
        faces_per_mesh: Optional[torch.Tensor] = None,
        validate: bool = True,
    ) -> None:
        """Args:
        vertices: (N, V, 3) float32 or float64.
        faces: (F, 3) shared by all meshes, or (N, F, 3); int64.
        colors: None, (N, V, C) per-vertex colours, (N, F, C) per-face colours or
            (N, F, R * R, C) per-face R x R surface textures (R >= 1).
        color_mode: 'vertex' | 'face' | 'texture'; inferred from the shape of ``colors``
            when None (4-D: 'texture'), and required for 3-D colours when V == F
            (ambiguous).
        verts_per_mesh, faces_per_mesh: (N,) counts of real vertices/faces (padding
            bookkeeping; default: all V and F).
        validate: check that vertices and colours are finite and face indices in range
            (one device synchronization; switch off in tight loops on trusted data).
        """
        if not isinstance(vertices, torch.Tensor) or vertices.dim() != 3 or vertices.shape[-1] != 3:
            raise ValueError(f"vertices must be a (N, V, 3) tensor, got {getattr(vertices, 'shape', type(vertices))}")
        if vertices.dtype not in (torch.float32, torch.float64):
            raise ValueError(f"vertices must be float32 or float64, got {vertices.dtype}")
        check_faces(faces)
        n, num_vertices = vertices.shape[:2]
        if faces.dim() == 2:
            faces = faces[None].expand(n, -1, -1)
        if faces.shape[0] != n:
            raise ValueError(f"faces must have batch size {n} (that of vertices), got {tuple(faces.shape)}")
        if faces.device != vertices.device:
            raise ValueError(f"faces must be on the device of vertices ({vertices.device}), got {faces.device}")
        self.vertices = vertices
        self.faces = faces
        self.colors, self.color_mode = _check_colors(colors, color_mode, n, num_vertices, faces.shape[1], vertices)
        self.verts_per_mesh = _check_counts(verts_per_mesh, "verts_per_mesh", n, num_vertices, vertices.device)
        self.faces_per_mesh = _check_counts(faces_per_mesh, "faces_per_mesh", n, faces.shape[1], vertices.device)
        if validate:
            self.validate()

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_list(
        cls,
        meshes: Sequence[
            Union[Tuple[torch.Tensor, torch.Tensor], Tuple[torch.Tensor, torch.Tensor, Optional[torch.Tensor]]]
        ],
        color_mode: Optional[str] = None,
    ) -> "Mesh":
        """Batch meshes of different sizes by padding to the largest V and F.

        Args:
            meshes: a non-empty sequence of (vertices (V_i, 3), faces (F_i, 3)) or
                (vertices, faces, colors) with colors None, (V_i, C), (F_i, C) or
                (F_i, R * R, C) surface textures. All meshes have colours, or none has;
                all colours are of one mode, with the same C (and R); all share dtype and
                device.
            color_mode: as in ``Mesh``; when None it is inferred from each mesh.

        Returns:
            A Mesh with zero padding vertices, (0, 0, 0) padding faces and zero padding
            colours (all-zero textures for padding faces), and ``verts_per_mesh`` /
            ``faces_per_mesh`` set.
        """
        if isinstance(meshes, (str, bytes)) or not isinstance(meshes, Sequence) or len(meshes) == 0:
            raise ValueError("meshes must be a non-empty sequence of (vertices, faces[, colors]) tuples")
        parts = []
        for i, item in enumerate(meshes):
            if not isinstance(item, (tuple, list)) or len(item) not in (2, 3):
                raise ValueError(f"meshes[{i}] must be a (vertices, faces) or (vertices, faces, colors) tuple")
            vertices, faces = item[0], item[1]
            colors = item[2] if len(item) == 3 else None
            if not isinstance(vertices, torch.Tensor) or vertices.dim() != 2 or vertices.shape[-1] != 3:
                raise ValueError(
                    f"meshes[{i}] vertices must be a (V, 3) tensor, got {getattr(vertices, 'shape', None)}"
                )
            check_faces(faces, f"meshes[{i}] faces")
            if faces.dim() != 2:
                raise ValueError(f"meshes[{i}] faces must be (F, 3), got {tuple(faces.shape)}")
            parts.append((vertices, faces, colors))
        has_colors = [c is not None for _, _, c in parts]
        if any(has_colors) and not all(has_colors):
            raise ValueError("meshes: either every mesh has colors or none has")
        first = parts[0][0]
        num_vertices = max(v.shape[0] for v, _, _ in parts)
        num_faces = max(f.shape[0] for _, f, _ in parts)
        vertices = first.new_zeros(len(parts), num_vertices, 3)
        faces = torch.zeros(len(parts), num_faces, 3, dtype=torch.int64, device=first.device)
        for i, (v, f, _) in enumerate(parts):
            if v.dtype != first.dtype or v.device != first.device:
                raise ValueError(
                    f"meshes[{i}] vertices must have dtype {first.dtype} and device {first.device} like meshes[0]"
                )
            vertices[i, : v.shape[0]] = v
            faces[i, : f.shape[0]] = f.to(first.device)
        colors, mode = None, None
        if all(has_colors):
            modes = set()
            for i, (v, f, c) in enumerate(parts):
                _, m = _check_colors(
                    c[None] if isinstance(c, torch.Tensor) else c,
                    color_mode,
                    1,
                    v.shape[0],
                    f.shape[0],
                    first,
                    f"meshes[{i}] colors",
                )
                modes.add(m)
            if len(modes) != 1:
                raise ValueError(
                    f"meshes: all colors must be of one mode (all per-vertex, per-face or textures), got {sorted(modes)}"
                )
            mode = modes.pop()
            num_channels = {c.shape[-1] for _, _, c in parts}
            if len(num_channels) != 1:
                raise ValueError(
                    f"meshes: all colors must have the same number of channels, got {sorted(num_channels)}"
                )
            rows = num_vertices if mode == "vertex" else num_faces
            samples_per_face = {tuple(c.shape[1:-1]) for _, _, c in parts}  # {()} or {(R * R,)}
            if len(samples_per_face) != 1:
                raise ValueError(
                    f"meshes: all surface textures must have the same R * R texels per face, got {sorted(s[0] for s in samples_per_face)}"
                )
            colors = first.new_zeros(len(parts), rows, *samples_per_face.pop(), num_channels.pop())
            for i, (_, _, c) in enumerate(parts):
                colors[i, : c.shape[0]] = c
        counts = lambda sizes: torch.tensor(sizes, dtype=torch.int64, device=first.device)  # noqa: E731
        return cls(
            vertices,
            faces,
            colors,
            mode,
            verts_per_mesh=counts([v.shape[0] for v, _, _ in parts]),
            faces_per_mesh=counts([f.shape[0] for _, f, _ in parts]),
        )

    def validate(self) -> None:
        """Raise ValueError on non-finite vertices/colours or out-of-range face indices."""
        if not torch.isfinite(self.vertices).all():
            raise ValueError("vertices contains NaN or inf")
        if self.faces.numel() and (self.faces.min() < 0 or self.faces.max() >= self.vertices.shape[1]):
            raise ValueError(
                f"faces indices must be in [0, {self.vertices.shape[1]}) (V = {self.vertices.shape[1]}), "
                f"got min {int(self.faces.min())}, max {int(self.faces.max())}"
            )
        if self.colors is not None and not torch.isfinite(self.colors).all():
            raise ValueError("colors contains NaN or inf")

    # ------------------------------------------------------------------ sizes
    @property
    def num_meshes(self) -> int:
        return self.vertices.shape[0]

    @property
    def num_vertices(self) -> int:
        """The padded V."""
        return self.vertices.shape[1]

    @property
    def num_faces(self) -> int:
        """The padded F."""
        return self.faces.shape[1]

    @property
    def dtype(self) -> torch.dtype:
        return self.vertices.dtype

    @property
    def device(self) -> torch.device:
        return self.vertices.device

    @property
    def texture_resolution(self) -> Optional[int]:
        """R of the surface textures in 'texture' mode; None in the other modes."""
        if self.color_mode != "texture":
            return None
        return math.isqrt(self.colors.shape[2])

    # ------------------------------------------------------------------ derived tensors
    def face_vertices(self, vertices: Optional[torch.Tensor] = None) -> torch.Tensor:
        """(N, F, 3, 3) the three corners of every face.

        Args:
            vertices: None (this mesh's vertices) or (N, V, 3) / (1, V, 3) transformed
                vertices with the same V, e.g. projected to screen space by a camera.
        """
        vertices = self.vertices if vertices is None else vertices
        if not isinstance(vertices, torch.Tensor) or vertices.dim() != 3 or vertices.shape[1] != self.num_vertices:
            raise ValueError(
                f"vertices must be a (N, {self.num_vertices}, 3) tensor, got {getattr(vertices, 'shape', None)}"
            )
        return gather_face_attributes(vertices, self.faces)

    def face_colors(self, colors: Optional[torch.Tensor] = None) -> Optional[torch.Tensor]:
        """Colours per face as ``soft_rasterize`` takes them, or None for a mesh without colours.

        Returns (N, F, 3, C) per-corner colours in the 'vertex' and 'face' modes
        (per-face colours repeated on the three corners; per-vertex colours gathered),
        and the (N, F, R * R, C) surface textures themselves in 'texture' mode.

        Args:
            colors: None (this mesh's colours) or replacement colours of the same layout
                (``color_mode``), e.g. shaded by a ``Lighting``; for a mesh without
                colours, replacement colours are taken as per-vertex (N, V, C).
        """
        colors = self.colors if colors is None else colors
        if colors is None:
            return None
        if self.color_mode == "texture":
            return colors
        if self.color_mode == "face":
            return colors[:, :, None, :].expand(-1, -1, 3, -1)
        return gather_face_attributes(colors, self.faces)

    def face_normals(self) -> torch.Tensor:
        """(N, F, 3) unit face normals (0 for degenerate and padding faces)."""
        return face_normals(self.vertices, self.faces)

    def vertex_normals(self) -> torch.Tensor:
        """(N, V, 3) area-weighted unit vertex normals (0 for unused vertices)."""
        return vertex_normals(self.vertices, self.faces)

    # ------------------------------------------------------------------ copies
    def update_vertices(self, vertices: torch.Tensor) -> "Mesh":
        """A mesh with new (N, V, 3) vertices (e.g. deformed), the same faces and colours."""
        return Mesh(
            vertices, self.faces, self.colors, self.color_mode, self.verts_per_mesh, self.faces_per_mesh, validate=False
        )

    def to(self, device: Optional[Union[str, torch.device]] = None, dtype: Optional[torch.dtype] = None) -> "Mesh":
        """A copy on ``device`` with floating tensors cast to ``dtype`` (faces stay int64)."""
        if dtype is not None and dtype not in (torch.float32, torch.float64):
            raise ValueError(f"dtype must be float32 or float64, got {dtype}")
        move = lambda t: None if t is None else t.to(device=device, dtype=dtype)  # noqa: E731
        return Mesh(
            move(self.vertices),
            self.faces.to(device=device),
            move(self.colors),
            self.color_mode,
            self.verts_per_mesh.to(device=device),
            self.faces_per_mesh.to(device=device),
            validate=False,
        )

    def __len__(self) -> int:
        return self.num_meshes

    def __repr__(self) -> str:
        colors = "none" if self.colors is None else f"{self.color_mode} C={self.colors.shape[-1]}"
        if self.color_mode == "texture":
            colors += f" R={self.texture_resolution}"
        return f"Mesh(N={self.num_meshes}, V={self.num_vertices}, F={self.num_faces}, colors={colors}, {self.dtype}, {self.device})"


def _check_colors(colors, color_mode, n, num_vertices, num_faces, vertices, name="colors"):
    """Validate colours against the mesh; return (colors, color_mode)."""
    if color_mode is not None and color_mode not in COLOR_MODES:
        raise ValueError(f"color_mode must be one of {COLOR_MODES} or None, got {color_mode!r}")
    if colors is None:
        return None, None
    if isinstance(colors, torch.Tensor) and (colors.dim() == 4 or color_mode == "texture"):
        return _check_textures(colors, color_mode, n, num_faces, vertices, name), "texture"
    if not isinstance(colors, torch.Tensor) or colors.dim() != 3 or colors.shape[0] != n or colors.shape[2] < 1:
        raise ValueError(
            f"{name} must be a (N, V, C), (N, F, C) or (N, F, R * R, C) tensor with N = {n}, got {getattr(colors, 'shape', type(colors))}"
        )
    if colors.dtype != vertices.dtype or colors.device != vertices.device:
        raise ValueError(
            f"{name} must have the dtype and device of vertices ({vertices.dtype}, {vertices.device}), got {colors.dtype}, {colors.device}"
        )
    rows = colors.shape[1]
    if color_mode is None:
        if num_vertices == num_faces:
            raise ValueError(f"{name}: V == F == {num_vertices}, so pass color_mode='vertex' or 'face' explicitly")
        if rows == num_vertices:
            color_mode = "vertex"
        elif rows == num_faces:
            color_mode = "face"
    expected = {"vertex": num_vertices, "face": num_faces}.get(color_mode)
    if expected is None or rows != expected:
        raise ValueError(
            f"{name} must have {num_vertices} rows (per vertex) or {num_faces} rows (per face), got {tuple(colors.shape)} (color_mode={color_mode!r})"
        )
    return colors, color_mode


def _check_textures(colors, color_mode, n, num_faces, vertices, name):
    """Validate (N, F, R * R, C) surface textures against the mesh; return them."""
    if color_mode not in (None, "texture"):
        raise ValueError(
            f"{name} is 4-D, i.e. (N, F, R * R, C) surface textures, but color_mode={color_mode!r}; pass color_mode='texture' or None"
        )
    if colors.dim() != 4 or colors.shape[0] != n or colors.shape[1] != num_faces or colors.shape[3] < 1:
        raise ValueError(
            f"{name} must be (N, F, R * R, C) = ({n}, {num_faces}, R * R, C) surface textures in 'texture' mode, got {tuple(colors.shape)}"
        )
    samples_per_face = colors.shape[2]
    if samples_per_face < 1 or math.isqrt(samples_per_face) ** 2 != samples_per_face:
        raise ValueError(f"{name} must have R * R texels per face (R >= 1) in 'texture' mode, got {colors.shape[2]}")
    if colors.dtype != vertices.dtype or colors.device != vertices.device:
        raise ValueError(
            f"{name} must have the dtype and device of vertices ({vertices.dtype}, {vertices.device}), got {colors.dtype}, {colors.device}"
        )
    return colors


def _check_counts(counts, name, n, maximum, device):
    if counts is None:
        return torch.full((n,), maximum, dtype=torch.int64, device=device)
    if not isinstance(counts, torch.Tensor) or counts.shape != (n,) or counts.dtype != torch.int64:
        raise ValueError(
            f"{name} must be an int64 tensor of shape ({n},), got {getattr(counts, 'shape', type(counts))}"
        )
    if counts.numel() and (counts.min() < 0 or counts.max() > maximum):
        raise ValueError(f"{name} must lie in [0, {maximum}]")
    return counts.to(device)
