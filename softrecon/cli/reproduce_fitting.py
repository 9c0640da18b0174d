"""``softrecon-reproduce --table fitting``: the fitting table (shape and pose fitting with
each renderer on shipped meshes; ``softrecon.experiments.fitting_table``).

    softrecon-reproduce --table fitting                     # quick budget, seeds 0,1,2
    softrecon-reproduce --table fitting --dry-run           # the runs it would make
    softrecon-reproduce --table fitting --collect           # the table from the runs there

The runs go to <out>/fitting/<budget>/<case>/<renderer>/seed<k>/ (each a fit's own run
folder: mesh, metrics.json, fit.log); the table to <out>/fitting/<budget>/table.{md,csv}.
The ``--data`` and ``--split`` options of the training tables do not apply (the targets are
the shipped meshes). ``--rows`` picks renderers (default: all); the baseline is
always SoftRas.
"""

from __future__ import annotations

import argparse
import os

from softrecon.experiments import fitting_table


def main(args: argparse.Namespace) -> str:
    """Plan, run what is missing (unless --dry-run / --collect), write the table; returns
    the Markdown's path ('' for a dry run)."""
    if args.budget not in fitting_table.BUDGETS:
        raise SystemExit(
            f"--budget: the fitting table has budgets {sorted(fitting_table.BUDGETS)}, not {args.budget!r}"
        )
    if args.launcher != "local" or args.status or args.wait:
        raise SystemExit("--table fitting runs here only (its fits take seconds): --launcher slurm is not offered")
    if args.override:
        raise SystemExit("--override: the fitting table has no training run to override")
    if args.baseline is not None and args.baseline != fitting_table.BASELINE:
        raise SystemExit(f"--baseline: the fitting table pairs every renderer with {fitting_table.BASELINE!r}")
    renderers = list(fitting_table.RENDERERS)
    if args.rows:
        renderers = args.rows.split(",")
        unknown = sorted(set(renderers) - set(fitting_table.RENDERERS))
        if unknown:
            raise SystemExit(
                f"--rows: unknown renderers {unknown}; the fitting table has {list(fitting_table.RENDERERS)}"
            )
    budget = fitting_table.BUDGETS[args.budget]
    out = os.path.join(os.path.abspath(args.out), "fitting", args.budget)
    cases = fitting_table.fitting_cases(budget)
    print(
        f"table fitting: {len(cases)} cases x {len(renderers)} renderers ({', '.join(renderers)}) x "
        f"{len(args.seeds)} seed(s), budget {args.budget} (shape {budget.shape_steps} steps; pose "
        f"{budget.pose_steps} steps, {budget.pose_starts} starts a seed)"
    )
    if args.dry_run:
        for case in cases:
            for renderer in renderers:
                for seed in args.seeds:
                    overrides = fitting_table.run_overrides(case, renderer, seed)
                    print(f"  {fitting_table.run_dir(out, case, renderer, seed)}: {' '.join(overrides)}")
        return ""
    results = fitting_table.collect(out, budget, renderers, args.seeds, run_missing=not args.collect)
    title = f"Fitting: {', '.join(renderers)} (budget {args.budget}, seeds {','.join(map(str, args.seeds))})"
    path = fitting_table.write_table(out, results, title)
    print(path)
    return path
