"""The process a run lives in: devices and the DDP set-up under torchrun or SLURM
(``distributed``), RNG state (``rng``), phase timing (``timing``) and the preemption /
time-limit signals (``signals``). No files, no configs of runs."""
