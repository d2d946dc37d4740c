"""Does the training loss at the edge tell a peak the network cannot use from one it only needs time for?

``adaptive_warmup`` ends at the edge when ``φ < φ*`` and ``Ŝ < -δ`` on ``edge_patience`` checks in a row. On
round 4's tuning tasks that end pays where the peak is too high for any warmup (the capped LR beats every fixed
warmup to the peak: the cell is > 1 % *better* than its oracle) and costs where a longer fixed warmup trains at
the peak (> 1 % *worse*). Round 4's duration test (``edge_patience`` 4 and 8) could not tell them apart. Kalra &
Barkeshli (2024) read instability from the loss: a *catapult*, the loss rising while the LR is too high.

For each (task, peak LR, seed) of the tasks the plain loop trains, this trains the default ``adaptive_warmup`` up
to the end of its warmup, with the per-step training loss the loop feeds the scheduler, and for each run that
ends at the edge measures over the last ``edge_patience`` check intervals before the end (the checks that found
the edge): the loss catapult ``L↑`` and the fall ``ΔL`` (:func:`warmup_bench.signals.loss_stats`). Each run is
labelled by its cell in ``--labels`` (the default's gap to the per-LR oracle: **paid** when the cell is > 1 %
better, **cost** when > 1 % worse, else **even**). A loss signal could confirm the edge only if a threshold put
every "paid" run on one side and every "cost" run on the other. ``--json`` writes the runs and the provenance;
the figure block ``edge-loss-round5`` of ``docs/benchmark/README.md`` is rendered from it::

    python scripts/probe_edge.py --json docs/benchmark/edge_loss_round5.json
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import probe_signals as probe
from warmup_bench.protocol import Arm
from warmup_bench.signals import edge_labels, edge_summary, loss_stats


def at_edge(task: str, lr: float, seed: int) -> dict[str, Any]:
    """One default run up to its warmup's end: where and why it ended, and the loss statistics over the checks
    that found the edge (NaN for another end)."""
    sched, _, losses = probe.train_with_losses(
        task, lr, seed, Arm("adaptive_warmup", "adaptive_warmup"),
        lambda s, done: s.warmup_end_step is not None and done > s.warmup_end_step)
    end, reason = sched.warmup_end_step, sched.end_reason
    row: dict[str, Any] = {"task": task, "lr": lr, "seed": seed, "end": end,
                           "reason": None if reason is None else str(reason.value),
                           "peak_fraction": sched.peak_fraction, "dL": float("nan"), "rise": float("nan")}
    if row["reason"] == "edge" and end is not None:
        span = sched.check_interval * sched.policy.edge_patience
        row.update(loss_stats(losses, max(0, end - span), min(end, len(losses))))
    return row


def main(argv: list[str] | None = None) -> int:
    args = probe.probe_arguments(__doc__.split("\n\n")[0], "--labels",
                                 "full-mode results files with the default's cells").parse_args(argv)
    runs, seeds, origin = probe.probe_runs(at_edge, args)
    sources = [probe.ROOT / f for f in args.labels.split(",")]
    lab = edge_labels(sources)
    print(edge_summary(runs, lab))
    if args.json:
        Path(args.json).write_text(probe.probe_json("probe_edge.py", argv, sources, lab, runs, seeds=seeds,
                                                          **origin))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
