"""SoftRas' ``soft_renderer.functional`` (``srf``), on top of softrecon.

Same names, positional signatures and defaults as SoftRas 1.0.0 (github.com/
ShichenLiu/SoftRas, ``soft_renderer/functional/*.py``); CPU and CUDA, float32 and
float64. Each function says what it reuses and where it departs from SoftRas.

Shape symbols: N batch, V vertices, F faces, R texture or voxel resolution, S image size.
"""

from __future__ import annotations

import math
import os
from typing import Optional

import numpy as np
import torch

from ...geometry.faces import gather_face_attributes
from ...geometry.normals import vertex_normals as _vertex_normals
from ...io import MeshLoadError, bake_surface_textures, normalize_to_unit_box, read_mesh_arrays, save_textured_obj
from ...io import save_obj as _save_obj
from ...io.texture_atlas import DEFAULT_TEXEL_PIXELS
from ...renderer.cameras import OrthographicCamera, PerspectiveCamera, eye_from_spherical, look_along, look_at_rotation
from ...renderer.nmr.settings import NmrSettings
from ...renderer.rasterize import soft_rasterize as _soft_rasterize
from ...renderer.settings import RasterSettings
from ...voxel import voxelize
from ...voxel.convention import array_to_xyz_grid, from_grid_coordinates
from ._convert import as_float_tensor, default_device

__all__ = [
    "ambient_lighting",
    "directional_lighting",
    "face_vertices",
    "get_points_from_angles",
    "load_obj",
    "look",
    "look_at",
    "orthogonal",
    "perspective",
    "projection",
    "save_obj",
    "save_voxel",
    "soft_rasterize",
    "vertex_normals",
    "voxelization",
]

# SoftRas' kernel starts its running softmax at sum = exp(eps / gamma) with the running
# maximum at eps, i.e. in absolute terms a background weight exp(eps / gamma) *
# exp(eps / gamma) = exp(2 eps / gamma) (soft_rasterize_cuda_kernel.cu, lines 333-334);
# softrecon's RasterSettings.background_eps is the exponent of w_b itself.
SOFTRAS_BACKGROUND_EPS_FACTOR = 2.0
# SoftRas' projection(): x / (z + 1e-5), a fixed guard against z = 0.
PROJECTION_Z_GUARD = 1e-5


# ----------------------------------------------------------------------------- cameras
def get_points_from_angles(distance, elevation, azimuth, degrees=True):
    """Camera positions on a sphere: (d cos(el) sin(az), d sin(el), -d cos(el) cos(az)).

    As SoftRas: Python numbers give a tuple of three floats, tensors a (N, 3) tensor.
    Computed by ``softrecon.renderer.eye_from_spherical`` (angles in degrees; with
    ``degrees=False`` they are radians and converted first).
    """
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (distance, elevation, azimuth))
    if numbers:
        if not degrees:
            elevation, azimuth = math.degrees(elevation), math.degrees(azimuth)
        eye = eye_from_spherical(float(distance), float(elevation), float(azimuth), dtype=torch.float64)[0]
        return tuple(float(v) for v in eye)
    like = next((v for v in (distance, elevation, azimuth) if isinstance(v, torch.Tensor)), None)
    if like is not None and not like.dtype.is_floating_point:
        like = like.float()
    # SoftRas' recon code mixes tensors and numpy arrays (azimuth = -view_ids * 15)
    distance, elevation, azimuth = (
        as_float_tensor(v, name, like)
        for v, name in ((distance, "distance"), (elevation, "elevation"), (azimuth, "azimuth"))
    )
    if not degrees:
        elevation, azimuth = torch.rad2deg(elevation), torch.rad2deg(azimuth)
    return eye_from_spherical(distance, elevation, azimuth)


def _check_vertices(vertices) -> None:
    if not isinstance(vertices, torch.Tensor) or vertices.ndimension() != 3:
        raise ValueError("vertices Tensor should have 3 dimensions")


