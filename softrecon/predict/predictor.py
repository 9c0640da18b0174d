"""``load_model(path)``: a trained model that turns pictures into meshes.

    import softrecon
    model = softrecon.load_model("model.pt")        # or a run folder, or a checkpoint
    mesh = model.reconstruct("chair.png")           # a path, PIL image, array or tensor
    mesh.save_obj("chair.obj")                      # (+ .mtl and texture: colour models)

Shape symbols: S framed image side, V vertices, F faces, T texels per face.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch

from softrecon.io import save_obj, save_textured_obj
from softrecon.models import ModelConfigError, build_model
from softrecon.models.inference import reconstruct as run_model
from softrecon.rundir.checkpoint import CheckpointError, load_weights
from softrecon.structures import Mesh
from softrecon.utils.png import save_png

from .framing import Framing, frame_picture, unpremultiply
from .images import DEFAULT_TOLERANCE, read_picture
from .model_file import ModelFileError, read_model_source
from .silhouette import best_views, silhouette_iou


class ReconstructedMesh(Mesh):
    """A ``Mesh`` of one reconstruction (N = 1), with what the model saw.

    Extra attributes:
        framed: (4, S, S) float32 tensor, the model's input: the picture cropped, scaled
            and centred into the training framing, RGB premultiplied, then alpha.
        name: the picture's name (its file name, or the type of object given).
        matte: 'alpha' or 'border' (how the object was separated from its background).
    """

    def __init__(self, vertices, faces, colors, framed: torch.Tensor, name: str, matte: str) -> None:
        super().__init__(vertices, faces, colors, validate=False)
        self.framed = framed
        self.name = name
        self.matte = matte

    @property
    def mask(self) -> torch.Tensor:
        """(S, S) bool: the framed input's mask."""
        return self.framed[3] > 0.5

    def save_obj(self, path: Union[str, os.PathLike]) -> List[str]:
        """Write the mesh as ``path`` (.obj); with colours, its .mtl and texture atlas beside
        it (named after it), so that it opens coloured in Blender or MeshLab. Atomic.

        Returns:
            The paths written, the .obj last.
        """
        path = os.fspath(path)
        if not path.lower().endswith(".obj"):
            raise ValueError(f"path must end with .obj, got {path!r}")
        vertices, faces = self.vertices[0].detach().cpu(), self.faces[0].cpu()
        if self.color_mode == "texture":
            save_textured_obj(path, vertices, faces, self.colors[0].detach().cpu())
            stem = os.path.splitext(path)[0]
            return [stem + "_texture.png", stem + ".mtl", path]
        save_obj(path, vertices, faces)
        return [path]

    def save_input(self, path: Union[str, os.PathLike]) -> str:
        """Write the framed input (what the model saw) as an RGBA PNG, atomically."""
        return save_png(path, unpremultiply(self.framed.cpu().numpy()))

    def silhouette_iou(self, view: Optional[int] = None) -> Tuple[int, float]:
        """(view, IoU) of the mesh's silhouette against the input's mask: from benchmark
        ``view`` when the input view is known, else from the best-matching view."""
        vertices, mask = self.vertices.detach(), self.mask[None].to(self.vertices.device)
        if view is None:
            views, ious = best_views(vertices, self.faces[0], mask)
            return int(views[0]), float(ious[0])
        return int(view), float(silhouette_iou(vertices, self.faces[0], mask, torch.tensor([int(view)]))[0])


