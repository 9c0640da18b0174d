"""Render a mesh file (.obj / .ply) to a PNG or a turntable GIF with the soft rasterizer.

Examples:

    softrecon-render softrecon/assets/meshes/cow/cow.obj -o cow.png
    softrecon-render softrecon/assets/meshes/airplane.ply -o views.png --azimuth 0 90 180 --elevation 20
    softrecon-render airplane.ply -o plane.png --view 0 6 12 18      # benchmark views
    softrecon-render softrecon/assets/meshes/airplane.ply -o airplane.gif --turntable 24 --fps 12
    softrecon-render softrecon/assets/meshes/airplane.ply -o hard.png --mode hard --antialias 4
    softrecon-render softrecon/assets/meshes/cow/cow.obj -o cow_texels.png --texture-res 4

The mesh is centred and scaled to the unit box (longest side 1) of the ShapeNet
benchmark unless --no-normalize. An .obj's UV texture is sampled at the vertices and
interpolated, unless --texture-res R bakes it into R x R colours per face (SoftRas'
'surface' textures; sharper on coarse meshes). Several cameras (several --azimuth /
--view values) are tiled left to right into one PNG; --turntable writes one GIF frame
per azimuth.
The last line printed is the output path. A bad input (missing or unreadable mesh file,
bad option value) prints one line naming it on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Optional, Sequence

import numpy as np
import torch

# Exit status of a run stopped by a bad input (as argparse's own usage errors).
BAD_INPUT_STATUS = 2
# Default colour of meshes whose file has no colours: light grey.
DEFAULT_MESH_COLOR = (0.8, 0.8, 0.8)
# Default blur for 256 x 256 renders: about the paper's 1e-4 at 64 x 64 scaled by (64/256)^2
# would be 6e-6; 1e-5 keeps edges smooth without visible blur.
DEFAULT_SIGMA = 1e-5
DEFAULT_IMAGE_SIZE = 256
FULL_TURN_DEGREES = 360.0
MAX_8BIT = 255


def build_parser() -> argparse.ArgumentParser:
    from softrecon.renderer import BENCHMARK_DISTANCE, BENCHMARK_ELEVATION, BENCHMARK_NUM_VIEWS, BENCHMARK_VIEWING_ANGLE
    from softrecon.renderer.settings import AggrAlpha, AggrRGB, DistCDF, DistFunc

    names = lambda enum_cls: [m.name.lower() for m in enum_cls]  # noqa: E731

    class Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
        """Defaults shown, the description's examples kept as written."""

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=Formatter)
    parser.add_argument(
        "mesh", help="the mesh file to render: .obj (colours from 'v x y z r g b' or the .mtl texture) or .ply"
    )
    parser.add_argument(
        "-o",
        "--output",
        default=None,
        help="output file, .png (RGBA) or .gif (turntable); default: the mesh's name with .png, or .gif with --turntable, in the current folder",
    )

    texture = parser.add_argument_group("texture")
    texture.add_argument(
        "--texture-res",
        type=int,
        default=None,
        metavar="R",
        help="bake the .obj's UV texture (.mtl map_Kd) into R x R colours per face instead of sampling it at "
        "the vertices; sharper on coarse meshes; ignored for meshes without a UV texture",
    )

    image = parser.add_argument_group("image")
    image.add_argument(
        "--image-size",
        type=int,
        nargs="+",
        default=[DEFAULT_IMAGE_SIZE],
        metavar="N",
        help="output size: S for S x S, or H W",
    )
    image.add_argument(
        "--antialias",
        type=int,
        default=1,
        help="supersampling factor k: render k times larger and average k x k blocks (cost k^2)",
    )
    image.add_argument(
        "--background",
        type=float,
        nargs="+",
        default=[1.0, 1.0, 1.0],
        metavar="V",
        help="background colour: R G B in [0, 1], or one value for all channels",
    )

    raster = parser.add_argument_group("rasterizer (docs/METHOD.md sections 2-3)")
    raster.add_argument(
        "--mode",
        choices=["soft", "hard"],
        default="soft",
        help="preset: 'soft' = euclidean distance, prod alpha, softmax colour; 'hard' = hard everything (a z-buffer render). The three options below override it",
    )
    raster.add_argument(
        "--dist-func", choices=names(DistFunc), default=None, help="coverage function D_j (default: from --mode)"
    )
    raster.add_argument(
        "--dist-cdf", choices=names(DistCDF), default="logistic",
        help="CDF turning the signed scaled distance into D_j: the paper's logistic sigmoid or GenDR's alternatives",
    )  # fmt: skip
    raster.add_argument(
        "--aggr-alpha", choices=names(AggrAlpha), default=None, help="silhouette aggregation (default: from --mode)"
    )
    raster.add_argument(
        "--aggr-rgb", choices=names(AggrRGB), default=None, help="colour aggregation (default: from --mode)"
    )
    raster.add_argument(
        "--sigma", type=float, default=DEFAULT_SIGMA, help="edge blur in squared NDC units (paper: 1e-4 at 64 x 64)"
    )
    raster.add_argument(
        "--gamma", type=float, default=1e-4, help="depth-softmax temperature (smaller: sharper occlusion)"
    )
    raster.add_argument("--dist-eps", type=float, default=1e-10, help="coverage cut-off eps_dist")
    raster.add_argument("--near", type=float, default=1.0, help="near depth bound")
    raster.add_argument("--far", type=float, default=100.0, help="far depth bound")
    raster.add_argument("--double-sided", action="store_true", help="show the colour of back faces too")
    raster.add_argument(
        "--backend",
        choices=["auto", "reference", "cpu", "cuda"],
        default="auto",
        help="rasterizer implementation (auto: the compiled kernel if built, else the dense reference)",
    )
    raster.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda")

    light = parser.add_argument_group("lighting (direction TOWARD the light, world frame)")
    light.add_argument("--no-lighting", action="store_true", help="render raw colours, unshaded")
    light.add_argument("--ambient", type=float, default=0.5, help="ambient intensity")
    light.add_argument("--directional", type=float, default=0.5, help="directional intensity")
    light.add_argument(
        "--light-direction",
        type=float,
        nargs=3,
        default=[0.0, 1.0, 0.0],
        metavar=("X", "Y", "Z"),
        help="direction toward the light",
    )
    light.add_argument(
        "--color",
        type=float,
        nargs=3,
        default=list(DEFAULT_MESH_COLOR),
        metavar=("R", "G", "B"),
        help="colour of meshes whose file has none",
    )

    camera = parser.add_argument_group(
        "camera (docs/METHOD.md section 5: eye on a sphere, looking at the origin, y up)"
    )
    camera.add_argument("--distance", type=float, default=BENCHMARK_DISTANCE, help="camera distance from the origin")
    camera.add_argument("--elevation", type=float, default=BENCHMARK_ELEVATION, help="elevation in degrees")
    camera.add_argument(
        "--azimuth",
        type=float,
        nargs="+",
        default=[0.0],
        metavar="DEG",
        help="azimuth(s) in degrees; several values tile several views into one PNG",
    )
    camera.add_argument(
        "--viewing-angle", type=float, default=BENCHMARK_VIEWING_ANGLE, help="half field of view in degrees"
    )
    camera.add_argument(
        "--view",
        type=int,
        nargs="+",
        default=None,
        metavar="K",
        help=f"benchmark view index(es) in [0, {BENCHMARK_NUM_VIEWS}) instead of distance/elevation/azimuth "
        f"(distance {BENCHMARK_DISTANCE}, elevation {BENCHMARK_ELEVATION}, azimuth -15 K)",
    )
    camera.add_argument(
        "--turntable",
        type=int,
        default=None,
        metavar="FRAMES",
        help="write a GIF of FRAMES views at azimuths starting at --azimuth (first value) around a full turn",
    )
    camera.add_argument("--fps", type=float, default=10.0, help="GIF frames per second")
    camera.add_argument("--no-normalize", action="store_true", help="keep the file's coordinates (default: unit box)")
    return parser


