"""Two-process DistributedDataParallel training on CPU (gloo), and its exact resume."""

import os
import socket

import torch
import torch.multiprocessing as mp
from tiny_runs import tiny_overrides

from softrecon.config import compose_config
from softrecon.training import Trainer, list_checkpoints

WORLD_SIZE = 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _parameters(trainer):
    return {name: p.detach().clone() for name, p in trainer.model.named_parameters()}


def _worker(rank: int, port: int, dataset: str, tmp: str) -> None:
    os.environ.update(
        MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(WORLD_SIZE)
    )
    torch.set_num_threads(1)
    extra = {"data.batch_size": 4, "trainer.checkpoint_every": 1}

    def run(name, iterations, *more):
        trainer = Trainer(
            compose_config("train", tiny_overrides(dataset, os.path.join(tmp, name), iterations, **extra) + list(more))
        )
        trainer.fit()
        return trainer

    straight = run("straight", 3)
    run("resumed", 1)
    resumed = run("resumed", 3, "resume=true")
    torch.save(
        {
            "straight": _parameters(straight),
            "resumed": _parameters(resumed),
            "step": resumed.sampler.step,
            "rank": resumed.context.rank,
        },
        os.path.join(tmp, f"rank{rank}.pt"),
    )
    torch.distributed.destroy_process_group()


def test_two_process_ddp_training_and_exact_resume_on_cpu(tiny_dataset, tmp_path):
    mp.spawn(_worker, args=(_free_port(), tiny_dataset, str(tmp_path)), nprocs=WORLD_SIZE, join=True)
    results = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in range(WORLD_SIZE)]
    assert [r["rank"] for r in results] == [0, 1] and all(r["step"] == 3 for r in results)
    straight = results[0]["straight"]
    for name, value in straight.items():
        # Gradients are all-reduced: every rank ends with the same parameters. (BatchNorm
        # running statistics are per rank; DDP broadcasts rank 0's before each forward.)
        assert torch.equal(value, results[1]["straight"][name]), name
        # 1 + 2 iterations with a restart equal 3 straight ones, on every rank.
        for r in range(WORLD_SIZE):
            assert torch.equal(value, results[r]["resumed"][name]), (r, name)
    # Rank 0 alone wrote checkpoints (last K = 3 kept), and they hold rank 0's weights.
    checkpoints = list_checkpoints(str(tmp_path / "straight" / "checkpoints"))
    assert [os.path.basename(p) for p in checkpoints] == ["step_000000001.pt", "step_000000002.pt", "step_000000003.pt"]
    state = torch.load(checkpoints[-1], weights_only=True)
    assert state["world_size"] == WORLD_SIZE
    for name, value in straight.items():
        assert torch.equal(value, state["model"][name]), name
