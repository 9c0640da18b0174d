"""Cameras: world/object frame -> camera frame -> screen space (docs/METHOD.md sections 1 and 5).

Shape symbols: N batch, V vertices.

Frames:
- world/object frame: y up; the benchmark objects lie in [-0.5, 0.5]^3.
- camera frame: ``R (v - eye)`` where the rows of R are the camera's x, y and z axes in
  world coordinates: z (forward) = normalize(at - eye), x = normalize(cross(up, z)),
  y = normalize(cross(z, x)). det R = +1. Points in front of the camera have z > 0.
- screen space (what ``soft_rasterize`` takes): x, y in NDC (x to the right of the
  image, y to its top, the short image side spanning [-1, 1]) and z the camera depth.

Handedness, worked out from these formulas: with up = +y and z forward, x = cross(up, z)
points to the viewer's LEFT, yet it is drawn to the right of the image. Images under
these cameras are therefore mirrored left-right relative to a physical pinhole camera
at the same place, and a mesh wound counter-clockwise seen from outside appears
CLOCKWISE on screen (negative signed area), which is what the rasterizer takes as
front-facing. Example (benchmark view 0: eye = (0, 2.732 sin 30, -2.732 cos 30), looking
at the origin): the camera x axis is world +x, so a point on the object's +x side lands
in the right half of the image, and a point above the origin (+y) in the top half.

Every camera holds a batch of Nc cameras and broadcasts against Nv vertex batches:
Nc == Nv, or either is 1; the result has max(Nc, Nv) entries.
"""

from __future__ import annotations

import functools
from typing import Optional, Sequence, Tuple, Union

import torch

from .. import protocol

Vector = Union[torch.Tensor, Sequence[float]]
Scalar = Union[torch.Tensor, float, Sequence[float]]

# The ShapeNet benchmark cameras (docs/METHOD.md section 5): their numbers live in
# softrecon.protocol; these names are the renderer's public aliases of them.
BENCHMARK_DISTANCE = protocol.CAMERA_DISTANCE  # camera distance from the origin
BENCHMARK_ELEVATION = protocol.ELEVATION  # degrees above the xz plane
BENCHMARK_AZIMUTH_STEP = protocol.AZIMUTH_STEP  # degrees of azimuth per view index (azimuth = -15 k)
BENCHMARK_NUM_VIEWS = protocol.NUM_VIEWS  # views k = 0 .. 23 per object
BENCHMARK_VIEWING_ANGLE = protocol.VIEWING_ANGLE  # half-angle in degrees (a 30 degree field of view)

DEFAULT_VIEWING_ANGLE = 15.0  # degrees, half-angle, as SoftRas
DEFAULT_UP = (0.0, 1.0, 0.0)
DEFAULT_AT = (0.0, 0.0, 0.0)
# Camera-frame depths closer to 0 than this are replaced by it before the perspective
# division, so that the output stays finite; the rasterizer drops any face with a vertex
# at depth < 1e-8 anyway (the depth output itself is not changed).
MIN_DIVISOR_DEPTH = 1e-8
# |cross(up, forward)| below this: the up vector is parallel to the viewing direction.
PARALLEL_EPS = 1e-9


# ---------------------------------------------------------------------- helpers
def _as_batch_vectors(value: Vector, name: str, dtype=None, device=None) -> torch.Tensor:
    """(N, 3) tensor from a (3,) or (N, 3) tensor or sequence."""
    tensor = torch.as_tensor(value, dtype=dtype, device=device) if not isinstance(value, torch.Tensor) else value
    if dtype is not None or device is not None:
        tensor = tensor.to(dtype=dtype or tensor.dtype, device=device or tensor.device)
    if tensor.dim() == 1:
        tensor = tensor[None]
    if tensor.dim() != 2 or tensor.shape[-1] != 3:
        raise ValueError(f"{name} must have shape (3,) or (N, 3), got {tuple(tensor.shape)}")
    if not tensor.dtype.is_floating_point:
        tensor = tensor.to(torch.get_default_dtype())
    return tensor