def _output_path(args) -> str:
    if args.output is not None:
        return args.output
    stem = os.path.splitext(os.path.basename(args.mesh))[0]
    return stem + (".gif" if args.turntable else ".png")


def _check_args(args) -> None:
    """Raise ValueError naming the option for values argparse cannot check by itself."""
    if len(args.image_size) not in (1, 2):
        raise ValueError(f"--image-size takes 1 or 2 values (S or H W), got {args.image_size}")
    extension = os.path.splitext(_output_path(args))[1].lower()
    if args.turntable is not None:
        if args.turntable < 1:
            raise ValueError(f"--turntable must be >= 1 frames, got {args.turntable}")
        if args.view is not None:
            raise ValueError("--turntable and --view cannot be combined")
        if extension != ".gif":
            raise ValueError(f"--output must end in .gif with --turntable, got {_output_path(args)!r}")
    elif extension != ".png":
        raise ValueError(f"--output must end in .png (or .gif with --turntable), got {_output_path(args)!r}")
    if args.texture_res is not None and args.texture_res < 1:
        raise ValueError(f"--texture-res must be >= 1, got {args.texture_res}")
    if not args.fps > 0:
        raise ValueError(f"--fps must be > 0, got {args.fps}")
    if args.distance <= 0:
        raise ValueError(f"--distance must be > 0, got {args.distance}")
    folder = os.path.dirname(os.path.abspath(_output_path(args)))
    if not os.path.isdir(folder):
        raise ValueError(f"--output folder {folder!r} does not exist")