def look_at(vertices, eye, at=[0, 0, 0], up=[0, 1, 0]):  # noqa: B006 (SoftRas' signature; never mutated)
    """ "Look at" transformation: camera coordinates R (v - eye) of cameras at ``eye``
    looking at ``at`` (z forward, x = cross(up, z), y = cross(z, x)).

    Args:
        vertices: (N, V, 3) world points.
        eye, at, up: (3,) or (N, 3) lists, tuples, numpy arrays or tensors.

    Returns:
        (N, V, 3) camera-frame points (z the depth). ``softrecon.renderer.look_at_rotation``
        builds R; unlike SoftRas (which normalizes with eps 1e-5 and returns garbage) an
        ``up`` parallel to the viewing direction or ``eye == at`` raises ValueError.
    """
    _check_vertices(vertices)
    eye = as_float_tensor(eye, "eye", vertices)
    rotation = look_at_rotation(eye, as_float_tensor(at, "at", vertices), as_float_tensor(up, "up", vertices))
    return _to_camera(vertices, rotation, eye)


def look(vertices, eye, direction=[0, 1, 0], up=None):  # noqa: B006
    """ "Look" transformation: camera coordinates of cameras at ``eye`` looking along
    ``direction``.

    SoftRas' ``look`` crashes with its default ``up=None`` (``up.ndimension()``); here
    ``up=None`` means (0, 1, 0), the up vector of ``look_at``, which is what the default
    documents. ``softrecon.renderer.look_along`` builds the rotation.

    Args:
        vertices: (N, V, 3); eye, direction, up: (3,) or (N, 3).
    """
    _check_vertices(vertices)
    eye = as_float_tensor(eye, "eye", vertices)
    up = [0.0, 1.0, 0.0] if up is None else up
    rotation = look_along(as_float_tensor(direction, "direction", vertices), eye, as_float_tensor(up, "up", vertices))
    return _to_camera(vertices, rotation, eye)


def _to_camera(vertices: torch.Tensor, rotation: torch.Tensor, eye: torch.Tensor) -> torch.Tensor:
    """R (v - eye): (N, V, 3) vertices, (N or 1, 3, 3) rotations, (3,) or (N, 3) eyes."""
    eye = eye if eye.dim() == 2 else eye[None]
    return torch.matmul(vertices - eye[:, None, :], rotation.transpose(-1, -2))


def _identity(vertices: torch.Tensor) -> torch.Tensor:
    return torch.eye(3, dtype=vertices.dtype, device=vertices.device)


def perspective(vertices, angle=30.0):
    """Perspective division of camera-frame points: (x / (z tan a), y / (z tan a), z),
    ``angle`` a the viewing half-angle in degrees (``PerspectiveCamera.project``).

    Args:
        vertices: (N, V, 3) camera-frame points. Returns (N, V, 3) screen space.
    """
    _check_vertices(vertices)
    return PerspectiveCamera(_identity(vertices), vertices.new_zeros(3), float(angle)).project(vertices)


def orthogonal(vertices, scale):
    """Orthographic projection of camera-frame points: (x scale, y scale, z)
    (``OrthographicCamera.project``). For the perspective-equivalent scale, use
    1 / (object depth * tan(half angle))."""
    _check_vertices(vertices)
    return OrthographicCamera(_identity(vertices), vertices.new_zeros(3), float(scale)).project(vertices)