def _as_batch_scalars(value: Scalar, name: str, dtype, device) -> torch.Tensor:
    """(N,) tensor from a float, a (N,) tensor/sequence or a 0-d tensor."""
    tensor = value if isinstance(value, torch.Tensor) else torch.as_tensor(value, dtype=dtype)
    tensor = tensor.to(dtype=dtype, device=device)
    if tensor.dim() == 0:
        tensor = tensor[None]
    if tensor.dim() != 1:
        raise ValueError(f"{name} must be a number or a 1-D tensor (N,), got shape {tuple(tensor.shape)}")
    return tensor


def _broadcast_batch(*tensors: torch.Tensor, names: Sequence[str]) -> Tuple[torch.Tensor, ...]:
    """Expand tensors along dim 0 to a common batch size (sizes must be equal or 1)."""
    sizes = {t.shape[0] for t in tensors}
    n = max(sizes)
    if not sizes <= {1, n}:
        raise ValueError(f"{', '.join(names)} must have equal batch sizes or 1, got {[t.shape[0] for t in tensors]}")
    return tuple(t.expand(n, *t.shape[1:]) for t in tensors)


def _common_float(*values) -> Tuple[torch.dtype, Optional[torch.device]]:
    """The dtype/device of the first floating tensor among ``values`` (default dtype, CPU)."""
    for v in values:
        if isinstance(v, torch.Tensor) and v.dtype.is_floating_point:
            return v.dtype, v.device
    for v in values:
        if isinstance(v, torch.Tensor):
            return torch.get_default_dtype(), v.device
    return torch.get_default_dtype(), None


def _normalize_checked(vectors: torch.Tensor, name: str) -> torch.Tensor:
    length = vectors.norm(dim=-1, keepdim=True)
    if not bool((length > PARALLEL_EPS).all()):
        raise ValueError(name)
    return vectors / length


# ---------------------------------------------------------------------- functions
def eye_from_spherical(distance: Scalar, elevation: Scalar, azimuth: Scalar, dtype=None, device=None) -> torch.Tensor:
    """Camera positions on a sphere around the origin (docs/METHOD.md section 5).

    eye = (d cos(el) sin(az), d sin(el), -d cos(el) cos(az)): azimuth 0 looks from -z
    towards +z, elevation 90 from straight above.

    Args:
        distance, elevation, azimuth: numbers or (N,) tensors (broadcast together);
            angles in DEGREES. Differentiable when tensors.
        dtype, device: of the result (default: those of the first floating tensor
            argument, else the default dtype on the CPU).

    Returns:
        (N, 3) eye positions.
    """
    inferred_dtype, inferred_device = _common_float(distance, elevation, azimuth)
    dtype = dtype or inferred_dtype
    device = device or inferred_device
    d = _as_batch_scalars(distance, "distance", dtype, device)
    el = torch.deg2rad(_as_batch_scalars(elevation, "elevation", dtype, device))
    az = torch.deg2rad(_as_batch_scalars(azimuth, "azimuth", dtype, device))
    d, el, az = _broadcast_batch(d, el, az, names=("distance", "elevation", "azimuth"))
    return torch.stack(
        [d * torch.cos(el) * torch.sin(az), d * torch.sin(el), -d * torch.cos(el) * torch.cos(az)], dim=-1
    )


def look_along(direction: Vector, eye: Vector, up: Vector = DEFAULT_UP) -> torch.Tensor:
    """Rotation of a camera looking along ``direction`` (its z axis), with ``up`` roughly up.

    ``eye`` fixes only the batch size, dtype and device: a rotation does not depend on
    the position (kept in the signature so that every constructor reads alike).

    Args:
        direction: (3,) or (N, 3) viewing direction (any length > 0), world frame.
        eye: (3,) or (N, 3) camera positions.
        up: (3,) or (N, 3) world up vector, not parallel to ``direction``.

    Returns:
        (N, 3, 3) rotations whose rows are the camera x, y, z axes:
        z = normalize(direction), x = normalize(cross(up, z)), y = cross(z, x).

    Raises:
        ValueError: a zero ``direction`` or an ``up`` parallel to it.
    """
    eye = _as_batch_vectors(eye, "eye")
    direction = _as_batch_vectors(direction, "direction", eye.dtype, eye.device)
    up = _as_batch_vectors(up, "up", eye.dtype, eye.device)
    direction, up, eye = _broadcast_batch(direction, up, eye, names=("direction", "up", "eye"))
    z_axis = _normalize_checked(direction, "direction must be non-zero (for look_at: at must differ from eye)")
    x_axis = _normalize_checked(
        torch.cross(up, z_axis, dim=-1), "up must not be parallel to the viewing direction (cross(up, z) = 0)"
    )
    y_axis = torch.cross(z_axis, x_axis, dim=-1)  # unit: z and x are orthonormal
    return torch.stack([x_axis, y_axis, z_axis], dim=-2)


