"""Demo deform, written against the SoftRas API (``import softrecon.compat.softras as sr``).

Deforms a template sphere to match target silhouettes seen from known cameras, as
SoftRas' ``examples/demo_deform.py``: the same model (a displacement of the template in
logit space plus a centre), the same loss (negative IoU + 0.03 Laplacian + 0.0003
flatten), the same renderer settings and optimizer. Only the import line and the
command-line defaults differ (CPU-sized here; SoftRas' are 2000 iterations of 120 views).

Inputs, as SoftRas' demo:
  --filename-input  .npy of target images (N, 4, H, W), uint8 (0..255) or float (0..1);
                    only the alpha channel is used;
  --camera-input    .npy of (N, 3) cameras: distance, elevation, azimuth (degrees).

Inputs made from the sample cow and a template sphere made by softrecon:

    python scripts/make_fit_targets.py softrecon/assets/meshes/cow/cow.obj deform_in/
    python -c "from softrecon.geometry import icosphere; from softrecon.io import save_obj; \
        save_obj('deform_in/sphere.obj', *icosphere(3))"
    python examples/softras_demo_deform.py -i deform_in/images.npy -c deform_in/cameras.npy \
        -t deform_in/sphere.obj -o out/ --iterations 300

``scripts/fit_mesh.py`` is the full application (held-out views, coarse-to-fine,
configs); this file shows that SoftRas code runs unchanged.
"""

import argparse
import os

import imageio
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import tqdm

import softrecon.compat.softras as sr


class Model(nn.Module):
    def __init__(self, template_path):
        super(Model, self).__init__()

        # set template mesh
        self.template_mesh = sr.Mesh.from_obj(template_path)
        self.register_buffer("vertices", self.template_mesh.vertices * 0.5)
        self.register_buffer("faces", self.template_mesh.faces)
        self.register_buffer("textures", self.template_mesh.textures)

        # optimize for displacement map and center
        self.register_parameter("displace", nn.Parameter(torch.zeros_like(self.template_mesh.vertices)))
        self.register_parameter("center", nn.Parameter(torch.zeros(1, 1, 3)))

        # define Laplacian and flatten geometry constraints
        self.laplacian_loss = sr.LaplacianLoss(self.vertices[0].cpu(), self.faces[0].cpu())
        self.flatten_loss = sr.FlattenLoss(self.faces[0].cpu())

    def forward(self, batch_size):
        base = torch.log(self.vertices.abs() / (1 - self.vertices.abs()))
        centroid = torch.tanh(self.center)
        vertices = torch.sigmoid(base + self.displace) * torch.sign(self.vertices)
        vertices = F.relu(vertices) * (1 - centroid) - F.relu(-vertices) * (centroid + 1)
        vertices = vertices + centroid

        # apply Laplacian and flatten geometry constraints
        laplacian_loss = self.laplacian_loss(vertices).mean()
        flatten_loss = self.flatten_loss(vertices).mean()

        return (
            sr.Mesh(vertices.repeat(batch_size, 1, 1), self.faces.repeat(batch_size, 1, 1)),
            laplacian_loss,
            flatten_loss,
        )


def neg_iou_loss(predict, target):
    dims = tuple(range(predict.ndimension())[1:])
    intersect = (predict * target).sum(dims)
    union = (predict + target - predict * target).sum(dims) + 1e-6
    return 1.0 - (intersect / union).sum() / intersect.nelement()


def fit(images, cameras, template_path, iterations, device="cpu", callback=None):
    """The demo's optimization loop. images: (N, 4, H, W) float in [0, 1]; cameras (N, 3).
    Returns the model; ``callback(i, images_pred, loss)`` is called after every step."""
    model = Model(template_path).to(device)
    renderer = sr.SoftRenderer(
        image_size=images.shape[-1], sigma_val=1e-4, aggr_func_rgb="hard", camera_mode="look_at", viewing_angle=15
    )
    optimizer = torch.optim.Adam(model.parameters(), 0.01, betas=(0.5, 0.99))

    camera_distances = torch.from_numpy(cameras[:, 0])
    elevations = torch.from_numpy(cameras[:, 1])
    viewpoints = torch.from_numpy(cameras[:, 2])
    renderer.transform.set_eyes_from_angles(camera_distances, elevations, viewpoints)
    images_gt = torch.from_numpy(images).to(device)

    for i in tqdm.trange(iterations, desc="deform", disable=callback is not None):
        mesh, laplacian_loss, flatten_loss = model(images.shape[0])
        images_pred = renderer.render_mesh(mesh)

        # optimize mesh with silhouette reprojection error and geometry constraints
        loss = neg_iou_loss(images_pred[:, 3], images_gt[:, 3]) + 0.03 * laplacian_loss + 0.0003 * flatten_loss

        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if callback is not None:
            callback(i, images_pred, loss)
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-i", "--filename-input", type=str, required=True, help="(N, 4, H, W) target images .npy")
    parser.add_argument(
        "-c", "--camera-input", type=str, required=True, help="(N, 3) distance, elevation, azimuth .npy"
    )
    parser.add_argument(
        "-t", "--template-mesh", type=str, required=True, help="template .obj (SoftRas: sphere_1352.obj)"
    )
    parser.add_argument("-o", "--output-dir", type=str, default="results/output_deform")
    parser.add_argument("--iterations", type=int, default=300, help="SoftRas: 2000")
    parser.add_argument("--device", type=str, default=str(sr.default_device()))
    args = parser.parse_args()

    os.makedirs(args.output_dir, exist_ok=True)
    images = np.load(args.filename_input)
    images = images.astype("float32") / (255.0 if images.dtype == np.uint8 else 1.0)
    cameras = np.load(args.camera_input).astype("float32")

    frames = []

    def record(i, images_pred, loss):
        if i % 20 == 0:
            frames.append((255 * images_pred.detach().cpu().numpy()[0, 3]).astype(np.uint8))
            print(f"iteration {i}: loss {loss.item():.4f}")

    model = fit(images, cameras, args.template_mesh, args.iterations, args.device, record)
    imageio.mimsave(os.path.join(args.output_dir, "deform.gif"), frames)

    # save optimized mesh
    model(1)[0].save_obj(os.path.join(args.output_dir, "deformed.obj"), save_texture=False)
    print(os.path.join(args.output_dir, "deformed.obj"))


if __name__ == "__main__":
    main()
