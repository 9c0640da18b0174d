"""The ShapeNet benchmark protocol (docs/METHOD.md sections 5-7), each number once.

The NMR renders that single-view reconstruction papers train and evaluate on fix the
cameras, the image and voxel sizes and the classes; every module that needs one of
these reads it from here (the renderer's ``benchmark_camera``, the dataset layout, the
class names, the fitting views, the evaluation report). This module imports nothing
from softrecon: it is the bottom layer.
"""

from __future__ import annotations

from typing import Tuple

# Cameras (docs/METHOD.md section 5): eye on a sphere of radius CAMERA_DISTANCE at ELEVATION
# degrees, azimuth AZIMUTH_STEP * k for view k (the minus sign is how the reference
# loader maps view index to azimuth), looking at the origin with up +y, perspective
# with a VIEWING_ANGLE degree half-angle (a 30 degree field of view).
NUM_VIEWS = 24
CAMERA_DISTANCE = 2.732
ELEVATION = 30.0
AZIMUTH_STEP = -15.0
VIEWING_ANGLE = 15.0

# Images and voxels of the NMR renders (docs/METHOD.md sections 6-7).
IMAGE_SIZE = 64  # pixels per side of the stored images
RGB_CHANNELS = 3  # images are RGB then alpha, channels first
ALPHA_CHANNEL = 3  # index of the alpha (mask) channel
VOXEL_RESOLUTION = 32  # ground-truth occupancy grids are VOXEL_RESOLUTION^3
SPLITS = ("train", "val", "test")

# The 13 ShapeNetCore v1 synsets of the benchmark (docs/METHOD.md section 6), in the usual order.
SHAPENET_CLASSES: Tuple[Tuple[str, str], ...] = (
    ("02691156", "airplane"),
    ("02828884", "bench"),
    ("02933112", "cabinet"),
    ("02958343", "car"),
    ("03001627", "chair"),
    ("03211117", "display"),
    ("03636649", "lamp"),
    ("03691459", "loudspeaker"),
    ("04090263", "rifle"),
    ("04256520", "sofa"),
    ("04379243", "table"),
    ("04401088", "telephone"),
    ("04530566", "watercraft"),
)
SHAPENET_CLASS_IDS: Tuple[str, ...] = tuple(class_id for class_id, _ in SHAPENET_CLASSES)