def look_at_rotation(eye: Vector, at: Vector = DEFAULT_AT, up: Vector = DEFAULT_UP) -> torch.Tensor:
    """(N, 3, 3) rotation of cameras at ``eye`` looking at ``at`` (docs/METHOD.md section 5).

    Args:
        eye: (3,) or (N, 3) camera positions, world frame.
        at: (3,) or (N, 3) target points.
        up: (3,) or (N, 3) world up.

    Returns:
        (N, 3, 3) R with rows x_axis, y_axis, z_axis; camera coordinates = R (v - eye).
    """
    eye = _as_batch_vectors(eye, "eye")
    at = _as_batch_vectors(at, "at", eye.dtype, eye.device)
    return look_along(at - eye, eye, up)


# ---------------------------------------------------------------------- cameras
class _CameraBatch:
    """Copying and indexing shared by every camera: each is rebuilt from its (Nc, ...)
    constructor tensors, listed by ``_fields``."""

    def _fields(self) -> Tuple[torch.Tensor, ...]:
        raise NotImplementedError

    def to(self, device=None, dtype=None):
        """A copy with every tensor moved to ``device`` and cast to ``dtype``."""
        return type(self)(*(t.to(device=device, dtype=dtype) for t in self._fields()))

    def __getitem__(self, index):
        """The cameras selected by ``index`` (an int, a slice or an index tensor) as a batch."""
        if isinstance(index, int):
            index = slice(index, index + 1 if index != -1 else None)
        return type(self)(*(t[index] for t in self._fields()))

    @property
    def batch_size(self) -> int:
        """Nc, the number of cameras."""
        return self._fields()[0].shape[0]

    def __len__(self) -> int:
        return self.batch_size

    def _check_batch(self, vertices: torch.Tensor) -> None:
        if self.batch_size != vertices.shape[0] and 1 not in (self.batch_size, vertices.shape[0]):
            raise ValueError(
                f"vertices batch size {vertices.shape[0]} must equal the camera batch size {self.batch_size}, or either be 1"
            )


