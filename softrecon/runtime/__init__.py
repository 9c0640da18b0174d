"""The process a run lives in: devices and the DDP set-up (``distributed``), RNG state
(``rng``) and phase timing (``timing``). No files, no configs of runs."""
