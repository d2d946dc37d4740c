"""What the optimizer state shows during a warmup, on the benchmark's tasks: the evidence behind the README's
"what the second moments do not see".

For each (task, peak LR) it trains the task's quick configuration with ``adaptive_warmup`` pinned to a linear
ramp over ``W`` (``min_warmup_steps = max_warmup_steps = W``, so the ramp does not react, while the monitor
still measures ``Ŝ`` at every check) and records, every optimizer step, from the full optimizer state:

* ``Ŝ``: the excess innovation of the adaptive warmup's own monitor (``check_history``);
* ``G = Σ_window Σ_i g_i² / Σ_window Σ_i v̂_i - 1``: the ratio-of-sums growth of the squared gradients against
  the second-moment estimate (no per-coordinate ratio, so no bias from heavy-tailed coordinates);
* ``u = RMS_i(m̂_i / (√v̂_i + ε))``: Adam's update size per coordinate (Ma & Yarats 2019; Kosson et al. 2024);
* ``ρ = ‖Δw‖ / ‖w‖``: the relative update of the whole model.

Each is averaged over the second half of the ramp (ω from 0.5 to 1) and over the ``W`` steps after it. The
table says which of them would tell a task that wants a long warmup (``llama_lm`` at a high LR) from one that
wants a short one (``digits_mlp``); docs/benchmark/signals.md holds the output of the default command::

    python scripts/probe_signals.py --output docs/benchmark/signals.md
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_tasks.loop as loop  # noqa: E402
import torch  # noqa: E402
from bench_tasks import load_task  # noqa: E402
from bench_tasks.protocol import Arm  # noqa: E402

#: (task, peak LR, what the full-mode oracle wants there)
DEFAULT_CELLS = (("llama_lm", 0.1, "long (50 % of T)"), ("llama_lm", 0.03, "20 % of T"),
                 ("postln_lm", 0.03, "long (50 % of T)"), ("digits_mlp", 0.03, "short (2.5–5 % of T)"))


class Recorder:
    """Optimizer step hooks that read the whole state (this is a probe: no sampling, no ranks)."""

    def __init__(self, opt: torch.optim.Optimizer) -> None:
        self.opt = opt
        self.rows: list[dict[str, float]] = []
        self._before: list[torch.Tensor] = []
        self._grad_sq = 0.0
        self._v_sum = 0.0
        opt.register_step_pre_hook(self._pre)
        opt.register_step_post_hook(self._post)

    def _params(self) -> list[torch.nn.Parameter]:
        return [p for g in self.opt.param_groups for p in g["params"]]

    def _pre(self, *_: Any) -> None:
        self._before = [p.detach().clone() for p in self._params()]
        self._grad_sq = sum(float((p.grad.double() ** 2).sum()) for p in self._params() if p.grad is not None)
        self._v_sum = self._second_moment_sum()

    def _second_moment_sum(self) -> float:
        total = 0.0
        for g in self.opt.param_groups:
            beta2 = g["betas"][1]
            for p in g["params"]:
                st = self.opt.state.get(p, {})
                if "exp_avg_sq" in st:
                    total += float(st["exp_avg_sq"].double().sum()) / (1 - beta2 ** float(st["step"]))
        return total

    def _post(self, *_: Any) -> None:
        u_sq = n = 0.0
        for g in self.opt.param_groups:
            beta1, beta2 = g["betas"]
            for p in g["params"]:
                st = self.opt.state.get(p, {})
                if "exp_avg" not in st:
                    continue
                s = float(st["step"])
                m = st["exp_avg"].double() / (1 - beta1**s)
                v = st["exp_avg_sq"].double() / (1 - beta2**s)
                u_sq += float(((m / (v.sqrt() + g["eps"])) ** 2).sum())
                n += m.numel()
        dw = sum(float(((p.detach() - b).double() ** 2).sum()) for p, b in zip(self._params(), self._before))
        w = sum(float((p.detach().double() ** 2).sum()) for p in self._params())
        self.rows.append({"omega": self.opt.param_groups[0]["lr"], "g_sq": self._grad_sq, "v_sum": self._v_sum,
                          "u": math.sqrt(u_sq / max(n, 1)), "rho": math.sqrt(dw / max(w, 1e-30))})


def probe(task: str, lr: float, fraction: float, seed: int = 0) -> dict[str, Any]:
    mod = load_task(task)
    cfg = mod.config("quick")
    width = max(2, round(fraction * cfg["T"]))
    held: dict[str, Any] = {}
    build = loop.build_scheduler

    def recording(request: Any, optimizer: Any, total: int) -> Any:
        held["rec"] = Recorder(optimizer)
        held["sched"] = build(request, optimizer, total)
        return held["sched"]

    arm = Arm("probe", "adaptive_warmup", kwargs=(("max_warmup_steps", width), ("min_warmup_steps", width)))
    loop.build_scheduler = recording
    try:
        record = mod.run(arm, lr, seed, cfg, "cpu")
    finally:
        loop.build_scheduler = build
    rows, sched = held["rec"].rows, held["sched"]
    for r in rows:
        r["omega"] /= lr

    def mean_over(lo: int, hi: int) -> dict[str, float]:
        part = rows[lo:hi]
        g = sum(r["g_sq"] for r in part[1:]) / max(sum(r["v_sum"] for r in part[1:]), 1e-30) - 1
        stats = [s for t, s, _ in sched.check_history if lo <= t < hi]
        return {"G": g, "u": sum(r["u"] for r in part) / len(part), "rho": sum(r["rho"] for r in part) / len(part),
                "S_hat": sum(stats) / len(stats) if stats else float("nan")}

    half = next(i for i, r in enumerate(rows) if r["omega"] >= 0.5)
    return {"task": task, "lr": lr, "W": width, "eval_loss": record["eval_loss"],
            "ramp": mean_over(half, width), "after": mean_over(width, min(len(rows), 2 * width))}


def _fmt(x: float) -> str:
    return f"{x:+.2f}" if math.isfinite(x) else "–"


def table(results: list[dict[str, Any]], wants: dict[tuple[str, float], str]) -> str:
    lines = ["| task | lr | oracle wants | W | eval loss | Ŝ ramp / after | G ramp / after | u ramp / after "
             "| ρ ramp / after |", "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        a, b = r["ramp"], r["after"]
        lines.append(f"| {r['task']} | {r['lr']:g} | {wants.get((r['task'], r['lr']), '?')} | {r['W']} | "
                     f"{r['eval_loss']:.3f} | {_fmt(a['S_hat'])} / {_fmt(b['S_hat'])} | {a['G']:+.2f} / {b['G']:+.2f} | "
                     f"{a['u']:.3f} / {b['u']:.3f} | {a['rho']:.4f} / {b['rho']:.4f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--fraction", type=float, default=0.1, help="W / T of the pinned ramp (default 0.1)")
    p.add_argument("--output", default=None, help="also write the table (markdown) here")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    results = [probe(task, lr, args.fraction) for task, lr, _ in DEFAULT_CELLS]
    wants = {(t, lr): w for t, lr, w in DEFAULT_CELLS}
    text = table(results, wants)
    print(text)
    if args.output:
        head = ("# What the optimizer state shows during warmup\n\nMade by `python scripts/probe_signals.py "
                f"--output {args.output}` (quick configurations, seed 0, a linear ramp over W = "
                f"{args.fraction:g}·T; see the script's docstring for each column). \"ramp\": mean over the "
                "second half of the ramp; \"after\": mean over the W steps after it (Ŝ: – there, the monitor stops "
                "at the end of the warmup). \"oracle wants\": the best W "
                "of the full-mode benchmark (`full.md`) at that task and LR.\n\n")
        Path(args.output).write_text(head + text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
