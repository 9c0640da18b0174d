"""Two-process DistributedDataParallel training on CPU (gloo)."""

import os
import socket

import torch
import torch.multiprocessing as mp

from softrecon.config import compose_config
from softrecon.training import Trainer, list_checkpoints

from conftest import tiny_overrides

WORLD_SIZE = 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _worker(rank: int, port: int, overrides: list, out_dir: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(WORLD_SIZE))
    torch.set_num_threads(1)
    trainer = Trainer(compose_config("train", overrides))
    trainer.fit()
    parameters = {name: p.detach() for name, p in trainer.model.named_parameters()}
    torch.save({"weights": parameters, "step": trainer.sampler.step, "rank": trainer.context.rank},
               os.path.join(out_dir, f"rank{rank}.pt"))
    torch.distributed.destroy_process_group()


def test_two_process_ddp_step_on_cpu(tiny_dataset, tmp_path):
    run_dir = str(tmp_path / "run")
    overrides = tiny_overrides(tiny_dataset, run_dir, iterations=2, **{"data.batch_size": 4, "trainer.checkpoint_every": 1})
    mp.spawn(_worker, args=(_free_port(), overrides, str(tmp_path)), nprocs=WORLD_SIZE, join=True)
    results = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in range(WORLD_SIZE)]
    assert [r["rank"] for r in results] == [0, 1] and all(r["step"] == 2 for r in results)
    # Gradients are all-reduced: every rank ends with the same parameters. (BatchNorm
    # running statistics are per rank; DDP broadcasts rank 0's before each forward.)
    for name, value in results[0]["weights"].items():
        assert torch.equal(value, results[1]["weights"][name]), name
    # Rank 0 alone wrote checkpoints (last K = 3 kept), and they hold rank 0's weights.
    checkpoints = list_checkpoints(os.path.join(run_dir, "checkpoints"))
    assert [os.path.basename(p) for p in checkpoints] == ["step_000000001.pt", "step_000000002.pt"]
    state = torch.load(checkpoints[-1], weights_only=True)
    assert state["world_size"] == WORLD_SIZE
    for name, value in results[0]["weights"].items():
        assert torch.equal(value, state["model"][name]), name