def projection(vertices, P, dist_coeffs, orig_size):
    """Projection by a 3 x 4 matrix with OpenCV lens distortion, in SoftRas' pixel convention.

    (x, y, z) = P [v; 1]; x' = x / (z + 1e-5), y' = y / (z + 1e-5); radial (k1, k2, k3)
    and tangential (p1, p2) distortion:
    x'' = x' (1 + k1 r^2 + k2 r^4 + k3 r^6) + 2 p1 x' y' + p2 (r^2 + 2 x'^2),
    y'' = y' (1 + k1 r^2 + k2 r^4 + k3 r^6) + p1 (r^2 + 2 y'^2) + 2 p2 x' y';
    then NDC = 2 (x'' - orig_size / 2) / orig_size (same for y), depth z.

    Pixel convention: a pixel coordinate u maps to NDC (2 u - S) / S, so pixel column c
    has its centre at u = c + 1/2 (not at the integer c as OpenCV's K assumes;
    ``softrecon.renderer.ProjectionCamera.from_opencv`` uses integer centres), and y is
    NOT flipped: the rasterizer draws y up, so an image row v (down in OpenCV) lands
    upside down compared with the photograph. Written here because softrecon's
    ``ProjectionCamera`` has no lens distortion.

    Args:
        vertices: (N, V, 3) world points.
        P: (N, 3, 4) projection matrices (pixels of an orig_size image).
        dist_coeffs: (N, 5) (k1, k2, p1, p2, k3).
        orig_size: the image size S that P refers to.

    Returns:
        (N, V, 3) screen space.
    """
    _check_vertices(vertices)
    P = as_float_tensor(P, "P", vertices)
    dist_coeffs = as_float_tensor(dist_coeffs, "dist_coeffs", vertices)
    if P.dim() == 2:
        P = P[None]
    if P.dim() != 3 or P.shape[1:] != (3, 4):
        raise ValueError(f"P must have shape (N, 3, 4), got {tuple(P.shape)}")
    if dist_coeffs.dim() == 1:
        dist_coeffs = dist_coeffs[None]
    if dist_coeffs.dim() != 2 or dist_coeffs.shape[1] != 5:
        raise ValueError(f"dist_coeffs must have shape (N, 5), got {tuple(dist_coeffs.shape)}")
    homogeneous = torch.cat([vertices, torch.ones_like(vertices[:, :, :1])], dim=-1)
    x, y, z = torch.matmul(homogeneous, P.transpose(2, 1)).unbind(-1)
    x_ = x / (z + PROJECTION_Z_GUARD)
    y_ = y / (z + PROJECTION_Z_GUARD)
    k1, k2, p1, p2, k3 = (dist_coeffs[:, None, k] for k in range(5))
    r2 = x_**2 + y_**2
    radial = 1 + k1 * r2 + k2 * r2**2 + k3 * r2**3
    x__ = x_ * radial + 2 * p1 * x_ * y_ + p2 * (r2 + 2 * x_**2)
    y__ = y_ * radial + p1 * (r2 + 2 * y_**2) + 2 * p2 * x_ * y_
    x__ = 2 * (x__ - orig_size / 2.0) / orig_size
    y__ = 2 * (y__ - orig_size / 2.0) / orig_size
    return torch.stack([x__, y__, z], dim=-1)


# ----------------------------------------------------------------------------- meshes
def _check_batched(vertices, faces) -> None:
    if not isinstance(vertices, torch.Tensor) or vertices.dim() != 3 or vertices.shape[2] != 3:
        raise ValueError(f"vertices must have shape (N, V, 3), got {getattr(vertices, 'shape', type(vertices))}")
    if not isinstance(faces, torch.Tensor) or faces.dim() != 3 or faces.shape[2] != 3:
        raise ValueError(f"faces must have shape (N, F, 3), got {getattr(faces, 'shape', type(faces))}")
    if vertices.shape[0] != faces.shape[0]:
        raise ValueError(
            f"vertices and faces must have the same batch size, got {vertices.shape[0]} and {faces.shape[0]}"
        )


