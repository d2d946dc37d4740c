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
* ``ρ = ‖Δw‖ / ‖w‖``: the relative update of the whole model.

Each is averaged over the second half of the ramp (ω from 0.5 to 1), where a rule would have to decide how
fast to go on, and then over seeds. Each cell is labelled from a full-mode benchmark file (``--full_json``,
default ``docs/benchmark/heldout_full_partial.json``; ``signals.md`` was made from ``full.json`` of commit
``716877e``: mean final eval loss per W of the oracle grid): **longer** when ``W = 10 %`` is more than 1 % behind
the oracle and only longer warmups are within 1 %; **shorter** likewise; **10 % is fine** when it is within 1 %;
**either** when both longer and shorter ones are within 1 % but 10 % is not. A statistic could drive a rule only if some
threshold put every "longer" cell on one side and every "shorter" cell on the other. The default command writes
docs/benchmark/signals.md::

    python scripts/probe_signals.py --output docs/benchmark/signals.md
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402
import warmup_bench.tasks.loop as loop  # noqa: E402
from warmup_bench.protocol import Arm  # noqa: E402
from warmup_bench.results import split_cell_key  # noqa: E402
from warmup_bench.tasks import load_task  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
#: the tasks trained by the plain loop (the Trainer task is ~10x slower and would need its own hooks)
DEFAULT_TASKS = ("postln_lm", "llama_lm", "digits_mlp")
RAMP_FRACTION = 0.1
STATS = ("S_hat", "G", "u", "phi", "H", "rho")
HEADERS = {"S_hat": "Ŝ", "G": "G", "u": "u", "phi": "φ", "H": "H", "rho": "ρ"}


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


def probe(task: str, lr: float, seed: int, fraction: float = RAMP_FRACTION) -> dict[str, Any]:
    """Train one (task, LR, seed) with a pinned linear ramp over ``fraction · T``; the statistics over its second
    half."""
    torch.set_num_threads(1)
    mod = load_task(task)
    cfg = mod.config("full")
    width = max(2, round(fraction * cfg["T"]))
    held: dict[str, Any] = {}
    build = loop.build_scheduler

    def recording(request: Any, optimizer: Any, total: int) -> Any:
        held["rec"] = Recorder(optimizer)
        held["sched"] = build(request, optimizer, total)
        return held["sched"]

    arm = Arm("probe", "adaptive_warmup", kwargs=(("coherence_threshold", 0), ("max_warmup_steps", width),
                                                  ("min_warmup_steps", width)))
    loop.build_scheduler = recording
    try:
        record = mod.run(arm, lr, seed, cfg, "cpu")
    finally:
        loop.build_scheduler = build
    rows, sched = held["rec"].rows, held["sched"]
    lo = next(i for i, r in enumerate(rows) if r["omega"] >= 0.5 * lr)
    part = rows[lo:width]
    stats = [s for t, s, *_ in sched.check_history if lo <= t < width]
    dots = [(r["dot"], r["norms"]) for r in part if math.isfinite(r["dot"])]
    return {
        "task": task, "lr": lr, "seed": seed, "W": width, "eval_loss": record["eval_loss"],
        "S_hat": sum(stats) / len(stats) if stats else float("nan"),
        "G": sum(r["g_sq"] for r in part[1:]) / max(sum(r["v_sum"] for r in part[1:]), 1e-300) - 1,
        "u": sum(r["u"] for r in part) / len(part),
        "phi": sum(r["phi"] for r in part) / len(part),
        "H": sum(d for d, _ in dots) / max(sum(n for _, n in dots), 1e-300) if dots else float("nan"),
        "rho": sum(r["rho"] for r in part) / len(part),
    }


def labels(full_json: Path) -> dict[tuple[str, float], tuple[str, str]]:
    """Per (task, LR): the label (see the module docstring) and the W fractions within 1 % of the oracle."""
    cells = json.loads(full_json.read_text())["cells"]
    out: dict[tuple[str, float], tuple[str, str]] = {}
    for task, arms in cells.items():
        grid: dict[float, dict[float, float]] = {}
        for key, cell in arms.items():
            lr, label = split_cell_key(key)
            frac = 0.0 if label == "no_warmup" else (
                float(label[len("linear_warmup(W="):-2]) / 100 if label.startswith("linear_warmup(W=") else None)
            if frac is not None and cell.get("mean") is not None:
                grid.setdefault(lr, {})[frac] = float(cell["mean"])
        for lr, by_w in grid.items():
            best = min(by_w.values())
            ok = sorted(w for w, v in by_w.items() if (v - best) / best <= 0.01)
            if RAMP_FRACTION in ok:
                label = "10 % is fine"
            elif all(w > RAMP_FRACTION for w in ok):
                label = "longer"
            elif all(w < RAMP_FRACTION for w in ok):
                label = "shorter"
            else:
                label = "either"
            out[(task, lr)] = (label, ", ".join(f"{100 * w:g}" for w in ok))
    return out


