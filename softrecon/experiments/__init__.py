"""Experiments made of several runs: the paper's tables, one module a job: ``catalogue``
(tables and rows), ``budgets`` (presets and measured costs, ``budgets.yaml``),
``run_folder`` (a run on disk, ``RunState``), ``planning``, ``drift``, ``collect``,
``render``, ``statistics``; the fitting table (``fitting_table``: fits, not training runs); their runs as SLURM jobs (``cluster_runs``)."""
