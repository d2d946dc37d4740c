"""What the optimizer state shows during a warmup, on the benchmark's tasks: can any statistic of it tell a
cell that wants a *longer* warmup from one that wants a *shorter* one?

For each (task, peak LR, seed) it trains the task's full-mode configuration with ``adaptive_warmup`` pinned to a
linear ramp over ``W = 0.1·T`` (``min_warmup_steps = max_warmup_steps = W`` and ``coherence_threshold = 0``: the
ramp does not react and always reaches the peak, while the monitor still measures ``Ŝ`` at every check; this
is the schedule the default before the edge rule ran in 15 of 16 cells) and records, every optimizer step, from
the whole optimizer state (no sampling, one process):

* ``Ŝ``: the excess innovation of the adaptive warmup's own monitor (``check_history``);
* ``G = Σ_t Σ_i g_t,i² / Σ_t Σ_i v̂_t-1,i - 1``: the ratio-of-sums growth of the squared gradients against the
  second-moment estimate (no per-coordinate ratio, so no bias from heavy-tailed coordinates);
* ``u = RMS_i(m̂_i / (√v̂_i + ε))``: Adam's update size per coordinate (Ma & Yarats 2019; Kosson et al. 2024);
* ``φ = (Σ_i m̂_i² / Σ_i v̂_i) · (1 + β1) / (1 - β1)``: the coherence of the gradients the momentum averages,
  1 for white noise, > 1 when successive gradients agree, < 1 when they alternate (steps that overshoot);
* ``H = Σ_t g_t · u_t-1 / Σ_t ‖g_t‖ ‖u_t-1‖``: the hypergradient cosine (Baydin et al. 2018): > 0 when the new
  gradient still points along the last update (a larger LR would have helped), < 0 when the step overshot;
* ``ρ = ‖Δw‖ / ‖w‖``: the relative update of the whole model;
* ``ΔL`` and ``L↑``: the relative fall of the training loss over the window and the largest loss catapult in it
  (:func:`warmup_bench.signals.loss_stats`), from the loss the training loop feeds the scheduler each step.

Each is averaged over the second half of the ramp (ω from 0.5 to 1), where a rule would have to decide how
fast to go on, and then over seeds. Each run stops at the ramp's end: the statistics need nothing after it. Only
tasks trained by the plain loop (``warmup_bench.tasks.loop``) can be probed; a Trainer task is an error. Each cell
is labelled (:mod:`warmup_bench.signals`) from full-mode benchmark files (``--full_json``, comma-separated, a
later file's cell replacing an earlier one's), whose ``W = 10 %`` mean is the table's eval loss.

Beside the range of each group, the separability table gives each statistic's AUC (:func:`warmup_bench.signals.auc`):
how far from a threshold that separates the groups it is (0.5: no information). ``--runs_from`` judges the runs of an
earlier results file against new label files (the same measurements, labels from more seeds) without training.
``--json`` writes the runs, the labels and the provenance; the figure block ``signals-round5`` of
``docs/benchmark/README.md`` is rendered from that file. The command that wrote
``docs/benchmark/signals_round5.json`` (round 5's tuning tasks that the plain loop trains, 2 seeds)::

    python scripts/probe_signals.py --json docs/benchmark/signals_round5.json

``docs/benchmark/signals.md`` was made earlier (commit ``716877e``: ``postln_lm``, ``llama_lm`` and
``digits_mlp``, labelled from ``full.json``, before the loss columns and the stop at the ramp's end).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402
import warmup_bench.tasks.loop as loop  # noqa: E402
from warmup_bench.protocol import Arm  # noqa: E402
from warmup_bench.provenance import stamp  # noqa: E402
from warmup_bench.signals import RAMP_FRACTION, STATS, labels, loss_stats, summarize  # noqa: E402
from warmup_bench.tasks import load_task  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
#: round 5's tuning tasks that the plain loop trains (its Trainer tasks, gpt2_tweets, minilm_finetune,
#: minilm_verses, postln_trainer and t5_trainer, are left out; postln_long has no full-mode benchmark runs)
DEFAULT_TASKS = ("postln_lm", "llama_lm", "digits_mlp", "bert_verses", "digits_cnn", "digits_cnn_long",
                 "prenorm_long", "vit_digits", "lstm_charlm", "digits_ae", "digits_ae_long", "bart_denoise",
                 "roberta_long", "resmlp_long", "resmlp_short", "gru_tweets", "cnn_bn_long", "neox_verses",
                 "conv_ae", "cnn_bn_short")
DEFAULT_LABELS = "docs/benchmark/round4_tuning.json,docs/benchmark/round4_test.json"


class RampDone(Exception):
    """Raised from the loss feed once the probe has what it needs (the ramp, or the warmup, is over)."""


class Recorder:
    """Optimizer step hooks that read the whole state (this is a probe: no sampling, no ranks)."""

    def __init__(self, opt: torch.optim.Optimizer) -> None:
        self.opt = opt
        self.rows: list[dict[str, float]] = []
        self._before: list[torch.Tensor] = []
        self._last_update: list[torch.Tensor] | None = None
        self._grad_sq = 0.0
        self._v_sum = 0.0
        self._hyper = (0.0, 0.0)
        opt.register_step_pre_hook(self._pre)
        opt.register_step_post_hook(self._post)

    def _params(self) -> list[torch.nn.Parameter]:
        return [p for g in self.opt.param_groups for p in g["params"]]

    def _moments(self) -> list[tuple[torch.Tensor, torch.Tensor, float, float]]:
        """(m̂, v̂, β1, ε) per parameter with state, in float64."""
        out = []
        for g in self.opt.param_groups:
            beta1, beta2 = g["betas"]
            for p in g["params"]:
                st = self.opt.state.get(p, {})
                if "exp_avg" in st:
                    s = float(st["step"])
                    out.append((st["exp_avg"].double() / (1 - beta1**s), st["exp_avg_sq"].double() / (1 - beta2**s),
                                beta1, g["eps"]))
        return out

    def _pre(self, *_: Any) -> None:
        params = self._params()
        self._before = [p.detach().clone() for p in params]
        grads = [p.grad.double() if p.grad is not None else torch.zeros_like(p, dtype=torch.float64) for p in params]
        self._grad_sq = sum(float((g * g).sum()) for g in grads)
        self._v_sum = sum(float(v.sum()) for _, v, _, _ in self._moments())
        if self._last_update is None:
            self._hyper = (float("nan"), float("nan"))
        else:
            dot = sum(float((g * u).sum()) for g, u in zip(grads, self._last_update))
            norm_u = math.sqrt(sum(float((u * u).sum()) for u in self._last_update))
            self._hyper = (dot, math.sqrt(self._grad_sq) * norm_u)

    def _post(self, *_: Any) -> None:
        moments = self._moments()
        updates = [m / (v.sqrt() + eps) for m, v, _, eps in moments]
        self._last_update = updates if len(updates) == len(self._params()) else None
        n = sum(u.numel() for u in updates)
        beta1 = moments[0][2] if moments else 0.9
        m_sq = sum(float((m * m).sum()) for m, _, _, _ in moments)
        v_sum = sum(float(v.sum()) for _, v, _, _ in moments)
        dw = sum(float(((p.detach() - b).double() ** 2).sum()) for p, b in zip(self._params(), self._before))
        w = sum(float((p.detach().double() ** 2).sum()) for p in self._params())
        self.rows.append({
            "omega": self.opt.param_groups[0]["lr"], "g_sq": self._grad_sq, "v_sum": self._v_sum,
            "u": math.sqrt(sum(float((u * u).sum()) for u in updates) / max(n, 1)),
            "phi": m_sq / max(v_sum, 1e-300) * (1 + beta1) / (1 - beta1),
            "dot": self._hyper[0], "norms": self._hyper[1], "rho": math.sqrt(dw / max(w, 1e-30)),
        })


def train_with_losses(task: str, lr: float, seed: int, arm: Arm, stop: Callable[[Any, int], bool],
                      record: bool = False) -> tuple[Any, Recorder | None, list[float]]:
    """Train ``task``'s full-mode configuration at ``lr`` and ``seed`` with ``arm`` until ``stop(scheduler,
    steps done)`` holds (checked before each step) or the run ends; the scheduler, the :class:`Recorder` (when
    ``record``) and the per-step training loss that the plain loop fed the scheduler."""
    torch.set_num_threads(1)
    mod = load_task(task)
    held: dict[str, Any] = {}
    losses: list[float] = []
    build = loop.build_scheduler

    def observe(value: float) -> None:
        if stop(held["sched"], len(losses)):
            raise RampDone
        losses.append(value)

    def recording(request: Any, optimizer: Any, total: int) -> Any:
        if record:
            held["rec"] = Recorder(optimizer)
        held["sched"] = build(request, optimizer, total)
        held["sched"].observe_loss = observe
        return held["sched"]

    loop.build_scheduler = recording
    try:
        mod.run(arm, lr, seed, mod.config("full"), "cpu")
    except RampDone:
        pass
    finally:
        loop.build_scheduler = build
    if "sched" not in held or not losses:
        raise ValueError(f"{task}: not trained by the plain loop (warmup_bench.tasks.loop), so no loss reached the "
                         "scheduler; the probe cannot measure it")
    return held["sched"], held.get("rec"), losses


def probe(task: str, lr: float, seed: int, fraction: float = RAMP_FRACTION) -> dict[str, Any]:
    """Train one (task, LR, seed) with a pinned linear ramp over ``fraction · T`` up to the ramp's end; the
    statistics over its second half."""
    width = max(2, round(fraction * load_task(task).config("full")["T"]))
    arm = Arm("probe", "adaptive_warmup", kwargs=(("coherence_threshold", 0), ("max_warmup_steps", width),
                                                  ("min_warmup_steps", width)))
    sched, rec, losses = train_with_losses(task, lr, seed, arm, lambda _, done: done == width, record=True)
    assert rec is not None
    if len(losses) < width:
        raise ValueError(f"{task}: the run stopped after {len(losses)} of the ramp's {width} steps")
    rows = rec.rows
    lo = next(i for i, r in enumerate(rows) if r["omega"] >= 0.5 * lr)
    part = rows[lo:width]
    stats = [s for t, s, *_ in sched.check_history if lo <= t < width]
    dots = [(r["dot"], r["norms"]) for r in part if math.isfinite(r["dot"])]
    return {
        "task": task, "lr": lr, "seed": seed, "W": width,
        "S_hat": sum(stats) / len(stats) if stats else float("nan"),
        "G": sum(r["g_sq"] for r in part[1:]) / max(sum(r["v_sum"] for r in part[1:]), 1e-300) - 1,
        "u": sum(r["u"] for r in part) / len(part),
        "phi": sum(r["phi"] for r in part) / len(part),
        "H": sum(d for d, _ in dots) / max(sum(n for _, n in dots), 1e-300) if dots else float("nan"),
        "rho": sum(r["rho"] for r in part) / len(part),
        **loss_stats(losses, lo, width),
    }


def run_cells(fn: Callable[[str, float, int], dict[str, Any]], tasks: str, seeds: list[int],
              jobs: int) -> list[dict[str, Any]]:
    """``fn(task, lr, seed)`` for every full-mode LR of the comma-separated ``tasks`` and every seed, ``jobs`` at
    a time."""
    cells = [(t, lr, s) for t in tasks.split(",") for lr in load_task(t).lrs("full") for s in seeds]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(fn, *zip(*cells)))


def probe_json(script: str, argv: list[str] | None, sources: list[Path], lab: dict[tuple[str, float], Any],
               runs: list[dict[str, Any]], **extra: Any) -> str:
    """A probe's results file: its provenance (the command that ran ``script``), ``extra``, the label files, the
    labels of the cells it ran and the runs."""
    command = f"python scripts/{script} " + " ".join(argv if argv is not None else sys.argv[1:])
    out = {"provenance": stamp(command.strip()), **extra,
           "labels_from": [str(s.relative_to(ROOT)) for s in sources],
           "labels": [{"task": t, "lr": lr, **info} for (t, lr), info in sorted(lab.items())
                      if any(r["task"] == t and r["lr"] == lr for r in runs)],
           "runs": runs}
    return json.dumps(out, indent=1) + "\n"


def probe_arguments(description: str, labels_flag: str, labels_help: str) -> argparse.ArgumentParser:
    """The probes' command line: ``--tasks``, ``--seeds``, ``--jobs``, the label files' flag and ``--json``."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--tasks", default=",".join(DEFAULT_TASKS))
    p.add_argument("--seeds", default="0,1")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument(labels_flag, default=DEFAULT_LABELS, help=labels_help + ", comma-separated")
    p.add_argument("--json", default=None, help="write the runs, labels and provenance here")
    p.add_argument("--runs_from", default=None,
                   help="label the runs of this probe results file again instead of training (its seeds and tasks)")
    return p


