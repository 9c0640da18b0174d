"""Typed schemas of the training and evaluation configs, registered in Hydra's ConfigStore.

``configs/train.yaml`` and ``configs/eval.yaml`` start their defaults lists with
``train_schema`` / ``eval_schema``: every group file is merged into these dataclasses,
so a misspelt key or a value of the wrong type fails when the config is composed,
before any data is read. Interpolations (``${data.image_size}``) tie the few values
that several groups need to one place.

The schemas hold types, not values: every value lives in the group's YAML file
(``configs/<group>/<option>.yaml``), and a field is ``MISSING`` here when a YAML sets it.
A field keeps a default only when no YAML sets it (then the default is its one home).
docs/CONFIG.md says where each number lives; ``tests/config/test_config_homes.py``
keeps it so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING


@dataclass
class DataConfig:
    """Where the multi-view images come from and how they are batched."""

    root: str = MISSING  # folder of {class}_{split}_images.npz / voxels.npz (or HDF5)
    synthetic: bool = MISSING  # build the embedded synthetic dataset into ``root`` if absent
    class_ids: Optional[List[str]] = MISSING  # None: every class found in ``root``
    fmt: str = MISSING  # 'auto' | 'npz' | 'hdf5'
    train_split: str = MISSING
    val_split: str = MISSING
    eval_split: str = MISSING
    image_size: int = MISSING  # side the network sees; stored images are area-resized to it
    batch_size: int = MISSING  # global batch of view pairs (divided among DDP ranks)
    view_pairs: str = "distinct"  # 'distinct' (a != b) | 'independent' (the reference code's draw)
    eval_batch_size: int = MISSING  # images per forward pass in evaluation


@dataclass
class ModelConfig:
    """Arguments of ``softrecon.models.ReconstructionModel``; built by ``softrecon.models.build_model``
    (``_target_`` is looked up among the project's own classes, never imported)."""

    _target_: str = MISSING
    _convert_: str = MISSING
    image_size: int = MISSING
    in_channels: int = MISSING
    template_level: int = MISSING  # icosphere level: 3 = 642 vertices / 1280 faces
    template_scale: float = MISSING
    template_orientation: str = MISSING  # 'axes' | 'softras' (Blender's icosphere, SoftRas' template)
    centroid_scale: float = MISSING
    encoder_channels: List[int] = MISSING
    encoder_fc: List[int] = MISSING
    decoder_fc: List[int] = MISSING
    palette_size: int = MISSING  # colour head's palette (0: silhouette-only model; the paper's colour model: 10 to 20)
    texture_resolution: int = MISSING  # colour head: R x R texels per face


@dataclass
class RendererConfig:
    """Arguments of ``softrecon.renderer.RasterSettings`` for the training silhouettes."""

    _target_: str = MISSING
    image_size: int = MISSING
    sigma: float = MISSING  # initial blur; multiplied by schedule.decay_factor at schedule.decay_at
    dist_eps: float = MISSING
    dist_func: str = MISSING
    dist_cdf: str = MISSING  # GenDR alternatives: see RasterSettings.dist_cdf (17 distributions)
    aggr_alpha: str = (
        MISSING  # or sum | max | einstein | hamacher | frank | yager | aczel_alsina | dombi | schweizer_sklar
    )
    aggr_rgb: str = MISSING  # colour renders of the colour model ('softmax' as SoftRas, or 'hard')
    gamma: float = MISSING  # depth-softmax temperature of the colour renders (SoftRas' default)
    near: float = MISSING
    far: float = MISSING
    dist_squared: bool = True  # x = +-d^2 / sigma (SoftRas) or +-d / sigma (GenDR's unsquared variant)
    dist_shape: float = 2.0  # the gamma distributions' shape
    dist_shift: Optional[float] = None  # the one-sided distributions' shift (None: the distribution's default)
    tconorm_p: Optional[float] = None  # the parametrised T-conorms' parameter (None: the T-conorm's default)
    cutoff_logit: Optional[float] = None  # GenDR's cut-off |x| < cutoff_logit (None: dist_eps's alone, exact)


@dataclass
class LossConfig:
    """Weights of the loss terms (docs/METHOD.md section 7)."""

    iou: float = MISSING  # multi-view soft IoU (4 silhouettes per pair)
    laplacian: float = MISSING
    flatten: float = MISSING
    color: float = MISSING  # colour L1 of the 4 RGB renders per pair (colour model only)
    color_laplacian: float = MISSING  # smoothness of the textures over adjacent faces (colour model only)


@dataclass
class OptimConfig:
    """Optimizer, instantiated by Hydra as a partial (the parameters are added later)."""

    _target_: str = MISSING
    _partial_: bool = MISSING
    _convert_: str = MISSING  # plain lists (betas), so optimizer state loads with weights_only
    lr: float = MISSING
    betas: List[float] = MISSING
    weight_decay: float = MISSING


@dataclass
class ScheduleConfig:
    """Step schedule of lr (``optim.lr``) and sigma (``renderer.sigma``), read by
    ``softrecon.config.schedule.scheduled`` in training and evaluation alike."""

    decay_at: List[int] = MISSING  # iterations where lr and sigma are scaled
    decay_factor: float = MISSING


@dataclass
class TrainerConfig:
    """The loop: length, seed, intervals, device."""

    iterations: int = MISSING
    seed: int = MISSING
    device: str = MISSING  # 'auto' (cuda if available) | 'cpu' | 'cuda'
    checkpoint_every: int = MISSING  # iterations; killing loses at most this much work
    keep_checkpoints: int = MISSING  # the last K are kept (plus last.pt)
    log_every: int = MISSING  # TensorBoard scalars
    image_every: int = MISSING  # TensorBoard image grids
    mesh_every: int = MISSING  # .obj meshes under <run>/meshes
    val_every: int = MISSING  # cheap validation voxel IoU (0: never)
    val_objects: int = MISSING  # objects per class used by that validation
    num_threads: int = MISSING  # torch CPU threads (0: torch's default)
    deterministic: bool = MISSING  # torch.use_deterministic_algorithms (slower on GPU)
    # Time each phase of the step (perf/fraction_* scalars). Free on a CPU, where phases
    # are always timed; on a GPU it synchronizes around every phase, so it is off unless set.
    profile: bool = MISSING


@dataclass
class LoggingConfig:
    """What is shown and written while training."""

    progress: bool = MISSING  # tqdm bar
    tensorboard: bool = MISSING
    mesh_samples: int = MISSING  # meshes written each mesh_every


@dataclass
class CallbacksConfig:
    """The training loop's callbacks (``configs/callbacks/``)."""

    # Names of ``softrecon.training.callbacks.CALLBACKS``, in the order they act on an
    # iteration; the checkpoint last. Checked at start-up (an unknown name fails).
    enabled: List[str] = MISSING


@dataclass
class PathsConfig:
    """Folders. ``run_dir`` null: Hydra's output folder, or outputs/<time> without Hydra."""

    root_dir: str = MISSING
    data_dir: str = MISSING
    log_dir: str = MISSING
    run_dir: Optional[str] = MISSING


@dataclass
class TrainConfig:
    """Top-level training config (``configs/train.yaml``)."""

    task_name: str = MISSING
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    renderer: RendererConfig = field(default_factory=RendererConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    callbacks: CallbacksConfig = field(default_factory=CallbacksConfig)
    paths: PathsConfig = field(default_factory=PathsConfig)
    resume: bool = MISSING  # continue from the latest checkpoint in paths.run_dir
    ckpt_path: Optional[str] = MISSING  # continue from this checkpoint (file or run folder)


@dataclass
class EvalConfig:
    """Top-level evaluation config (``configs/eval.yaml``); the model comes from the checkpoint."""

    task_name: str = MISSING
    ckpt_path: str = MISSING  # checkpoint file, or a run folder (its latest checkpoint)
    data: DataConfig = field(default_factory=DataConfig)
    paths: PathsConfig = field(default_factory=PathsConfig)
    split: str = MISSING
    max_objects: Optional[int] = MISSING  # per class; None: all (quick looks only)
    chamfer: bool = MISSING  # also Chamfer distance and F-score against the GT voxel surface
    fscore_threshold: float = MISSING  # object-frame distance of the F-score (about one voxel, 1/31)
    device: str = MISSING
    progress: bool = MISSING


def register_configs() -> None:
    """Register the schemas (idempotent); called on import of ``softrecon.config``."""
    store = ConfigStore.instance()
    store.store(name="train_schema", node=TrainConfig)
    store.store(name="eval_schema", node=EvalConfig)


register_configs()