class ImageToMesh:
    """A trained reconstruction model with its framing (``load_model`` makes one).

    Attributes:
        network: the ``ReconstructionModel`` (eval mode).
        framing: the ``Framing`` pictures are put into.
        classes: [(class id, name), ...] the model was trained on.
        provenance: version, commits, iteration (see ``softrecon.predict.model_file``).
        payload: the model-file dict (``export`` writes it).
    """

    def __init__(
        self, payload: Dict[str, Any], device: Union[str, torch.device] = "cpu", path: str = "<model>"
    ) -> None:
        try:
            network = build_model(payload["model"]["config"])
        except ModelConfigError as error:
            raise ModelFileError(f"{path!r}: {error}") from None
        try:
            load_weights(network, payload["model"]["weights"], path)
        except CheckpointError as error:
            raise ModelFileError(str(error)) from None
        self.device = torch.device(device)
        self.network = network.to(self.device).eval()
        self.framing = Framing.from_dict(payload["framing"])
        self.model_size = int(payload["input"]["model_size"])
        self.classes = [tuple(pair) for pair in payload.get("classes", [])]
        self.provenance = dict(payload.get("provenance", {}))
        self.payload = payload
        self.path = path

    @property
    def has_color(self) -> bool:
        """Whether the model predicts colours (textured meshes)."""
        return bool(getattr(self.network, "has_color", False))

    def to(self, device: Union[str, torch.device]) -> "ImageToMesh":
        self.device = torch.device(device)
        self.network.to(self.device)
        return self

    def frame(self, image: Any, tolerance: float = DEFAULT_TOLERANCE, name: Optional[str] = None, as_is: bool = False):
        """(framed (4, S, S) float32 tensor, picture): ``image`` read (``read_picture``)
        and put into the model's framing (``frame_picture``; ``as_is``: only resized)."""
        picture = read_picture(image, tolerance=tolerance, name=name)
        return torch.from_numpy(frame_picture(picture, self.framing, as_is=as_is)), picture

    def reconstruct(
        self, image: Any, tolerance: float = DEFAULT_TOLERANCE, name: Optional[str] = None, as_is: bool = False
    ) -> ReconstructedMesh:
        """One picture -> its mesh (see ``reconstruct_batch``)."""
        names = None if name is None else [name]
        return self.reconstruct_batch([image], tolerance=tolerance, names=names, as_is=as_is)[0]

    def reconstruct_batch(
        self,
        images: Sequence[Any],
        tolerance: float = DEFAULT_TOLERANCE,
        names: Optional[Sequence[str]] = None,
        as_is: bool = False,
    ) -> List[ReconstructedMesh]:
        """Pictures -> meshes, one network call for the batch.

        Args:
            images: paths, PIL images, arrays (H, W, 3|4) or tensors (3|4, H, W); any
                size, RGBA with the background transparent or RGB on a plain background.
            tolerance: the matte tolerance for pictures without alpha (0..1).
            names: labels for messages and ``ReconstructedMesh.name``.
            as_is: the pictures are square renders in the training framing already
                (the dataset's own images): resized, not re-framed.

        Returns:
            One ``ReconstructedMesh`` per picture: vertices (1, V, 3) in the object frame
            (y up, the object inside [-0.5, 0.5]^3; docs/RECONSTRUCT.md), and with a
            colour model (1, F, T, 3) surface textures.

        Raises:
            softrecon.predict.ImageInputError: a picture that cannot be used (names it).
        """
        framed, pictures = [], []
        for index, image in enumerate(images):
            one, picture = self.frame(image, tolerance, None if names is None else names[index], as_is=as_is)
            framed.append(one)
            pictures.append(picture)
        return self.reconstruct_framed(torch.stack(framed), [p.name for p in pictures], [p.matte for p in pictures])

    def reconstruct_framed(
        self, framed: torch.Tensor, names: Sequence[str], mattes: Optional[Sequence[str]] = None
    ) -> List[ReconstructedMesh]:
        """Already framed inputs (N, 4, S, S) float in [0, 1] (e.g. the dataset's own
        images, which are in the framing by construction) -> meshes."""
        if not isinstance(framed, torch.Tensor) or framed.dim() != 4 or framed.shape[1] != 4:
            raise ValueError(f"framed must be a (N, 4, S, S) tensor, got {getattr(framed, 'shape', type(framed))}")
        inputs = framed.to(self.device, torch.float32)
        textures = None
        if self.has_color:
            vertices, textures = run_model(self.network, inputs, self.model_size, with_color=True)
        else:
            vertices = run_model(self.network, inputs, self.model_size)
        faces = self.network.faces
        meshes = []
        for index in range(len(framed)):
            meshes.append(
                ReconstructedMesh(
                    vertices[index : index + 1],
                    faces,
                    None if textures is None else textures[index : index + 1],
                    framed=framed[index].cpu(),
                    name=str(names[index]),
                    matte="alpha" if mattes is None else mattes[index],
                )
            )
        return meshes

    def __repr__(self) -> str:
        return (
            f"ImageToMesh({self.path!r}, iteration={self.provenance.get('iteration')}, "
            f"classes={[name for _, name in self.classes]}, color={self.has_color}, device={self.device})"
        )


def load_model(
    path: Union[str, os.PathLike], device: Union[str, torch.device] = "cpu", data_root: Optional[str] = None
) -> ImageToMesh:
    """A trained model, ready for ``.reconstruct(image)``.

    Args:
        path: an exported model file (``scripts/export_model.py``), a training checkpoint
            or a run folder (its latest checkpoint; the framing is then measured on the
            run's training data, found at the stored folder or ``data_root``).
        device: 'cpu', 'cuda', ... where the network runs.

    Raises:
        softrecon.predict.ModelFileError: the path is missing or not a model (names it).
    """
    path = os.fspath(path)
    return ImageToMesh(read_model_source(path, data_root=data_root), device=device, path=path)