def probe_runs(fn: Callable[[str, float, int], dict[str, Any]], args: argparse.Namespace
               ) -> tuple[list[dict[str, Any]], list[int], dict[str, Any]]:
    """The runs a probe judges, their seeds, and what its results file records of where they came from: trained
    now (``fn`` over ``--tasks`` and ``--seeds``), or read from ``--runs_from`` (then named with the command that
    trained them, also when that file was itself labelled again)."""
    if args.runs_from:
        data = json.loads(Path(args.runs_from).read_text())
        origin = data.get("runs_from") or {"file": args.runs_from, "command": data["provenance"]["command"]}
        return data["runs"], data["seeds"], {"runs_from": origin}
    seeds = [int(s) for s in args.seeds.split(",")]
    return run_cells(fn, args.tasks, seeds, args.jobs), seeds, {}


def labelled_probe_main(fn: Callable[[str, float, int], dict[str, Any]], doc: str, script: str,
                        stats: Sequence[str], argv: list[str] | None) -> int:
    """A ramp probe's command line: run ``fn`` in every cell (or read ``--runs_from``), label the cells from
    ``--full_json``, print the per-cell and separability tables of ``stats``, write ``--json``."""
    args = probe_arguments(doc.split("\n\n")[0], "--full_json",
                           "the full-mode results files that label the cells").parse_args(argv)
    results, seeds, origin = probe_runs(fn, args)
    sources = [ROOT / f for f in args.full_json.split(",")]
    lab = labels(sources)
    per_cell, separability = summarize(results, lab, stats)
    print(per_cell + "\n\n" + separability)
    if args.json:
        Path(args.json).write_text(probe_json(script, argv, sources, lab, results,
                                              ramp_fraction=RAMP_FRACTION, seeds=seeds, **origin))
    return 0


def main(argv: list[str] | None = None) -> int:
    return labelled_probe_main(probe, __doc__, "probe_signals.py", STATS, argv)


if __name__ == "__main__":
    raise SystemExit(main())
