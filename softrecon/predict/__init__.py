"""From a picture to a mesh: trained models in users' hands (docs/RECONSTRUCT.md).

``load_model(path)`` reads an exported model file (``scripts/export_model.py``), a
checkpoint or a run folder; ``.reconstruct(image)`` frames a picture the way the
training data was framed and returns a ``ReconstructedMesh`` (``.save_obj()``).
The commands: ``scripts/reconstruct.py`` (``softrecon.predict.reconstruct``),
``scripts/export_model.py`` (``softrecon.predict.export``), ``scripts/demo.py``
(``softrecon.predict.demo``, needs the ``demo`` extra: Gradio).
"""

from .framing import Framing, frame_picture, measure_framing, protocol_framing
from .images import ImageInputError, Picture, read_picture
from .model_file import MODEL_FORMAT, ModelFileError, export_payload, read_model_source, save_model_file
from .predictor import ImageToMesh, ReconstructedMesh, load_model

__all__ = [
    "MODEL_FORMAT",
    "Framing",
    "ImageInputError",
    "ImageToMesh",
    "ModelFileError",
    "Picture",
    "ReconstructedMesh",
    "export_payload",
    "frame_picture",
    "load_model",
    "measure_framing",
    "protocol_framing",
    "read_model_source",
    "read_picture",
    "save_model_file",
]