def face_vertices(vertices, faces):
    """(N, V, D) per-vertex values, (N, F, 3) faces -> (N, F, 3, D) per-corner values
    (``softrecon.geometry.faces.gather_face_attributes``). SoftRas uses it for positions
    (D = 3) and for per-vertex colours."""
    if not isinstance(vertices, torch.Tensor) or vertices.dim() != 3:
        raise ValueError(f"vertices must have shape (N, V, D), got {getattr(vertices, 'shape', type(vertices))}")
    if (
        not isinstance(faces, torch.Tensor)
        or faces.dim() != 3
        or faces.shape[2] != 3
        or faces.shape[0] != vertices.shape[0]
    ):
        raise ValueError(
            f"faces must have shape (N, F, 3) with N = {vertices.shape[0]}, got {getattr(faces, 'shape', type(faces))}"
        )
    return gather_face_attributes(vertices, faces.long())


def vertex_normals(vertices, faces):
    """(N, V, 3) area-weighted unit vertex normals (``softrecon.geometry.vertex_normals``).

    Same as SoftRas except for vertices whose summed normal is shorter than 1e-6:
    SoftRas divides by 1e-6 there (a short, non-unit normal), softrecon returns the unit
    normal (0 only below 1e-12).
    """
    _check_batched(vertices, faces)
    return _vertex_normals(vertices, faces.long())


# ----------------------------------------------------------------------------- lighting
def _light_vector(value, name, light):
    """(1 or N, 3) colour or direction from a sequence, numpy array or tensor."""
    tensor = as_float_tensor(value, name, light)
    return tensor[None] if tensor.dim() == 1 else tensor


def ambient_lighting(light, light_intensity=0.5, light_color=(1, 1, 1)):
    """Add ambient light in place: light += intensity * color. light: (N, K, 3), updated
    and returned (SoftRas' in-place semantics). ``light_color``: (3,) or (N, 3).

    Written here rather than through ``softrecon.renderer.Lighting`` because SoftRas
    takes per-mesh (N, 3) colours and tensors, which ``Lighting`` (one light) does not."""
    light += light_intensity * _light_vector(light_color, "light_color", light)[:, None, :]
    return light


def directional_lighting(light, normals, light_intensity=0.5, light_color=(1, 1, 1), light_direction=(0, 1, 0)):
    """Add directional light in place: light += intensity * color * max(0, n . d).

    As SoftRas, ``light_direction`` is NOT normalized (softrecon's ``Lighting`` normalizes
    it: the two agree for unit directions, which the defaults are).

    Args:
        light: (N, K, 3) accumulated light, updated and returned.
        normals: (N, K, 3) unit normals (world frame).
        light_color, light_direction: (3,) or (N, 3).
    """
    color = _light_vector(light_color, "light_color", light)
    direction = _light_vector(light_direction, "light_direction", light)
    cosine = torch.relu((normals * direction[:, None, :]).sum(2))
    light += light_intensity * (color[:, None, :] * cosine[:, :, None])
    return light


# ----------------------------------------------------------------------------- rasterizer
# The rasterizers a compat renderer may use: SoftRas' own, or NMR (Kato et al. 2018).
RENDERERS = ("softras", "nmr")


