"""The Hydra configs (YAML), shipped inside the package so that an installed softrecon
composes them from any folder; the repository's top-level ``configs/`` links here."""
