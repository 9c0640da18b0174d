"""Single-view reconstruction networks."""

from .color_head import ColorPrediction, PaletteColorHead
from .decoder import TemplateDecoder
from .encoder import Encoder
from .reconstruction import ReconstructionModel

__all__ = ["ColorPrediction", "Encoder", "PaletteColorHead", "ReconstructionModel", "TemplateDecoder"]
