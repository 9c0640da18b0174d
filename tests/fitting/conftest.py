import pytest
import torch


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Run the fitting tests on one intra-op thread: on a busy 2-core machine the
    default (2 threads) was measured 10 to 20 times slower on these tiny renders, as
    the threads wait on each other under load."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
