"""Single-view reconstruction networks."""

from .decoder import TemplateDecoder
from .encoder import Encoder
from .reconstruction import ReconstructionModel
from .registry import MODEL_CLASSES, ModelConfigError, build_model, model_arguments

__all__ = ["Encoder", "MODEL_CLASSES", "ModelConfigError", "ReconstructionModel", "TemplateDecoder", "build_model", "model_arguments"]
