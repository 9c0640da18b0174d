"""Reading the multi-view dataset: the file layout, NMR npz / HDF5 readers, class names,
view-pair sampling (docs/DATA.md). Building datasets (rendering, voxelizing, writing,
the synthetic default dataset) is ``softrecon.dataset_builders``; reading imports neither the
renderer nor the voxelizer nor mesh I/O."""

from .classes import CLASS_NAMES, SHAPENET_CLASS_NAMES, SYNTHETIC_CLASS_NAMES, class_name
from .dataset import MultiViewDataset
from .layout import NUM_VIEWS, SPLITS, hdf5_path, images_npz_path, voxels_npz_path
from .sampling import ViewPairSampler, iterate_views

__all__ = [
    "CLASS_NAMES",
    "MultiViewDataset",
    "NUM_VIEWS",
    "SHAPENET_CLASS_NAMES",
    "SPLITS",
    "SYNTHETIC_CLASS_NAMES",
    "ViewPairSampler",
    "class_name",
    "hdf5_path",
    "images_npz_path",
    "iterate_views",
    "voxels_npz_path",
]
