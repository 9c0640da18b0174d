"""The multi-view dataset: NMR npz / HDF5 readers, the one writer, view-pair sampling,
the shared build path and the synthetic default dataset (docs/DATA.md)."""

from .build import BuildOptions, BuildReport, BuildTask, ObjectRecord, build_object, run_build
from .classes import CLASS_NAMES, SHAPENET_CLASS_NAMES, SYNTHETIC_CLASS_NAMES, class_name
from .dataset import MultiViewDataset
from .layout import NUM_VIEWS, SPLITS, hdf5_path, images_npz_path, voxels_npz_path
from .render import render_benchmark_views
from .sampling import ViewPairSampler, iterate_views
from .synthetic import DEFAULT_ROOT, SyntheticConfig, ensure_default_dataset, generate_synthetic_dataset
from .writer import FORMATS, SplitWriter, write_split

__all__ = [
    "BuildOptions",
    "BuildReport",
    "BuildTask",
    "CLASS_NAMES",
    "DEFAULT_ROOT",
    "FORMATS",
    "MultiViewDataset",
    "NUM_VIEWS",
    "ObjectRecord",
    "SHAPENET_CLASS_NAMES",
    "SPLITS",
    "SYNTHETIC_CLASS_NAMES",
    "SplitWriter",
    "SyntheticConfig",
    "ViewPairSampler",
    "build_object",
    "class_name",
    "ensure_default_dataset",
    "generate_synthetic_dataset",
    "hdf5_path",
    "images_npz_path",
    "iterate_views",
    "render_benchmark_views",
    "run_build",
    "voxels_npz_path",
    "write_split",
]