def _fmt(x: float) -> str:
    return f"{x:+.3f}" if math.isfinite(x) else "–"


def summarize(results: list[dict[str, Any]], lab: dict[tuple[str, float], tuple[str, str]]) -> tuple[str, str]:
    """The per-cell table (means over seeds) and the per-statistic separability table."""
    cells: dict[tuple[str, float], list[dict[str, Any]]] = {}
    for r in results:
        cells.setdefault((r["task"], r["lr"]), []).append(r)
    mean = {key: {s: sum(r[s] for r in rs) / len(rs) for s in (*STATS, "eval_loss")} for key, rs in cells.items()}
    head = ("| task | lr | label | W within 1 % (% of T) | eval loss (10 %) | "
            + " | ".join(HEADERS[s] for s in STATS) + " |")
    lines = [head, "|" + "---|" * (5 + len(STATS))]
    for key in sorted(mean, key=lambda k: (k[0], k[1])):
        lab_, ok = lab.get(key, ("?", "?"))
        lines.append(f"| {key[0]} | {key[1]:g} | {lab_} | {ok} | {mean[key]['eval_loss']:.3f} | "
                     + " | ".join(_fmt(mean[key][s]) for s in STATS) + " |")
    sep = ["| statistic | range over \"longer\" cells | range over \"shorter\" cells | a threshold separates them |",
           "|---|---|---|---|"]
    for s in STATS:
        longer = [m[s] for k, m in mean.items() if lab.get(k, ("",))[0] == "longer" and math.isfinite(m[s])]
        shorter = [m[s] for k, m in mean.items() if lab.get(k, ("",))[0] == "shorter" and math.isfinite(m[s])]
        if not longer or not shorter:
            sep.append(f"| {HEADERS[s]} | – | – | – |")
            continue
        apart = min(longer) > max(shorter) or max(longer) < min(shorter)
        sep.append(f"| {HEADERS[s]} | {_fmt(min(longer))} … {_fmt(max(longer))} | {_fmt(min(shorter))} … "
                   f"{_fmt(max(shorter))} | {'yes' if apart else 'no'} |")
    return "\n".join(lines), "\n".join(sep)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tasks", default=",".join(DEFAULT_TASKS))
    p.add_argument("--seeds", default="0,1")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--full_json", default=str(ROOT / "docs" / "benchmark" / "heldout_full_partial.json"),
                   help="the full-mode results that label the cells")
    p.add_argument("--output", default=None, help="also write the tables (markdown) here")
    args = p.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    jobs = [(t, lr, s) for t in args.tasks.split(",") for lr in load_task(t).lrs("full") for s in seeds]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(probe, *zip(*jobs)))
    per_cell, separability = summarize(results, labels(Path(args.full_json)))
    text = per_cell + "\n\n" + separability
    print(text)
    if args.output:
        head = ("# What the optimizer state shows during warmup\n\nMade by `python scripts/probe_signals.py "
                f"--output {args.output}` (full-mode configurations, seeds {args.seeds}, a linear ramp over "
                f"W = {RAMP_FRACTION:g}·T; each statistic is the mean over the second half of the ramp, then over "
                "seeds; the script's docstring defines each column and the labels). Label, from the full-mode "
                f"benchmark (`{Path(args.full_json).name}`): whether the warmups within 1 % of the oracle are all "
                "longer than 10 % of T, all shorter, include 10 % (fine), or lie on both sides (either).\n\n")
        tail = ("\n\nA rule that reads one of these statistics during the ramp could lengthen the warmup where "
                "it pays and keep it short elsewhere only if a threshold separated the \"longer\" cells from the "
                "\"shorter\" ones.\n")
        Path(args.output).write_text(head + per_cell + "\n\n## Separability\n\n" + separability + tail)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
