"""``softrecon-demo MODEL``: a local web page to try a model (Gradio).

Drop or pick a picture (RGBA with a transparent background, or RGB on a plain one): the
page shows what the model sees (the picture cropped, scaled and centred into the
training framing) and its mask, the reconstructed mesh to turn in 3D, and the .obj to
download (a .zip with its .mtl and texture for a colour model). Example pictures from
the training data's test split are one click away when that data is at hand
(``--data-root``, default: where the run stored it) or from ``--examples FOLDER``.

Needs the ``demo`` extra: ``pip install -e ".[demo]"`` (Gradio).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import uuid
import warnings
import zipfile
from typing import List, Optional, Sequence

import numpy as np

from softrecon.datasets import MultiViewDataset
from softrecon.datasets.classes import class_name

from .framing import unpremultiply
from .images import DEFAULT_TOLERANCE, ImageInputError
from .model_file import ModelFileError
from .predictor import ImageToMesh, load_model

DEFAULT_PORT = 7860
EXAMPLES_PER_CLASS = 2
EXAMPLE_VIEWS = (0, 9)  # a view from each side, so that the examples are not all alike
PREVIEW_SIZE = 256  # pixels of the shown input and mask (nearest-neighbour upscaled)
TITLE = "softrecon: from a picture to a mesh"


def write_examples(model: ImageToMesh, folder: str, data_root: Optional[str] = None, split: str = "test") -> List[str]:
    """Write example pictures (RGBA PNGs) of the training data's ``split`` into ``folder``:
    ``EXAMPLES_PER_CLASS`` objects per class. Returns their paths ([] with a warning
    when the data cannot be read)."""
    import imageio.v3 as iio

    config = model.payload.get("training_config") or {}
    root = data_root or (config.get("data") or {}).get("root")
    try:
        if not root:
            raise FileNotFoundError("the model file names no data folder")
        dataset = MultiViewDataset(root, split=split, fmt=str((config.get("data") or {}).get("fmt", "auto")))
    except (FileNotFoundError, OSError, ValueError) as error:
        warnings.warn(
            f"no example pictures: the {split} split cannot be read ({error}); pass --data-root or --examples"
        )
        return []
    paths = []
    for class_id in dataset.class_ids:
        objects = list(dataset.object_range(class_id))[:EXAMPLES_PER_CLASS]
        for number, obj in enumerate(objects):
            view = EXAMPLE_VIEWS[number % len(EXAMPLE_VIEWS)]
            image = dataset.get_object_images_uint8(obj, [view])[0].transpose(1, 2, 0)  # (S, S, 4) RGBA
            path = os.path.join(folder, f"{class_name(class_id)}_{obj:04d}_view{view:02d}.png")
            iio.imwrite(path, image)
            paths.append(path)
    return paths


def _preview(rgba: np.ndarray) -> np.ndarray:
    """(S, S, C) uint8 -> (PREVIEW_SIZE, PREVIEW_SIZE, C), nearest neighbour (pixels stay visible)."""
    factor = max(1, PREVIEW_SIZE // rgba.shape[0])
    return np.repeat(np.repeat(rgba, factor, axis=0), factor, axis=1)


def reconstruct_for_page(model: ImageToMesh, image, tolerance: float, folder: str):
    """The page's callback: picture -> (framed RGBA, mask, mesh .obj, download path, note).

    Raises:
        ImageInputError: the picture cannot be used (the page shows the message).
    """
    if image is None:
        raise ImageInputError("no picture: drop one in the box, or click an example")
    mesh = model.reconstruct(np.asarray(image), tolerance=float(tolerance), name="the picture")
    stem = os.path.join(folder, f"mesh_{uuid.uuid4().hex[:8]}")
    written = mesh.save_obj(stem + ".obj")
    download = written[-1]
    if len(written) > 1:  # a colour model: the .obj with its material and texture, zipped
        download = stem + ".zip"
        with zipfile.ZipFile(download, "w") as archive:
            for path in written:
                archive.write(path, os.path.basename(path))
    view, iou = mesh.silhouette_iou()
    framed = unpremultiply(mesh.framed.numpy())
    mask = np.repeat((mesh.mask.numpy()[..., None] * 255).astype(np.uint8), 3, axis=2)
    note = (
        f"{mesh.num_vertices} vertices, {mesh.num_faces} faces. Best-matching benchmark view: {view} "
        f"(azimuth {-15 * view % 360} degrees, elevation 30); silhouette IoU there against the mask: {iou:.3f}. "
        f"Matte: {'the alpha channel' if mesh.matte == 'alpha' else 'keyed on the border colour'}."
    )
    return _preview(framed), _preview(mask), written[-1], download, note


def build_demo(model: ImageToMesh, examples: Sequence[str] = (), folder: Optional[str] = None):
    """The Gradio ``Blocks`` of the page (not launched)."""
    import gradio as gr

    folder = folder or tempfile.mkdtemp(prefix="softrecon_demo_")
    classes = ", ".join(name for _, name in model.classes) or "unknown"
    provenance = model.provenance
    framing = model.framing

    def run(image, tolerance):
        try:
            return reconstruct_for_page(model, image, tolerance, folder)
        except ImageInputError as error:
            raise gr.Error(str(error)) from None

    with gr.Blocks(title=TITLE, analytics_enabled=False) as page:
        gr.Markdown(
            f"## {TITLE}\n"
            f"Model `{os.path.basename(model.path)}`: trained on {classes} "
            f"(iteration {provenance.get('iteration', '?')}, softrecon {provenance.get('softrecon_version', '?')}). "
            f"Give a picture of one object: RGBA with a transparent background, or RGB on a plain background. "
            f"It is cropped to the object and scaled so that the object's longer side covers "
            f"{framing.fill:.0%} of a {framing.image_size} x {framing.image_size} image, as in training."
        )
        with gr.Row():
            with gr.Column():
                picture = gr.Image(
                    label="Picture", type="numpy", image_mode="RGBA", sources=["upload", "clipboard"], elem_id="picture"
                )
                tolerance = gr.Slider(
                    0.01, 0.5, value=DEFAULT_TOLERANCE, step=0.01, label="Background tolerance (pictures without alpha)"
                )
                button = gr.Button("Reconstruct", variant="primary", elem_id="reconstruct")
            with gr.Column():
                with gr.Row():
                    framed = gr.Image(label="What the model sees", interactive=False, elem_id="framed", format="png")
                    mask = gr.Image(label="Its mask", interactive=False, elem_id="mask", format="png")
                note = gr.Markdown(elem_id="note")
            with gr.Column():
                viewer = gr.Model3D(label="Mesh (drag to turn)", elem_id="viewer", clear_color=(1, 1, 1, 1))
                download = gr.File(label="Download", elem_id="download", interactive=False)
        outputs = [framed, mask, viewer, download, note]
        button.click(run, [picture, tolerance], outputs)
        picture.upload(run, [picture, tolerance], outputs)
        if examples:
            gr.Examples(
                examples=[[path] for path in examples],
                inputs=[picture],
                outputs=outputs,
                fn=lambda image: run(image, DEFAULT_TOLERANCE),
                run_on_click=True,
                cache_examples=False,
                label="Examples from the test split (click one)",
            )
    page.softrecon_folder = folder
    return page


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="exported model file, checkpoint or run folder")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1: this computer only)"
    )
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda, ...")
    parser.add_argument("--data-root", default=None, help="the training data, for the example pictures")
    parser.add_argument("--examples", default=None, help="a folder of example pictures instead")
    parser.add_argument("--share", action="store_true", help="also serve through a public Gradio link")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        import gradio  # noqa: F401
    except ImportError:
        parser.error('the demo needs Gradio: pip install -e ".[demo]"  (or: pip install gradio)')
    try:
        model = load_model(args.model, device=args.device, data_root=args.data_root)
    except ModelFileError as error:
        parser.error(str(error))
    folder = tempfile.mkdtemp(prefix="softrecon_demo_")
    if args.examples:
        if not os.path.isdir(args.examples):
            parser.error(f"--examples {args.examples!r} is not a folder")
        examples = sorted(
            os.path.join(args.examples, n)
            for n in os.listdir(args.examples)
            if n.lower().endswith((".png", ".jpg", ".jpeg", ".webp"))
        )
    else:
        examples = write_examples(model, folder, args.data_root)
    page = build_demo(model, examples, folder)
    page.launch(server_name=args.host, server_port=args.port, share=args.share, allowed_paths=[folder])


if __name__ == "__main__":  # pragma: no cover
    main()
