"""What a SLURM job runs: a function of a script (``ScriptFunction``), guarded for a
child process that handles the stop signals itself (``ChildSignalledCall``)."""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
from typing import Any, Callable, List

from softrecon.runtime.signals import STOP_SIGNALS


class ScriptFunction:
    """``function(*args, **kwargs)`` of the Python file ``script``, loaded by its path in
    the job (a script is no importable module; pickling refers to it by path, so the
    job runs the cluster's checkout of it).

    Args:
        script: path of the .py file.
        function: the name of a function defined there.
    """

    def __init__(self, script: str, function: str, *args: Any, **kwargs: Any) -> None:
        if not os.path.isfile(script):
            raise ValueError(f"script {script!r} is not a file")
        self.script, self.function, self.args, self.kwargs = os.path.abspath(script), function, args, kwargs

    def __call__(self) -> Any:
        name = "_softrecon_job_" + os.path.splitext(os.path.basename(self.script))[0]
        spec = importlib.util.spec_from_file_location(name, self.script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return getattr(module, self.function)(*self.args, **self.kwargs)

    def __repr__(self) -> str:
        return f"ScriptFunction({self.script!r}, {self.function!r})"


class ChildSignalledCall:
    """Runs ``function`` in a job whose work is done by a child process that handles
    SIGTERM / SIGUSR1 / SIGUSR2 itself (``train.py``: a checkpoint, then it requeues the
    job on a time-limit signal). SLURM signals every process of the job; submitit's own
    handler would exit this one at once and kill the child in the middle of its
    checkpoint. So, while ``function`` runs, this process only notes the signals; if one
    came, the job is ending (requeued, preempted or cancelled): it exits with status
    128 + the signal and no result, so that the result read later is the requeued run's.
    """

    def __init__(self, function: Callable[[], Any]) -> None:
        self.function = function

    def __call__(self) -> Any:
        received: List[int] = []
        previous = {signum: signal.signal(signum, lambda s, frame: received.append(s)) for signum in STOP_SIGNALS}
        try:
            result = self.function()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        if received:
            print(f"job interrupted by signal {received[0]}: no result; SLURM requeues or ends it", file=sys.stderr)
            sys.exit(128 + received[0])
        return result

    def __repr__(self) -> str:
        return f"ChildSignalledCall({self.function!r})"
