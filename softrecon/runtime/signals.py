"""Preemption and time limits: a signal asks training to stop at the next iteration
boundary, write a checkpoint of that iteration and exit (requeued under SLURM).

What the schedulers send before they kill a job:

- ``SIGTERM``: preemption, ``scontrol requeue``, ``scancel``, Kubernetes. The scheduler
  decides what happens next (requeue or not); training saves and exits.
- ``SIGUSR1`` / ``SIGUSR2``: the time-limit warning of ``sbatch --signal=USR1@120``
  (``SIGUSR2`` is submitit's). The job will not be requeued by anyone else: after its
  checkpoint, training requeues its own SLURM job (``scontrol requeue $SLURM_JOB_ID``),
  or hands the signal to the handler that was installed before (submitit's, which
  resubmits through its checkpointing protocol and exits).

The handler only sets a flag (``StopRequest``); the loop reads it once per iteration
(a Python attribute, no host-device synchronization). Under DDP the ranks agree on the
iteration to stop at through ``StopAgreement``: an asynchronous all-reduce (max) of the
flags on a CPU (gloo) group, launched at one boundary and read at the next, so nothing
waits for it and every rank stops after the same iteration, one iteration after the
first rank saw its signal.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import warnings
from typing import Callable, Dict, Optional

import torch
import torch.distributed as dist

from .distributed import DistContext

STOP_SIGNALS = (signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2)
TIME_LIMIT_SIGNALS = (signal.SIGUSR1, signal.SIGUSR2)  # nobody else requeues the job


class Interrupted(SystemExit):
    """Training stopped on a signal after writing its checkpoint. The exit status is
    128 + the signal's number (143 for SIGTERM), as for a process ended by the signal:
    the run is not finished, and a script or scheduler must not take it for done."""

    def __init__(self, signum: int, message: str) -> None:
        super().__init__(128 + signum)
        self.signum = signum
        self.message = message


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


class StopRequest:
    """The flag that the stop signals set. ``install()`` replaces their handlers (main
    thread only), ``uninstall()`` restores the previous ones.

    Args:
        signals: the signal numbers to catch (default ``STOP_SIGNALS``).
    """

    def __init__(self, signals=STOP_SIGNALS) -> None:
        self.signals = tuple(signals)
        self.signum: Optional[int] = None  # the first stop signal received
        self._previous: Dict[int, object] = {}  # kept after uninstall: hand_over reads it
        self.installed = False

    def _handle(self, signum: int, frame) -> None:
        if self.signum is None:
            self.signum = signum
            # One line on stderr: tells the job's log why training is about to stop.
            print(
                f"softrecon: received {signal_name(signum)}: checkpoint at the next iteration, then exit",
                file=sys.stderr,
                flush=True,
            )

    def install(self) -> "StopRequest":
        """Catch the stop signals. Outside the main thread (signals cannot be caught
        there) this warns and catches nothing."""
        if self.installed:
            return self
        if threading.current_thread() is not threading.main_thread():
            warnings.warn("not in the main thread: SIGTERM/SIGUSR1 will not checkpoint before exiting")
            return self
        for signum in self.signals:
            self._previous[signum] = signal.signal(signum, self._handle)
        self.installed = True
        return self

    def uninstall(self) -> None:
        """Restore the handlers that were there before ``install``."""
        if not self.installed:
            return
        for signum, previous in self._previous.items():
            signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
        self.installed = False

    def previous_handler(self, signum: int):
        """The handler of ``signum`` before ``install`` (also after ``uninstall``)."""
        return self._previous.get(signum)

    def __enter__(self) -> "StopRequest":
        return self.install()

    def __exit__(self, *exc) -> None:
        self.uninstall()


class StopAgreement:
    """Whether training stops after the current iteration, the same answer on every rank.

    One process: the local flag. DDP: each ``should_stop`` reads the all-reduce launched
    by the previous call and launches the next one (on a gloo group of its own, so a
    NCCL job's GPU stream is never waited on). Every rank must construct it, in the same
    order with respect to other process-group creations, and call ``should_stop`` once
    per iteration and ``close`` at the end.
    """

    def __init__(self, request: StopRequest, context: DistContext) -> None:
        self.request = request
        self.context = context
        self._group = dist.new_group(backend="gloo") if context.distributed else None
        self._flag: Optional[torch.Tensor] = None
        self._work = None

    def _collect(self) -> int:
        if self._work is None:
            return 0
        self._work.wait()
        self._work = None
        return int(self._flag.item())  # a CPU tensor: no device synchronization

    def should_stop(self) -> Optional[int]:
        """The stop signal's number when every rank is to stop now, else None."""
        if not self.context.distributed:
            return self.request.signum
        agreed = self._collect()
        if agreed:
            return agreed
        self._flag = torch.tensor([self.request.signum or 0], dtype=torch.int64)
        self._work = dist.all_reduce(self._flag, op=dist.ReduceOp.MAX, group=self._group, async_op=True)
        return None

    def close(self) -> None:
        """Wait for the last all-reduce in flight (every rank launched the same ones)."""
        try:
            self._collect()
        except RuntimeError:  # a peer is gone: the job is ending anyway
            self._work = None


def slurm_job_id(environ=os.environ) -> Optional[str]:
    """The SLURM job to requeue (an array task's own id), or None outside SLURM."""
    if environ.get("SLURM_ARRAY_JOB_ID") and environ.get("SLURM_ARRAY_TASK_ID"):
        return f"{environ['SLURM_ARRAY_JOB_ID']}_{environ['SLURM_ARRAY_TASK_ID']}"
    return environ.get("SLURM_JOB_ID") or None


def requeued_slurm_job(environ=os.environ) -> bool:
    """Whether this process belongs to a SLURM job that was requeued at least once."""
    try:
        return int(environ.get("SLURM_RESTART_COUNT", "0")) > 0
    except ValueError:
        return False


def requeue_slurm_job(job_id: str, run: Callable = subprocess.run) -> bool:
    """``scontrol requeue <job_id>``; False (with a warning) when it fails, e.g. a job
    submitted without ``--requeue`` on a cluster whose default is no requeue."""
    try:
        result = run(["scontrol", "requeue", job_id], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as error:
        warnings.warn(f"could not requeue SLURM job {job_id}: {error}")
        return False
    if result.returncode != 0:
        warnings.warn(f"could not requeue SLURM job {job_id}: {result.stderr.strip() or result.stdout.strip()}")
        return False
    return True


def hand_over(request: StopRequest, signum: int, is_main: bool, where: str) -> Interrupted:
    """After the checkpoint is written: pass the signal on, and return the exception to
    raise.

    A Python handler installed before ours (submitit's) is called with the signal: it
    resubmits and exits itself. Otherwise a time-limit signal in a SLURM job makes the
    main rank requeue the job. ``where`` says what was saved (for the message).
    """
    previous = request.previous_handler(signum)
    message = f"stopped by {signal_name(signum)}: {where}"
    if callable(previous):
        previous(signum, None)  # may raise SystemExit (submitit requeues, then exits)
    elif signum in TIME_LIMIT_SIGNALS and is_main:
        job = slurm_job_id()
        if job is not None and requeue_slurm_job(job):
            message += f"; SLURM job {job} requeued"
    return Interrupted(signum, message)