def soft_rasterize(
    face_vertices,
    textures,
    image_size=256,
    background_color=[0, 0, 0],  # noqa: B006
    near=1,
    far=100,
    fill_back=True,
    eps=1e-3,
    sigma_val=1e-5,
    dist_func="euclidean",
    dist_eps=1e-4,
    gamma_val=1e-4,
    aggr_func_rgb="softmax",
    aggr_func_alpha="prod",
    texture_type="surface",
    *,
    renderer="softras",
):
    """SoftRas' soft rasterizer, with its positional signature, on softrecon's
    ``soft_rasterize`` (any device; the compiled kernel where built, else the reference).

    Args:
        face_vertices: (N, F, 3, 3) screen space (x, y NDC, z depth), float32/float64.
        textures: (N, F, R * R, 3) surface textures (``texture_type='surface'``) or
            (N, F, 3, 3) per-corner colours ('vertex'); None renders alpha only (the
            colour channels are then the background).
        image_size: S, for an S x S image.
        fill_back: colour back-facing faces too (softrecon's ``double_sided``).
        eps: SoftRas' background term: its kernel weighs the background by
            exp(2 eps / gamma), which is what this computes (softrecon's background_eps = 2 eps).
        renderer: 'softras' (SoftRas' rasterizer) or 'nmr': the NMR renderer (Kato et al.
            2018; docs/METHOD.md section 9), a hard z-buffered image with NMR's
            approximate gradient; it ignores sigma_val, gamma_val, eps, dist_func,
            dist_eps and the aggregation functions. Not part of SoftRas (keyword only).
        Other arguments as SoftRas' (and ``RasterSettings``).

    Returns:
        (N, 4, S, S) RGBA.

    SoftRas' depth range [near, far] removes a face from the colour only; its alpha
    still counts faces at any depth. softrecon removes it from both, so when a vertex
    lies outside [near, far] the alpha channel is rendered a second time with the range
    opened to [0, max depth + 1] (the one case where the two differ: with every vertex
    inside the range, every interpolated depth is inside too).
    """
    if not isinstance(face_vertices, torch.Tensor):
        raise ValueError(f"face_vertices must be a torch.Tensor, got {type(face_vertices).__name__}")
    if texture_type not in ("surface", "vertex"):
        raise ValueError(f"texture_type must be 'surface' or 'vertex', got {texture_type!r}")
    if textures is not None:
        if not isinstance(textures, torch.Tensor) or textures.dim() != 4:
            raise ValueError(
                f"textures must be a (N, F, K, 3) tensor, got {getattr(textures, 'shape', type(textures))}"
            )
        samples = textures.shape[2]
        if texture_type == "vertex" and samples != 3:
            raise ValueError(f"texture_type='vertex' needs textures of shape (N, F, 3, 3), got {tuple(textures.shape)}")
        if texture_type == "surface" and math.isqrt(samples) ** 2 != samples:
            raise ValueError(
                f"texture_type='surface' needs textures of shape (N, F, R * R, 3), got {tuple(textures.shape)}"
            )
        textures = textures.to(face_vertices.dtype)
    settings = raster_settings(
        image_size,
        background_color,
        near,
        far,
        fill_back,
        eps,
        sigma_val,
        dist_func,
        dist_eps,
        gamma_val,
        aggr_func_rgb,
        aggr_func_alpha,
        renderer=renderer,
    )
    face_vertices = face_vertices.contiguous()
    if textures is None:
        alpha = _soft_rasterize(face_vertices, None, settings)
        background = face_vertices.new_tensor(settings.background).expand(3)[None, :, None, None]
        image = torch.cat(
            [background.expand(alpha.shape[0], -1, alpha.shape[2], alpha.shape[3]) + alpha * 0, alpha], dim=1
        )
    else:
        image = _soft_rasterize(face_vertices, textures.contiguous(), settings)
    depth = face_vertices[..., 2]
    if depth.numel() and bool(((depth < settings.near) | (depth > settings.far)).any()):
        open_range = settings.replace(near=0.0, far=max(settings.far, float(depth.detach().max()) + 1.0))
        image = torch.cat([image[:, :3], _soft_rasterize(face_vertices, None, open_range)], dim=1)
    return image


