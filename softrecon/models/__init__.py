"""Single-view reconstruction networks."""

from .color_head import ColorPrediction, PaletteColorHead
from .decoder import TemplateDecoder
from .encoder import Encoder
from .reconstruction import ReconstructionModel
from .registry import MODEL_CLASSES, ModelConfigError, build_model, model_arguments

__all__ = [
    "MODEL_CLASSES",
    "ColorPrediction",
    "Encoder",
    "ModelConfigError",
    "PaletteColorHead",
    "ReconstructionModel",
    "TemplateDecoder",
    "build_model",
    "model_arguments",
]
