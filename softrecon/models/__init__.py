"""Single-view reconstruction networks."""

from .decoder import TemplateDecoder
from .encoder import Encoder
from .reconstruction import ReconstructionModel

__all__ = ["Encoder", "ReconstructionModel", "TemplateDecoder"]