def raster_settings(
    image_size=256,
    background_color=(0, 0, 0),
    near=1,
    far=100,
    fill_back=True,
    eps=1e-3,
    sigma_val=1e-5,
    dist_func="euclidean",
    dist_eps=1e-4,
    gamma_val=1e-4,
    aggr_func_rgb="softmax",
    aggr_func_alpha="prod",
    *,
    renderer="softras",
) -> RasterSettings:
    """The native ``RasterSettings`` equivalent to SoftRas' rasterizer arguments (the
    one place where SoftRas' eps is doubled, see ``SOFTRAS_BACKGROUND_EPS_FACTOR``);
    ``NmrSettings`` for ``renderer='nmr'``. Not part of SoftRas: for porting code to the
    native API."""
    if renderer not in RENDERERS:
        raise ValueError(f"renderer must be one of {RENDERERS}, got {renderer!r}")
    if isinstance(background_color, torch.Tensor):
        background_color = background_color.detach().cpu().tolist()
    settings_class = NmrSettings if renderer == "nmr" else RasterSettings
    return settings_class(
        image_size=int(image_size),
        sigma=sigma_val,
        gamma=gamma_val,
        dist_eps=dist_eps,
        near=near,
        far=far,
        background_eps=SOFTRAS_BACKGROUND_EPS_FACTOR * float(eps),
        background=tuple(background_color),
        dist_func=dist_func,
        aggr_alpha=aggr_func_alpha,
        aggr_rgb=aggr_func_rgb,
        double_sided=bool(fill_back),
    )


# ----------------------------------------------------------------------------- files
def load_obj(filename_obj, normalization=False, load_texture=False, texture_res=4, texture_type="surface"):
    """Load a mesh file (.obj, also .ply) with ``softrecon.io``.

    Returns ``(vertices (V, 3) float32, faces (F, 3) int32)``, plus ``textures`` when
    ``load_texture``: (F, R * R, 3) surface textures baked from the .mtl's ``map_Kd``
    times Kd (``bake_surface_textures``; flat Kd for faces without a texture, white
    without a material) for 'surface', or (V, 3) per-vertex colours for 'vertex': those
    of ``v x y z r g b`` lines as SoftRas, or else (where SoftRas fails) the material
    colours sampled at the vertices, as ``softrecon.io.read_obj`` gives them. Tensors go to ``default_device()`` (SoftRas: always CUDA).

    ``normalization`` centres the bounding box and scales its longest side to [-1, 1]
    (2 x ``softrecon.io.normalize_to_unit_box``), as SoftRas.

    Texture baking samples bilinearly at each texel's centroid as SoftRas does, but
    with pixel centres at half-integers and wrapping UVs (SoftRas: u (W - 1), no wrap):
    the baked colours differ from SoftRas' by up to half a texture pixel's blur.

    Raises:
        MeshLoadError (a ValueError) naming the file: unreadable, no faces, or
        ``load_texture`` without the colours asked for.
    """
    if texture_type not in ("surface", "vertex"):
        raise ValueError(f"texture_type must be 'surface' or 'vertex', got {texture_type!r}")
    path = os.fspath(filename_obj)
    raw = read_mesh_arrays(path)
    device = default_device()
    vertices = torch.as_tensor(raw.vertices, dtype=torch.float32)
    if normalization:
        vertices = 2.0 * normalize_to_unit_box(vertices)
    vertices = vertices.to(device)
    faces = torch.as_tensor(raw.faces.astype(np.int32), device=device)
    if not load_texture:
        return vertices, faces
    if texture_type == "vertex":
        if raw.colors is None:
            raise MeshLoadError(
                path,
                "load_texture=True with texture_type='vertex' needs per-vertex colours ('v x y z r g b' lines) or a material",
            )
        return vertices, faces, torch.as_tensor(raw.colors, dtype=torch.float32, device=device)
    textures = bake_surface_textures(raw, int(texture_res))
    if textures is None:
        textures = _flat_material_textures(raw, int(texture_res))
    if textures is None:
        raise MeshLoadError(
            path,
            "load_texture=True with texture_type='surface' needs a material (mtllib/usemtl); SoftRas: 'Failed to load textures.'",
        )
    return vertices, faces, textures.to(dtype=torch.float32, device=device)


def _flat_material_textures(raw, resolution: int) -> Optional[torch.Tensor]:
    """(F, R * R, 3) flat Kd textures of a file with materials but no texture image
    (``bake_surface_textures`` returns None then); None without materials."""
    if raw.materials is None or raw.face_material_indices is None:
        return None
    table = torch.tensor(np.array([m.diffuse for m in raw.materials] + [np.ones(3)], dtype=np.float64))
    colors = table[torch.as_tensor(raw.face_material_indices)]  # index -1: the white row
    return colors[:, None, :].expand(-1, resolution * resolution, -1).contiguous()


