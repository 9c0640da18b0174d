"""Building multi-view datasets: the shared build path (render 24 views, voxelize, write),
the one writer, mesh sources, procedural primitives, the synthetic default dataset and
the real-CAD builder (docs/DATA.md). Reading is ``softrecon.datasets``."""

from .pipeline import IMAGE_SIZES, BuildOptions, BuildReport, BuildTask, ObjectRecord, build_object, run_build
from .render import render_benchmark_views
from .synthetic import DEFAULT_ROOT, SyntheticConfig, ensure_default_dataset, generate_synthetic_dataset
from .writer import FORMATS, SplitWriter, write_split

__all__ = [
    "BuildOptions",
    "BuildReport",
    "BuildTask",
    "DEFAULT_ROOT",
    "FORMATS",
    "IMAGE_SIZES",
    "ObjectRecord",
    "SplitWriter",
    "SyntheticConfig",
    "build_object",
    "ensure_default_dataset",
    "generate_synthetic_dataset",
    "render_benchmark_views",
    "run_build",
    "write_split",
]
