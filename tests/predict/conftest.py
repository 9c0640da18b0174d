"""Session fixtures: tiny trained runs (seconds each) and their exported model files."""

import pytest
from predict_helpers import train_tiny_run


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """(data root, run folder) of a 2-step silhouette run on the tiny box dataset."""
    return train_tiny_run(tmp_path_factory.mktemp("predict_run"))


@pytest.fixture(scope="session")
def tiny_color_run(tmp_path_factory):
    """(data root, run folder) of a 2-step colour run (palette head) on the same data."""
    return train_tiny_run(tmp_path_factory.mktemp("predict_color_run"), color=True)


@pytest.fixture(scope="session")
def tiny_model_file(tiny_run, tmp_path_factory):
    """An exported model file of ``tiny_run``."""
    from softrecon.predict.export import main

    return main([tiny_run[1], "-o", str(tmp_path_factory.mktemp("model") / "model.pt")])
