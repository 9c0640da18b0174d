"""``softrecon-train`` from a clone: ``python train.py [overrides]`` (``--help`` lists the
config groups and presets; docs/TRAINING.md explains them). The code is
softrecon/cli/train.py; ``torchrun --nproc_per_node=2 train.py`` runs it under DDP."""

from softrecon.cli.train import main

if __name__ == "__main__":
    main()