def build_settings(args):
    from softrecon.renderer import RasterSettings

    preset = {"soft": ("euclidean", "prod", "softmax"), "hard": ("hard", "hard", "hard")}[args.mode]
    image_size = args.image_size[0] if len(args.image_size) == 1 else tuple(args.image_size)
    try:
        return RasterSettings(
            image_size=image_size,
            sigma=args.sigma,
            gamma=args.gamma,
            dist_eps=args.dist_eps,
            near=args.near,
            far=args.far,
            background=tuple(args.background),
            dist_func=args.dist_func or preset[0],
            dist_cdf=args.dist_cdf,
            aggr_alpha=args.aggr_alpha or preset[1],
            aggr_rgb=args.aggr_rgb or preset[2],
            double_sided=args.double_sided,
        )
    except ValueError as error:  # name the command-line option, not the dataclass field
        raise ValueError(f"bad rasterizer option: {error} (see --help)") from None


def build_cameras(args, dtype, device):
    """One PerspectiveCamera holding every camera asked for (N views)."""
    from softrecon.renderer import PerspectiveCamera, benchmark_camera

    if args.view is not None:
        return benchmark_camera(torch.tensor(args.view), dtype=dtype, device=device)
    if args.turntable is not None:
        step = FULL_TURN_DEGREES / args.turntable
        azimuths = [args.azimuth[0] + step * k for k in range(args.turntable)]
    else:
        azimuths = list(args.azimuth)
    azimuth = torch.tensor(azimuths, dtype=dtype, device=device)
    try:
        return PerspectiveCamera.from_spherical(
            args.distance, args.elevation, azimuth, args.viewing_angle, dtype=dtype, device=device
        )
    except ValueError as error:
        raise ValueError(f"bad camera option (--distance/--elevation/--azimuth/--viewing-angle): {error}") from None


def load_normalized_mesh(args, dtype, device):
    from softrecon.io import load_mesh, normalize_to_unit_box

    mesh = load_mesh(args.mesh, dtype=dtype, device=device, texture_resolution=args.texture_res)
    if not args.no_normalize:
        mesh = mesh.update_vertices(normalize_to_unit_box(mesh.vertices))
    if mesh.colors is None:
        colors = torch.tensor(args.color, dtype=dtype, device=device).expand(1, mesh.num_vertices, 3).contiguous()
        mesh = type(mesh)(mesh.vertices, mesh.faces, colors, color_mode="vertex", validate=False)
    return mesh


def render_frames(args) -> np.ndarray:
    """(K, H, W, 4) uint8 RGBA frames, one per camera."""
    from softrecon.renderer import Lighting, SoftRenderer

    device = torch.device(args.device)
    dtype = torch.float32
    settings = build_settings(args)
    lighting = None
    if not args.no_lighting:
        try:
            lighting = Lighting(
                ambient_intensity=args.ambient,
                directional_intensity=args.directional,
                direction=tuple(args.light_direction),
            )
        except ValueError as error:
            raise ValueError(f"bad lighting option (--ambient/--directional/--light-direction): {error}") from None
    try:
        renderer = SoftRenderer(settings, lighting=lighting, antialias=args.antialias, backend=args.backend)
    except ValueError as error:
        raise ValueError(f"bad option --antialias/--backend: {error}") from None
    mesh = load_normalized_mesh(args, dtype, device)
    cameras = build_cameras(args, dtype, device)
    frames = []
    with torch.no_grad():
        for k in range(cameras.batch_size):  # one view at a time bounds the memory
            image = renderer(mesh, cameras[k])[0]  # (4, H, W)
            frames.append((image.clamp(0, 1) * MAX_8BIT).round().to(torch.uint8).permute(1, 2, 0).cpu().numpy())
            if cameras.batch_size > 1:
                print(f"rendered view {k + 1}/{cameras.batch_size}", file=sys.stderr, flush=True)
    return np.stack(frames)


def write_output(path: str, frames: np.ndarray, turntable: bool, fps: float) -> None:
    """Write frames as one PNG (tiled left to right, RGBA) or a looping GIF (RGB), atomically."""
    import imageio.v3 as iio

    from softrecon.utils.atomic import atomic_write
    from softrecon.utils.png import save_png

    if not turntable:
        save_png(path, np.concatenate(list(frames), axis=1))
        return
    data = iio.imwrite("<bytes>", frames[..., :3], extension=".gif", duration=1000.0 / fps, loop=0)
    with atomic_write(path, "wb") as handle:
        handle.write(data)


def main(argv: Optional[Sequence[str]] = None) -> str:
    """Parse ``argv``, render, write; return (and print last) the output path."""
    args = build_parser().parse_args(argv)
    try:
        _check_args(args)
        path = _output_path(args)
        frames = render_frames(args)
        write_output(path, frames, args.turntable is not None, args.fps)
    except ValueError as error:  # MeshLoadError included: its message names the file
        print(f"render.py: error: {error}", file=sys.stderr)
        sys.exit(BAD_INPUT_STATUS)
    print(path, flush=True)
    return path


if __name__ == "__main__":
    main()
