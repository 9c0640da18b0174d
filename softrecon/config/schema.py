"""Typed schemas of the training and evaluation configs, registered in Hydra's ConfigStore.

``configs/train.yaml`` and ``configs/eval.yaml`` start their defaults lists with
``train_schema`` / ``eval_schema``: every group file is merged into these dataclasses,
so a misspelt key or a value of the wrong type fails when the config is composed,
before any data is read. Interpolations (``${data.image_size}``) tie the few values
that several groups need to one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import II, MISSING


@dataclass
class DataConfig:
    """Where the multi-view images come from and how they are batched."""

    root: str = MISSING  # folder of {class}_{split}_images.npz / voxels.npz (or HDF5)
    synthetic: bool = False  # build the embedded synthetic dataset into ``root`` if absent
    class_ids: Optional[List[str]] = None  # None: every class found in ``root``
    fmt: str = "auto"  # 'auto' | 'npz' | 'hdf5'
    train_split: str = "train"
    val_split: str = "val"
    eval_split: str = "test"
    image_size: int = 64  # side the network sees; stored images are area-resized to it
    batch_size: int = 64  # global batch of view pairs (divided among DDP ranks)
    view_pairs: str = "distinct"  # 'distinct' (a != b) | 'independent' (the reference code's draw)
    eval_batch_size: int = 64  # images per forward pass in evaluation


@dataclass
class ModelConfig:
    """Arguments of ``softrecon.models.ReconstructionModel``; built by ``softrecon.models.build_model``
    (``_target_`` is looked up among the project's own classes, never imported)."""

    _target_: str = "softrecon.models.ReconstructionModel"
    _convert_: str = "all"
    image_size: int = II("data.image_size")
    in_channels: int = 4
    template_level: int = 3  # icosphere level: 3 = 642 vertices / 1280 faces
    template_scale: float = 0.5
    template_orientation: str = "axes"  # 'axes' | 'softras' (Blender's icosphere, SoftRas' template)
    centroid_scale: float = 0.1
    encoder_channels: List[int] = field(default_factory=lambda: [64, 128, 256])
    encoder_fc: List[int] = field(default_factory=lambda: [1024, 1024, 512])
    decoder_fc: List[int] = field(default_factory=lambda: [1024, 2048])
    palette_size: int = 0  # colour head's palette (0: silhouette-only model; the paper's colour model: 10 to 20)
    texture_resolution: int = 1  # colour head: R x R texels per face


@dataclass
class RendererConfig:
    """Arguments of ``softrecon.renderer.RasterSettings`` for the training silhouettes."""

    _target_: str = "softrecon.renderer.RasterSettings"
    image_size: int = II("data.image_size")
    sigma: float = 1e-4  # initial blur; multiplied by schedule.decay_factor at schedule.decay_at
    dist_eps: float = 1e-10
    dist_func: str = "euclidean"
    dist_cdf: str = "logistic"  # GenDR alternatives: gaussian | laplace | cauchy | gumbel_max | gumbel_min
    aggr_alpha: str = "prod"  # or sum | max | einstein | hamacher (GenDR T-conorms)
    aggr_rgb: str = "softmax"  # colour renders of the colour model ('softmax' as SoftRas, or 'hard')
    gamma: float = 1e-4  # depth-softmax temperature of the colour renders (SoftRas' default)
    near: float = 1.0
    far: float = 100.0


@dataclass
class LossConfig:
    """Weights of the loss terms (SPEC section 7)."""

    iou: float = 1.0  # multi-view soft IoU (4 silhouettes per pair)
    laplacian: float = 5e-3
    flatten: float = 5e-4
    color: float = 0.0  # colour L1 of the 4 RGB renders per pair (colour model only)
    color_laplacian: float = 0.0  # smoothness of the textures over adjacent faces (colour model only)


@dataclass
class OptimConfig:
    """Optimizer, instantiated by Hydra as a partial (the parameters are added later)."""

    _target_: str = "torch.optim.Adam"
    _partial_: bool = True
    _convert_: str = "all"  # plain lists (betas), so optimizer state loads with weights_only
    lr: float = 1e-4
    betas: List[float] = field(default_factory=lambda: [0.9, 0.999])
    weight_decay: float = 0.0


@dataclass
class ScheduleConfig:
    """Step schedule of lr (``optim.lr``) and sigma (``renderer.sigma``), read by
    ``softrecon.runs.schedule.scheduled`` in training and evaluation alike."""

    decay_at: List[int] = field(default_factory=lambda: [150000])  # iterations where lr and sigma are scaled
    decay_factor: float = 0.3


@dataclass
class TrainerConfig:
    """The loop: length, seed, intervals, device."""

    iterations: int = 250000
    seed: int = 0
    device: str = "auto"  # 'auto' (cuda if available) | 'cpu' | 'cuda'
    checkpoint_every: int = 1000  # iterations; killing loses at most this much work
    keep_checkpoints: int = 3  # the last K are kept (plus last.pt)
    log_every: int = 50  # TensorBoard scalars
    image_every: int = 1000  # TensorBoard image grids
    mesh_every: int = 5000  # .obj meshes under <run>/meshes
    val_every: int = 5000  # cheap validation voxel IoU (0: never)
    val_objects: int = 8  # objects per class used by that validation
    num_threads: int = 0  # torch CPU threads (0: torch's default)
    deterministic: bool = False  # torch.use_deterministic_algorithms (slower on GPU)
    # Time each phase of the step (perf/fraction_* scalars). Free on a CPU, where phases
    # are always timed; on a GPU it synchronizes around every phase, so it is off unless set.
    profile: bool = False


@dataclass
class LoggingConfig:
    """What is shown and written while training."""

    progress: bool = True  # tqdm bar
    tensorboard: bool = True
    mesh_samples: int = 4  # meshes written each mesh_every


@dataclass
class PathsConfig:
    """Folders. ``run_dir`` null: Hydra's output folder, or outputs/<time> without Hydra."""

    root_dir: str = "."
    data_dir: str = "${paths.root_dir}/data"
    log_dir: str = "${paths.root_dir}/outputs"
    run_dir: Optional[str] = None


@dataclass
class TrainConfig:
    """Top-level training config (``configs/train.yaml``)."""

    task_name: str = "train"
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    renderer: RendererConfig = field(default_factory=RendererConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    paths: PathsConfig = field(default_factory=PathsConfig)
    resume: bool = False  # continue from the latest checkpoint in paths.run_dir
    ckpt_path: Optional[str] = None  # continue from this checkpoint (file or run folder)


@dataclass
class EvalConfig:
    """Top-level evaluation config (``configs/eval.yaml``); the model comes from the checkpoint."""

    task_name: str = "eval"
    ckpt_path: str = MISSING  # checkpoint file, or a run folder (its latest checkpoint)
    data: DataConfig = field(default_factory=DataConfig)
    paths: PathsConfig = field(default_factory=PathsConfig)
    split: str = II("data.eval_split")
    max_objects: Optional[int] = None  # per class; None: all (quick looks only)
    chamfer: bool = True  # also Chamfer distance and F-score against the GT voxel surface
    fscore_threshold: float = 0.03  # object-frame distance of the F-score (about one voxel, 1/31)
    device: str = "auto"
    progress: bool = True


def register_configs() -> None:
    """Register the schemas (idempotent); called on import of ``softrecon.config``."""
    store = ConfigStore.instance()
    store.store(name="train_schema", node=TrainConfig)
    store.store(name="eval_schema", node=EvalConfig)


register_configs()