def save_obj(filename, vertices, faces, textures=None, texture_res=16, texture_type="surface"):
    """Write an .obj (atomically, ``softrecon.io``).

    Args:
        filename: the .obj path.
        vertices: (V, 3); faces: (F, 3).
        textures: None, (F, R * R, 3) surface textures ('surface': written as a PNG
            atlas + .mtl beside the .obj by ``save_textured_obj``) or (V, 3) colours
            ('vertex': ``v x y z r g b`` lines).
        texture_res: SoftRas' atlas pixels per face; here each texel gets
            max(8, ceil(texture_res / R)) pixels, which keeps the round trip through
            ``load_obj`` exact (SoftRas' 16-pixel cells blur texels together).
    """
    if texture_type not in ("surface", "vertex"):
        raise ValueError(f"texture_type must be 'surface' or 'vertex', got {texture_type!r}")
    if textures is None:
        _save_obj(filename, vertices, faces)
    elif texture_type == "vertex":
        _save_obj(filename, vertices, faces, colors=textures)
    else:
        resolution = max(1, math.isqrt(int(textures.shape[1])))
        texel_pixels = max(DEFAULT_TEXEL_PIXELS, -(-int(texture_res) // resolution))
        save_textured_obj(filename, vertices, faces, textures, texel_pixels=texel_pixels)


def save_voxel(filename, voxel):
    """Write the occupied cells of a (R, R, R) grid as OBJ vertices (i / R, j / R, k / R),
    without faces, as SoftRas."""
    occupied = np.argwhere(np.asarray(voxel.detach().cpu() if isinstance(voxel, torch.Tensor) else voxel) == 1)
    vertices = occupied.astype(np.float64) / np.asarray(np.shape(voxel), dtype=np.float64)
    _save_obj(filename, vertices.reshape(-1, 3), np.zeros((0, 3), dtype=np.int64))


def voxelization(faces, size, normalize=False):
    """Occupancy of triangle soups, as SoftRas' ``voxelization`` (surface + filled interior).

    Args:
        faces: (N, F, 3, 3) face vertices. With ``normalize=False`` (default) in [0, 1]
            per axis, scaled by ``size`` to grid units; with ``normalize=True`` already
            in grid units [0, size]. Cell k of an axis spans [k, k + 1) grid units.
        size: R.

    Returns:
        (N, R, R, R) int32 on ``faces``' device, indexed [k0, k1, k2] by the cells of
        the three input coordinates (SoftRas' layout), 1 = occupied.

    Computed by ``softrecon.voxel.voxelize(surface='softras', fill='flood')``: SoftRas'
    surface cells (rays along the grid lines, the four cells around each hit, the
    vertex cells), and every cell not connected to the outside. SoftRas fills by
    repeatedly growing the visible region, which gives the same cells on closed
    surfaces.
    """
    if not isinstance(faces, torch.Tensor) or faces.dim() != 4 or faces.shape[2:] != (3, 3):
        raise ValueError(f"faces must be (N, F, 3, 3) face vertices, got {getattr(faces, 'shape', type(faces))}")
    size = int(size)
    grid = faces.detach().double().cpu().numpy() * (1.0 if normalize else size)
    out = np.zeros((faces.shape[0], size, size, size), dtype=np.int32)
    corner_faces = np.arange(3 * faces.shape[1], dtype=np.int64).reshape(-1, 3)
    for n in range(faces.shape[0]):
        points = from_grid_coordinates(grid[n].reshape(-1, 3), size)  # voxelize's object frame
        out[n] = array_to_xyz_grid(voxelize(points, corner_faces, size, fill="flood", surface="softras"))
    return torch.from_numpy(out).to(faces.device)
