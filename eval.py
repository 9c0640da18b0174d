"""``softrecon-eval`` from a clone: ``python eval.py ckpt_path=<checkpoint or run folder>``;
the last line it prints is the path of metrics.json. The code is softrecon/cli/eval.py."""

from softrecon.cli.eval import main

if __name__ == "__main__":
    main()