class Camera(_CameraBatch):
    """A batch of rigid cameras: ``rotation`` (Nc, 3, 3) and ``eye`` (Nc, 3)."""

    def __init__(self, rotation: torch.Tensor, eye: Vector) -> None:
        if not isinstance(rotation, torch.Tensor) or not rotation.dtype.is_floating_point:
            raise ValueError(f"rotation must be a floating torch.Tensor, got {type(rotation).__name__}")
        if rotation.dim() == 2:
            rotation = rotation[None]
        if rotation.dim() != 3 or rotation.shape[1:] != (3, 3):
            raise ValueError(f"rotation must have shape (3, 3) or (N, 3, 3), got {tuple(rotation.shape)}")
        eye = _as_batch_vectors(eye, "eye", rotation.dtype, rotation.device)
        self.rotation, self.eye = _broadcast_batch(rotation, eye, names=("rotation", "eye"))

    def to_camera(self, vertices: torch.Tensor) -> torch.Tensor:
        """(N, V, 3) camera coordinates R (v - eye) of (Nv, V, 3) world points."""
        vertices = _check_vertices(vertices)
        rotation, eye = self._params_like(vertices)
        return torch.matmul(vertices - eye[:, None, :], rotation.transpose(-1, -2))

    def project(self, vertices: torch.Tensor) -> torch.Tensor:
        """(N, V, 3) screen space: x, y NDC and z the camera depth (docs/METHOD.md section 1)."""
        raise NotImplementedError

    def _params_like(self, vertices: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        self._check_batch(vertices)
        return self.rotation.to(vertices), self.eye.to(vertices)


def _check_vertices(vertices) -> torch.Tensor:
    if not isinstance(vertices, torch.Tensor) or vertices.dim() != 3 or vertices.shape[-1] != 3:
        raise ValueError(f"vertices must be a (N, V, 3) tensor, got {getattr(vertices, 'shape', type(vertices))}")
    if not vertices.dtype.is_floating_point:
        raise ValueError(f"vertices must be floating point, got {vertices.dtype}")
    return vertices


def _safe_depth(z: torch.Tensor) -> torch.Tensor:
    """z with values in (-MIN_DIVISOR_DEPTH, MIN_DIVISOR_DEPTH) replaced by MIN_DIVISOR_DEPTH."""
    return torch.where(z.abs() < MIN_DIVISOR_DEPTH, torch.full_like(z, MIN_DIVISOR_DEPTH), z)


class PerspectiveCamera(Camera):
    """Pinhole camera: x' = x / (z tan a), y' = y / (z tan a), z kept (docs/METHOD.md section 5).

    Args:
        rotation: (3, 3) or (N, 3, 3) world-to-camera rotation (rows: camera axes).
        eye: (3,) or (N, 3) camera positions.
        viewing_angle: half-angle a of the field of view in DEGREES, over the short
            image side (which spans [-1, 1] in NDC): a number or a (N,) tensor.
    """

    def __init__(self, rotation: torch.Tensor, eye: Vector, viewing_angle: Scalar = DEFAULT_VIEWING_ANGLE) -> None:
        super().__init__(rotation, eye)
        angle = _as_batch_scalars(viewing_angle, "viewing_angle", self.rotation.dtype, self.rotation.device)
        if not bool(((angle > 0) & (angle < 90)).all()):
            raise ValueError(f"viewing_angle must be a half-angle in (0, 90) degrees, got {viewing_angle!r}")
        self.rotation, self.eye, self.viewing_angle = _broadcast_batch(
            self.rotation, self.eye, angle, names=("rotation", "eye", "viewing_angle")
        )

    @classmethod
    def look_at(
        cls,
        eye: Vector,
        at: Vector = DEFAULT_AT,
        up: Vector = DEFAULT_UP,
        viewing_angle: Scalar = DEFAULT_VIEWING_ANGLE,
    ) -> "PerspectiveCamera":
        """Cameras at ``eye`` (3,)/(N, 3) looking at ``at`` with ``up`` (see ``look_at_rotation``)."""
        eye = _as_batch_vectors(eye, "eye")
        return cls(look_at_rotation(eye, at, up), eye, viewing_angle)

    @classmethod
    def from_spherical(
        cls,
        distance: Scalar,
        elevation: Scalar,
        azimuth: Scalar,
        viewing_angle: Scalar = DEFAULT_VIEWING_ANGLE,
        at: Vector = DEFAULT_AT,
        up: Vector = DEFAULT_UP,
        dtype: Optional[torch.dtype] = None,
        device: Optional[torch.device] = None,
    ) -> "PerspectiveCamera":
        """Cameras at ``eye_from_spherical(distance, elevation, azimuth)`` (degrees) + ``at``,
        looking at ``at``."""
        eye = eye_from_spherical(distance, elevation, azimuth, dtype=dtype, device=device)
        eye = eye + _as_batch_vectors(at, "at", eye.dtype, eye.device)
        return cls.look_at(eye, at, up, viewing_angle)

    def project(self, vertices: torch.Tensor) -> torch.Tensor:
        camera = self.to_camera(vertices)
        x, y, z = camera.unbind(-1)
        tan = torch.tan(torch.deg2rad(self.viewing_angle.to(camera)))[:, None]
        scale = 1.0 / (_safe_depth(z) * tan)
        return torch.stack([x * scale, y * scale, z], dim=-1)

    def _fields(self) -> Tuple[torch.Tensor, ...]:
        return self.rotation, self.eye, self.viewing_angle


class OrthographicCamera(Camera):
    """Parallel projection: x' = x * scale, y' = y * scale, z kept.

    Place ``eye`` far enough back that the object's depths z lie within the rasterizer's
    [near, far] (default [1, 100]).

    Args:
        rotation: (3, 3) or (N, 3, 3); eye: (3,) or (N, 3).
        scale: NDC units per world unit: a number > 0 or a (N,) tensor.
    """

    def __init__(self, rotation: torch.Tensor, eye: Vector, scale: Scalar = 1.0) -> None:
        super().__init__(rotation, eye)
        scale = _as_batch_scalars(scale, "scale", self.rotation.dtype, self.rotation.device)
        if not bool((scale > 0).all()):
            raise ValueError(f"scale must be > 0, got {scale!r}")
        self.rotation, self.eye, self.scale = _broadcast_batch(
            self.rotation, self.eye, scale, names=("rotation", "eye", "scale")
        )

    @classmethod
    def look_at(
        cls, eye: Vector, at: Vector = DEFAULT_AT, up: Vector = DEFAULT_UP, scale: Scalar = 1.0
    ) -> "OrthographicCamera":
        eye = _as_batch_vectors(eye, "eye")
        return cls(look_at_rotation(eye, at, up), eye, scale)

    def project(self, vertices: torch.Tensor) -> torch.Tensor:
        camera = self.to_camera(vertices)
        scale = self.scale.to(camera)[:, None, None]
        return torch.cat([camera[..., :2] * scale, camera[..., 2:]], dim=-1)

    def _fields(self) -> Tuple[torch.Tensor, ...]:
        return self.rotation, self.eye, self.scale


class ProjectionCamera(_CameraBatch):
    """A general 3 x 4 projection matrix that maps straight to NDC screen space.

    Convention: [u, v, w]^T = P [X, Y, Z, 1]^T for a world point; the screen point is
    x' = u / w, y' = v / w (NDC, docs/METHOD.md section 1: x right, y up, short side in [-1, 1])
    and z' = w, which must be the camera depth (positive in front), i.e. the last row of
    P is the camera's forward axis (unit length) and offset. ``to_camera`` returns
    (u, v, w) before the division.

    For a camera given OpenCV-style (pixel intrinsics K, x right, y DOWN, pixel centres
    at integer coordinates; as SoftRas' 'projection' mode takes it) use ``from_opencv``,
    which composes the pixel -> NDC map. Note that OpenCV's y-down image is flipped to
    y-up: the image shows the scene as the physical camera sees it (not mirrored, unlike
    the look-at cameras of this module), so CCW-outward faces appear COUNTER-clockwise
    and are back-facing for the rasterizer: render double-sided, or flip the winding.

    Args:
        projection: (3, 4) or (N, 3, 4) floating tensor.
    """

    def __init__(self, projection: torch.Tensor) -> None:
        if not isinstance(projection, torch.Tensor) or not projection.dtype.is_floating_point:
            raise ValueError(f"projection must be a floating torch.Tensor, got {type(projection).__name__}")
        if projection.dim() == 2:
            projection = projection[None]
        if projection.dim() != 3 or projection.shape[1:] != (3, 4):
            raise ValueError(f"projection must have shape (3, 4) or (N, 3, 4), got {tuple(projection.shape)}")
        self.projection = projection

    @classmethod
    def from_opencv(
        cls,
        intrinsics: torch.Tensor,
        rotation: torch.Tensor,
        translation: torch.Tensor,
        image_size: Union[int, Tuple[int, int]],
    ) -> "ProjectionCamera":
        """P = A K [R | t] with A the map from OpenCV pixel coordinates to NDC.

        Args:
            intrinsics: (3, 3) or (N, 3, 3) K in pixels of an H x W image, last row (0, 0, 1).
            rotation: (3, 3) or (N, 3, 3) world-to-camera R (OpenCV: x right, y down, z forward).
            translation: (3,) or (N, 3) t, so that camera coordinates are R X + t.
            image_size: S or (H, W) of the image K refers to.

        A pixel (column u, row v) of that image, centre at integer (u, v), goes to
        x = (2u + 1 - W) / S, y = (H - 1 - 2v) / S with S = min(H, W): exactly the
        pixel centres of docs/METHOD.md section 1, so the rendered image matches the OpenCV one.
        """
        height, width = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
        if min(height, width) < 1:
            raise ValueError(f"image_size must be positive, got {image_size!r}")
        for name, tensor in (("intrinsics", intrinsics), ("rotation", rotation)):
            if not isinstance(tensor, torch.Tensor) or tensor.shape[-2:] != (3, 3):
                raise ValueError(f"{name} must be a (3, 3) or (N, 3, 3) tensor, got {getattr(tensor, 'shape', None)}")
        intrinsics = intrinsics if intrinsics.dim() == 3 else intrinsics[None]
        rotation = rotation.to(intrinsics) if rotation.dim() == 3 else rotation.to(intrinsics)[None]
        translation = _as_batch_vectors(translation, "translation", intrinsics.dtype, intrinsics.device)
        s = float(min(height, width))
        pixel_to_ndc = intrinsics.new_tensor([[2 / s, 0, (1 - width) / s], [0, -2 / s, (height - 1) / s], [0, 0, 1]])
        extrinsics = torch.cat(
            _broadcast_batch(rotation, translation[..., None], names=("rotation", "translation")), dim=-1
        )
        return cls(pixel_to_ndc @ intrinsics @ extrinsics)

    def to_camera(self, vertices: torch.Tensor) -> torch.Tensor:
        """(N, V, 3) homogeneous image coordinates (u, v, w) = P [X; 1]."""
        vertices = _check_vertices(vertices)
        projection = self.projection.to(vertices)
        self._check_batch(vertices)
        return torch.matmul(vertices, projection[:, :, :3].transpose(-1, -2)) + projection[:, None, :, 3]

    def project(self, vertices: torch.Tensor) -> torch.Tensor:
        """(N, V, 3): (u / w, v / w, w)."""
        u, v, w = self.to_camera(vertices).unbind(-1)
        safe = _safe_depth(w)
        return torch.stack([u / safe, v / safe, w], dim=-1)

    def _fields(self) -> Tuple[torch.Tensor, ...]:
        return (self.projection,)


def benchmark_camera(
    view_index: Union[torch.Tensor, int, Sequence[int]],
    dtype: torch.dtype = torch.float32,
    device: Optional[torch.device] = None,
) -> PerspectiveCamera:
    """The ShapeNet benchmark (NMR renders) cameras for view indices k (docs/METHOD.md section 5).

    distance ``BENCHMARK_DISTANCE`` = 2.732, elevation 30 degrees, azimuth -15 k degrees,
    looking at the origin with up +y, viewing half-angle 15 degrees.

    Args:
        view_index: an int or a (N,) integer tensor/sequence of views in [0, 24).
        dtype, device: of the camera tensors (device defaults to that of a tensor index).

    Returns:
        A PerspectiveCamera with N cameras.
    """
    index = view_index if isinstance(view_index, torch.Tensor) else torch.as_tensor(view_index)
    if index.dtype.is_floating_point or index.dtype == torch.bool:
        raise ValueError(f"view_index must be integer, got {index.dtype}")
    if index.dim() == 0:
        index = index[None]
    if index.dim() != 1:
        raise ValueError(f"view_index must be an int or a (N,) tensor, got shape {tuple(index.shape)}")
    # The range is checked where the indices live on the host; a device tensor is not read
    # back (a host sync per training step): its out-of-range index fails in the gather.
    if index.device.type == "cpu" and index.numel() and (index.min() < 0 or index.max() >= BENCHMARK_NUM_VIEWS):
        raise ValueError(f"view_index must lie in [0, {BENCHMARK_NUM_VIEWS}), got {index.tolist()}")
    device = torch.device(device) if device is not None else index.device
    table = _benchmark_cameras(dtype, device)
    index = index.to(device)
    # A gather from the checked table: no constructor checks (each would be a host sync).
    camera = PerspectiveCamera.__new__(PerspectiveCamera)
    camera.rotation, camera.eye, camera.viewing_angle = (t[index] for t in table._fields())
    return camera


@functools.lru_cache(maxsize=16)
def _benchmark_cameras(dtype: torch.dtype, device: torch.device) -> PerspectiveCamera:
    """All BENCHMARK_NUM_VIEWS benchmark cameras, made once per (dtype, device): computed in
    float64 on the host and cast once, so float32 cameras are as exact as they can be."""
    with torch.inference_mode(False):  # normal tensors even when first asked for under inference mode
        azimuth = torch.arange(BENCHMARK_NUM_VIEWS, dtype=torch.float64) * BENCHMARK_AZIMUTH_STEP
        camera = PerspectiveCamera.from_spherical(
            BENCHMARK_DISTANCE, BENCHMARK_ELEVATION, azimuth, BENCHMARK_VIEWING_ANGLE, dtype=torch.float64
        )
        return camera.to(device=device, dtype=dtype)
