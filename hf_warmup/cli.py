"""The ``hf-warmup`` command line (also ``python -m hf_warmup``).

* ``hf-warmup list``: every registered name with its one-line formula and kwargs;
* ``hf-warmup plot RUN_DIR -o out.png``: LR and second-moment statistic (``warmup.json``, else ``trainer_state.json``);
* ``hf-warmup card OUTPUT_DIR``: add (or refresh) the "Warmup" section of ``OUTPUT_DIR/README.md`` from
  ``OUTPUT_DIR/warmup.json``; running it twice leaves one section;
* ``hf-warmup preview NAME --num-training-steps T [--num-warmup-steps W] [--beta2 B] [--kwargs JSON] -o out.png``;
* ``hf-warmup SCRIPT.py [args...]`` (or ``hf-warmup run SCRIPT.py ...``): run an unmodified script with the
  schedules registered, keeping ``sys.argv`` and ``__name__ == "__main__"``. ``accelerate launch -m hf_warmup
  SCRIPT.py ...`` does the same on every process.
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import sys
from collections.abc import Sequence

SUBCOMMANDS = ("list", "plot", "preview", "card", "run")


def run_script(script: str, args: Sequence[str]) -> int:
    """Execute ``script`` as ``__main__`` with ``sys.argv = [script, *args]`` after registering the schedules."""
    import hf_warmup  # noqa: F401  (registers)

    if not os.path.isfile(script):
        print(f"hf-warmup: no such script: {script!r}", file=sys.stderr)
        return 2
    sys.argv = [script, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")
    return 0


def _cmd_list(_: argparse.Namespace) -> int:
    from hf_warmup import SCHEDULES

    width = max(len(n) for n in SCHEDULES)
    for name, spec in SCHEDULES.items():
        print(f"{name:<{width}}  {spec.formula}")
        print(f"{'':<{width}}  kwargs: {', '.join(sorted(spec.all_options))}")
    return 0


def _cmd_plot(ns: argparse.Namespace) -> int:
    from hf_warmup.plotting import plot_run

    out = plot_run(ns.run_dir, ns.output)
    print(out)
    return 0


def _cmd_card(ns: argparse.Namespace) -> int:
    from hf_warmup.card import update_card_dir

    print(update_card_dir(ns.output_dir))
    return 0


def _cmd_preview(ns: argparse.Namespace) -> int:
    from hf_warmup.plotting import plot_preview

    kwargs = json.loads(ns.kwargs) if ns.kwargs else {}
    out = plot_preview(
        ns.names, ns.num_training_steps, ns.num_warmup_steps, ns.beta2, kwargs, ns.output
    )
    print(out)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hf-warmup", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list every schedule name with its formula").set_defaults(func=_cmd_list)
    p = sub.add_parser("plot", help="plot LR and warmup statistic of a Trainer run")
    p.add_argument("run_dir", help="output_dir of a Trainer run, a checkpoint dir, or a trainer_state.json")
    p.add_argument("-o", "--output", default="warmup.png")
    p.set_defaults(func=_cmd_plot)
    p = sub.add_parser("preview", help="draw one or more fixed schedules")
    p.add_argument("names", nargs="+")
    p.add_argument("--num-training-steps", type=int, default=None,
                   help="T (default: max(1000, 2 x the longest warmup length))")
    p.add_argument("--num-warmup-steps", type=int, default=100)
    p.add_argument("--beta2", type=float, default=0.999)
    p.add_argument("--kwargs", default="", help="lr_scheduler_kwargs as JSON")
    p.add_argument("-o", "--output", default="preview.png")
    p.set_defaults(func=_cmd_preview)
    p = sub.add_parser("card", help="add the Warmup section to OUTPUT_DIR/README.md from its warmup.json")
    p.add_argument("output_dir", help="output_dir of a Trainer run (with README.md and warmup.json)")
    p.set_defaults(func=_cmd_card)
    p = sub.add_parser("run", help="run SCRIPT.py with the schedules registered")
    p.add_argument("script")
    p.add_argument("args", nargs=argparse.REMAINDER)
    p.set_defaults(func=lambda ns: run_script(ns.script, ns.args))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] not in SUBCOMMANDS and not argv[0].startswith("-"):
        return run_script(argv[0], argv[1:])
    ns = build_parser().parse_args(argv)
    try:
        return int(ns.func(ns) or 0)
    except (ValueError, FileNotFoundError) as err:
        print(f"hf-warmup: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
