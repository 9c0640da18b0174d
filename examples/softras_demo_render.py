"""Demo render, written against the SoftRas API (``import softrecon.compat.softras as sr``).

As SoftRas' ``examples/demo_render.py``: load a textured .obj with R x R surface
textures, render a turntable and a sweep of sigma / gamma with ``sr.SoftRenderer``
(SoftRas' defaults: 256 x 256, look_at camera, 30 degree half-angle), and save the mesh
back as a textured .obj. Runs on the CPU (slowly at 256 x 256: use --image-size 64).

    python examples/softras_demo_render.py -i softrecon/assets/meshes/cow/cow.obj -o out/ --image-size 128
"""

import argparse
import os

import imageio
import numpy as np
import tqdm

import softrecon.compat.softras as sr

CAMERA_DISTANCE = 2.732
ELEVATION = 30


def render_turntable(mesh, renderer, azimuths):
    """(len(azimuths), H, W, 4) float images of ``mesh`` seen from each azimuth."""
    frames = []
    for azimuth in tqdm.tqdm(azimuths, desc="Drawing rotation"):
        mesh.reset_()  # render_mesh lights and moves the mesh in place, as in SoftRas
        renderer.transform.set_eyes_from_angles(CAMERA_DISTANCE, ELEVATION, float(azimuth))
        images = renderer.render_mesh(mesh)
        frames.append(images.detach().cpu().numpy()[0].transpose((1, 2, 0)))
    return np.stack(frames)


def render_blurring(mesh, renderer, gamma_powers):
    """Images at azimuth 45 with gamma = 10^p and sigma = 10^(p - 1)."""
    frames = []
    renderer.transform.set_eyes_from_angles(CAMERA_DISTANCE, ELEVATION, 45.0)
    for gamma_pow in tqdm.tqdm(gamma_powers, desc="Drawing blurring"):
        mesh.reset_()
        renderer.set_gamma(10**gamma_pow)
        renderer.set_sigma(10 ** (gamma_pow - 1))
        frames.append(renderer.render_mesh(mesh).detach().cpu().numpy()[0].transpose((1, 2, 0)))
    return np.stack(frames)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "-i", "--filename-input", type=str, required=True, help="textured .obj (SoftRas: spot_triangulated.obj)"
    )
    parser.add_argument("-o", "--output-dir", type=str, default="results/output_render")
    parser.add_argument("--image-size", type=int, default=256)
    parser.add_argument("--azimuth-step", type=int, default=4, help="degrees between turntable frames")
    args = parser.parse_args()

    # load from Wavefront .obj file
    mesh = sr.Mesh.from_obj(args.filename_input, load_texture=True, texture_res=5, texture_type="surface")
    # create renderer with SoftRas
    renderer = sr.SoftRenderer(image_size=args.image_size, camera_mode="look_at")
    os.makedirs(args.output_dir, exist_ok=True)

    to_uint8 = lambda frames: (255 * np.clip(frames, 0, 1)).astype(np.uint8)  # noqa: E731
    turntable = render_turntable(mesh, renderer, range(0, 360, args.azimuth_step))
    imageio.mimsave(os.path.join(args.output_dir, "rotation.gif"), to_uint8(turntable))
    imageio.imwrite(os.path.join(args.output_dir, "rotation_000.png"), to_uint8(turntable[0]))
    blurring = render_blurring(mesh, renderer, np.arange(-4, -2, 0.2))
    imageio.mimsave(os.path.join(args.output_dir, "bluring.gif"), to_uint8(blurring))

    # save to textured obj
    mesh.reset_()
    mesh.save_obj(os.path.join(args.output_dir, "saved.obj"), save_texture=True)
    print(args.output_dir)


if __name__ == "__main__":
    main()
