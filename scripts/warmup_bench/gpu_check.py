#!/usr/bin/env python
"""GPU checks of ``adaptive_warmup``: step cost at ~1B parameters, host-device syncs, LR equality across ranks.

1. **Full step** on a ~1.2 B-parameter Llama config, bf16 parameters, ``torch.optim.AdamW(fused=True)``:
   ``adaptive_warmup`` against transformers' ``linear`` scheduler, alternating blocks on one model (the same
   procedure as ``scripts/bench_overhead.py``; wall clock, one synchronisation at the end of each block). Also
   one ``monitor.check()`` against one fused ``optimizer.step()``.
2. **Host-device synchronisations** with ``torch.cuda.set_sync_debug_mode("warn")``: every synchronising CUDA
   call raises a warning, which is captured and counted, per step and inside ``scheduler.step()``, for both arms,
   over a window of steps with several checks. Target: at most one per check interval attributable to the
   scheduler (adaptive minus linear).
3. **Ranks agree on the LR**: ``accelerate launch --multi_gpu --num_processes 2`` of this script in ``--worker``
   mode. Each rank trains a small model with ``adaptive_warmup`` under ``Accelerator`` (once DDP-wrapped, once
   with a rank-local model so that each rank's optimizer state differs), all-gathers the LR after every step and
   asserts that every rank has the same LR and the same warmup end. Needs 2 GPUs, or ``--cpu-ranks`` (2 gloo
   processes on the CPU).

Without CUDA the script prints ``CUDA not available: skipped GPU parts`` and runs only the CPU-capable parts: the
rank check with ``--cpu-ranks``, and with ``--cpu-smoke`` parts 1 and 2 on a tiny model on the CPU (fp32, AdamW
foreach; syncs counted as host reads, see ``bench_overhead.HostReadCounter``) to exercise the code.

Usage::

    python scripts/gpu_check.py --output_dir docs/overhead                # on a CUDA machine
    python scripts/gpu_check.py --cpu-ranks --cpu-smoke --output_dir /tmp/g  # on a CPU (add --force-cpu on a GPU)
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")

import torch  # noqa: E402

import hf_warmup  # noqa: E402
from warmup_bench import SCRIPTS  # noqa: E402
from warmup_bench import overhead as bo  # noqa: E402  (also imports hf_warmup, which registers the schedules)
from warmup_bench.overhead_report import TARGET_RATIO  # noqa: E402

LLAMA_1B = bo.ModelSpec("llama-1.2B", 2048, 16, 8192, 32000, 32, batch=4, seq=512, steps_per_trial=10, trials=20)
CPU_TINY = bo.ModelSpec("tiny-cpu", 64, 2, 128, 512, 2, batch=2, seq=16, steps_per_trial=10, trials=2)
WORKER_KWARGS = {"check_interval": 2, "patience": 1, "threshold": 0.5, "max_warmup_steps": 60}
WORKER_STEPS = 24
SYNC_WINDOW_CHECKS = 5


def cuda_ok() -> bool:
    return torch.cuda.is_available()


def fused_adamw(params: Any) -> torch.optim.Optimizer:
    return torch.optim.AdamW(params, lr=1e-4, weight_decay=0.01, fused=True)


def foreach_adamw(params: Any) -> torch.optim.Optimizer:
    return torch.optim.AdamW(params, lr=1e-4, weight_decay=0.01, foreach=True)


# ---------------------------------------------------------------------------------------------------------------
# 1. full step
# ---------------------------------------------------------------------------------------------------------------
def part_full_step(spec: bo.ModelSpec, device: str, trials: int | None) -> dict[str, Any]:
    on_gpu = device == "cuda"
    dtype = torch.bfloat16 if on_gpu else None
    make_opt = fused_adamw if on_gpu else foreach_adamw
    sync = torch.cuda.synchronize if on_gpu else (lambda: None)
    print(f"[1] full step: {spec.name} on {device} ({'bf16, fused AdamW' if on_gpu else 'fp32, foreach AdamW'})",
          flush=True)
    model = bo.build_model(spec, device=device, dtype=dtype)
    batches = bo.make_batches(spec, 8, device=device)
    res = bo.compare_full_step(model, batches, spec.steps_per_trial, trials or spec.trials, warm_blocks=1,
                               make_optimizer=make_opt, sync=sync, per_step=False,
                               primary="wall" if on_gpu else "cpu", log=lambda s: print(s, flush=True))
    res.update({"model": spec.name, "params": bo.n_params(model), "batch": spec.batch, "seq": spec.seq,
                "dtype": str(dtype or torch.float32), "optimizer": "AdamW(fused=True)" if on_gpu else
                "AdamW(foreach=True)", "device": device})
    if res["checks_timed"] != res["checks_expected"] or res["warmup_end_step"] is not None:
        raise RuntimeError(f"the monitor did not do its work during the timed steps: {res}")
    print(f"    => linear {res['linear_step_s'] * 1e3:.2f} ms/step, adaptive {res['adaptive_step_s'] * 1e3:.2f} "
          f"ms/step, median paired ratio {res['paired_ratio_median']:.4f}, checks {res['checks_timed']} "
          f"(expected {res['checks_expected']})", flush=True)
    res["monitor"] = bo.bench_monitor(spec, reps=20, sched_reps=200, log=lambda s: print(s, flush=True),
                                      clock="wall" if on_gpu else "cpu", device=device, dtype=dtype,
                                      make_optimizer=make_opt, sync=sync, model=model)
    del model, batches
    gc.collect()
    if on_gpu:
        torch.cuda.empty_cache()
    return res


# ---------------------------------------------------------------------------------------------------------------
# 2. host-device synchronisations
# ---------------------------------------------------------------------------------------------------------------
class SyncCapture:
    """Counts synchronising CUDA calls (``set_sync_debug_mode("warn")`` warnings) inside the ``with`` block.

    Without CUDA it counts host reads instead (``bench_overhead.HostReadCounter``), the calls that would
    synchronise on a GPU.
    """

    def __init__(self, cuda: bool) -> None:
        self.cuda = cuda
        self.count = 0
        self.messages: list[str] = []

    def __enter__(self) -> SyncCapture:
        if self.cuda:
            self._previous = torch.cuda.get_sync_debug_mode()
            self._ctx = warnings.catch_warnings(record=True)
            self._records = self._ctx.__enter__()
            warnings.simplefilter("always")
            torch.cuda.set_sync_debug_mode("warn")
        else:
            self._mode = bo.HostReadCounter()
            self._mode.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.cuda:
            torch.cuda.set_sync_debug_mode(self._previous)
            self._ctx.__exit__(*exc)
            msgs = [str(w.message) for w in self._records if "synchroniz" in str(w.message).lower()]
        else:
            self._mode.__exit__(*exc)
            msgs = list(self._mode.reads)
        self.count = len(msgs)
        self.messages = [m.splitlines()[0][:160] for m in msgs]


def part_syncs(spec: bo.ModelSpec, device: str) -> dict[str, Any]:
    """Syncs per step (whole step and inside scheduler.step()) for both arms over a window with checks."""
    on_gpu = device == "cuda"
    print(f"[2] host-device syncs: {spec.name} on {device}" + ("" if on_gpu else " (host reads as a proxy)"),
          flush=True)
    model = bo.build_model(spec, device=device, dtype=torch.bfloat16 if on_gpu else None)
    batches = bo.make_batches(spec, 4, device=device)
    make_opt = fused_adamw if on_gpu else foreach_adamw
    out: dict[str, Any] = {"device": device, "counted": "cuda sync debug warnings" if on_gpu else "host reads"}
    for name in bo.ARMS:
        arm = bo.make_arm(name, model, make_opt)
        interval = hf_warmup.adaptive.DEFAULT_CHECK_INTERVAL  # what adaptive_warmup uses with default kwargs
        for i in range(interval + 2):  # warm-up: state created, first snapshot taken
            bo.train_step(model, batches[i % len(batches)], arm)
        if on_gpu:
            torch.cuda.synchronize()
        window = SYNC_WINDOW_CHECKS * interval
        step_counts, sched_counts, messages = [], [], []
        checks_before = arm.counter.checks if arm.counter else 0
        for i in range(window):
            b = batches[i % len(batches)]
            if on_gpu:  # whole step under the debug mode (on CPU the proxy would count the optimizer's own reads)
                with SyncCapture(True) as whole:
                    loss = model(input_ids=b, labels=b).loss
                    loss.backward()
                    arm.optimizer.step()
                    with SyncCapture(True) as sch:
                        arm.scheduler.step()
                    arm.optimizer.zero_grad(set_to_none=True)
                step_counts.append(whole.count + sch.count)
            else:
                loss = model(input_ids=b, labels=b).loss
                loss.backward()
                arm.optimizer.step()
                with SyncCapture(False) as sch:
                    arm.scheduler.step()
                arm.optimizer.zero_grad(set_to_none=True)
            sched_counts.append(sch.count)
            messages.extend(sch.messages)
        checks = (arm.counter.checks - checks_before) if arm.counter else 0
        out[name] = {
            "window_steps": window,
            "checks_in_window": checks,
            "scheduler_syncs_total": sum(sched_counts),
            "scheduler_syncs_per_step": sched_counts,
            "step_syncs_total": sum(step_counts) if on_gpu else None,
            "scheduler_sync_messages": sorted(set(messages))[:10],
        }
        print(f"    {name}: {sum(sched_counts)} syncs inside scheduler.step() over {window} steps ({checks} checks)"
              + (f", {sum(step_counts)} in whole steps" if on_gpu else ""), flush=True)
        arm.optimizer.state.clear()
    ada, lin = out["adaptive"], out["linear"]
    checks = max(1, ada["checks_in_window"])
    out["scheduler_syncs_per_check"] = (ada["scheduler_syncs_total"] - lin["scheduler_syncs_total"]) / checks
    if on_gpu:
        out["step_syncs_difference_per_check"] = (ada["step_syncs_total"] - lin["step_syncs_total"]) / checks
    out["target_at_most_one_per_check"] = out["scheduler_syncs_per_check"] <= 1 and (
        not on_gpu or out["step_syncs_difference_per_check"] <= 1
    )
    print(f"    => syncs attributable to the scheduler per check: {out['scheduler_syncs_per_check']:.2f}", flush=True)
    del model
    gc.collect()
    return out


# ---------------------------------------------------------------------------------------------------------------
# 3. ranks agree on the LR
# ---------------------------------------------------------------------------------------------------------------
PORT_ATTEMPTS = 4
PORT_IN_USE = re.compile(r"EADDRINUSE|address already in use", re.IGNORECASE)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def accelerate_command() -> list[str]:
    exe = Path(sys.executable).parent / "accelerate"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "accelerate.commands.accelerate_cli"]


def part_ranks(cpu: bool, timeout: int = 600) -> dict[str, Any]:
    """Launch 2 worker processes with accelerate (on 2 GPUs, or ``cpu``: gloo on the CPU); read rank 0's JSON."""
    with tempfile.TemporaryDirectory() as tmp:
        out_file = Path(tmp) / "ranks.json"
        cmd = [*accelerate_command(), "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
               "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", str(_free_port()),
               str(SCRIPTS / "gpu_check.py"), "--worker", "--worker-out", str(out_file)]
        env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
               "TOKENIZERS_PARALLELISM": "false"}
        if cpu:
            cmd.append("--worker-cpu")
            env["CUDA_VISIBLE_DEVICES"] = ""
        print("[3] ranks: " + " ".join(cmd[-8:-3]) + " ... --worker", flush=True)
        start = time.perf_counter()
        # a port found free here can be taken before the launcher binds it: retry on a new port (only) then
        for attempt in range(1, PORT_ATTEMPTS + 1):
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
            if proc.returncode == 0 or not PORT_IN_USE.search(proc.stdout + proc.stderr) or attempt == PORT_ATTEMPTS:
                break
            port_at = cmd.index("--main_process_port") + 1
            print(f"    port {cmd[port_at]} was taken before the launcher bound it; retrying", flush=True)
            cmd[port_at] = str(_free_port())
        wall = time.perf_counter() - start
        if proc.returncode != 0 or not out_file.exists():
            tail = (proc.stdout + proc.stderr)[-4000:]
            return {"ok": False, "returncode": proc.returncode, "error": tail, "wall_s": wall}
        res = json.loads(out_file.read_text())
    res["wall_s"] = wall
    for mode, r in res["modes"].items():
        print(f"    {mode}: world {res['world_size']} ({res['distributed_type']}), {r['steps']} steps, identical LR on "
              f"every rank at every step: {r['lr_identical']}, warmup_end_step per rank {r['warmup_end_step']} "
              f"({r['end_reason']}), checks {r['checks']}", flush=True)
    return res


def worker(out_path: str, cpu: bool) -> None:
    """One rank: train a tiny model with adaptive_warmup under Accelerator; all-gather the LR every step."""
    from accelerate import Accelerator
    from transformers import get_scheduler

    # On the CPU, Accelerator needs cpu=True to set up MULTI_CPU (gloo); otherwise each process runs alone.
    accelerator = Accelerator(cpu=cpu or not torch.cuda.is_available())
    rank, world = accelerator.process_index, accelerator.num_processes
    expected = int(os.environ.get("WORLD_SIZE", "1"))
    if world != expected:
        raise RuntimeError(f"Accelerator sees {world} process(es) but WORLD_SIZE={expected}")
    device = accelerator.device
    spec = bo.ModelSpec("worker", 32, 1, 64, 64, 2, batch=4, seq=16)
    modes: dict[str, Any] = {}
    for mode in ("ddp", "local"):
        model = bo.build_model(spec, seed=0)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        sched = get_scheduler("adaptive_warmup", opt, num_warmup_steps=0, num_training_steps=4 * WORKER_STEPS,
                              scheduler_specific_kwargs=dict(WORKER_KWARGS))
        monitor = sched.monitor
        counter = bo.CheckCounter(monitor)
        if mode == "ddp":
            model, opt, sched_p = accelerator.prepare(model, opt, sched)
        else:  # rank-local model: each rank's gradients, hence optimizer state, differ
            model = model.to(device)
            opt, sched_p = accelerator.prepare(opt, sched)
        lrs, identical, ends, stats = [], True, [], []
        for step in range(WORKER_STEPS):
            g = torch.Generator().manual_seed(1000 * step + rank)  # each rank its own data
            x = torch.randint(0, spec.vocab, (spec.batch, spec.seq), generator=g).to(device)
            loss = model(input_ids=x, labels=x).loss
            accelerator.backward(loss)
            opt.step()
            sched_p.step()
            opt.zero_grad()
            lr = opt.param_groups[0]["lr"]
            end = -1 if sched.warmup_end_step is None else sched.warmup_end_step
            stat = float("nan") if sched.last_statistic is None else float(sched.last_statistic)
            local = torch.tensor([[float(lr), float(end), stat]], dtype=torch.float64, device=device)
            gathered = accelerator.gather(local).cpu()  # (world, 3)
            col_lr = gathered[:, 0].tolist()
            same = all(v == col_lr[0] for v in col_lr)
            identical = identical and same
            lrs.append(col_lr)
            ends.append(gathered[:, 1].tolist())
            stats.append(gathered[:, 2].tolist())
            if not same:
                accelerator.print(f"[{mode}] step {step}: LRs differ across ranks: {col_lr}")
        end_all = torch.tensor([[float(-1 if sched.warmup_end_step is None else sched.warmup_end_step)]],
                               dtype=torch.float64, device=device)
        end_per_rank = [None if v < 0 else int(v) for v in accelerator.gather(end_all).cpu().flatten().tolist()]
        same_end = len(set(end_per_rank)) == 1
        modes[mode] = {
            "steps": WORKER_STEPS,
            "lr_identical": identical,
            "warmup_end_identical": same_end,
            "warmup_end_step": end_per_rank,
            "end_reason": sched.end_reason,
            "checks": counter.checks,
            "statistics": counter.statistics,
            "lr_per_step_per_rank": lrs,
            "statistic_per_step_per_rank": [[None if v != v else v for v in row] for row in stats],
        }
        assert identical, f"{mode}: the LR differed across ranks"
        assert same_end, f"{mode}: the warmup ended at different steps: {end_per_rank}"
        assert counter.statistics > 0, f"{mode}: no statistic was computed"
        accelerator.wait_for_everyone()
        monitor.close()
    if accelerator.is_main_process:
        Path(out_path).write_text(json.dumps({
            "world_size": world,
            "distributed_type": str(accelerator.distributed_type),
            "backend": torch.distributed.get_backend() if torch.distributed.is_initialized() else None,
            "kwargs": WORKER_KWARGS,
            "modes": modes,
            "ok": all(m["lr_identical"] and m["warmup_end_identical"] for m in modes.values()),
        }, indent=1))
    accelerator.wait_for_everyone()
    accelerator.end_training()


# ---------------------------------------------------------------------------------------------------------------
def _count(n: int) -> str:
    return f"{n / 1e9:.3f} B" if n >= 1e8 else f"{n / 1e6:.2f} M"


def to_markdown(res: dict[str, Any]) -> str:
    m = res["machine"]
    lines = [
        "# adaptive_warmup GPU checks",
        "",
        f"Machine: {m.get('gpu', 'no GPU')}; CPU {m['cpu']} ({m['usable_cores']} cores); torch {m['torch']}, "
        f"transformers {m['transformers']}. Command: `{res['command']}`",
        "",
    ]
    if res["skipped"]:
        lines += [f"Skipped: {s}" for s in res["skipped"]] + [""]
    fs = res.get("full_step")
    if fs:
        c = fs[fs["primary_clock"]]
        q = c["paired_ratio_quantiles"]
        mon = fs["monitor"]
        lines += [
            "## 1. Full step (adaptive vs linear)",
            "",
            "| model | params | dtype, optimizer | batch x seq | trials x steps | clock | linear ms/step | adaptive "
            "ms/step | median paired ratio [q25, q75] | checks timed | check() ms | optimizer.step ms |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
            f"| {fs['model']} | {_count(fs['params'])} | {fs['dtype']}, {fs['optimizer']} | {fs['batch']} x "
            f"{fs['seq']} | {fs['trials']} x {fs['steps_per_trial']} | {fs['primary_clock']} | "
            f"{c['linear_step_s'] * 1e3:.2f} | {c['adaptive_step_s'] * 1e3:.2f} | **{c['paired_ratio_median']:.4f}** "
            f"[{q['q25']:.4f}, {q['q75']:.4f}] | {fs['checks_timed']} ({fs['checks_expected']}) | "
            f"{mon['check_s'] * 1e3:.3f} | {mon['optimizer_step_s'] * 1e3:.3f} |",
            "",
        ]
    sy = res.get("syncs")
    if sy:
        lines += [
            f"## 2. Host-device synchronisations ({sy['counted']})",
            "",
            "| arm | window steps | checks | in scheduler.step() | in whole steps |",
            "|---|---|---|---|---|",
        ]
        for arm in bo.ARMS:
            a = sy[arm]
            lines.append(f"| {arm} | {a['window_steps']} | {a['checks_in_window']} | {a['scheduler_syncs_total']} | "
                         f"{a['step_syncs_total'] if a['step_syncs_total'] is not None else 'n/a'} |")
        lines += ["", f"Attributable to the scheduler per check: **{sy['scheduler_syncs_per_check']:.2f}**"
                  + (f" (whole-step difference per check {sy['step_syncs_difference_per_check']:.2f})"
                     if "step_syncs_difference_per_check" in sy else "") + ".", ""]
    rk = res.get("ranks")
    if rk:
        lines += ["## 3. LR identical on every rank", ""]
        if rk.get("modes"):
            lines += ["| mode | world | backend | steps | identical LR every step | warmup_end_step per rank | "
                      "reason | checks |", "|---|---|---|---|---|---|---|---|"]
            for mode, r in rk["modes"].items():
                lines.append(f"| {mode} | {rk['world_size']} | {rk['backend']} | {r['steps']} | {r['lr_identical']} | "
                             f"{r['warmup_end_step']} | {r['end_reason']} | {r['checks']} |")
        else:
            lines.append(f"FAILED (return code {rk.get('returncode')}):\n\n```\n{rk.get('error', '')[-2000:]}\n```")
        lines.append("")
    lines += ["## Verdicts", ""] + [f"- {k}: {v}" for k, v in res["verdicts"].items()] + [""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any] | None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--output_dir", "--output-dir", default=None, help="write <name>.json and <name>.md here")
    p.add_argument("--name", default=None, help="file stem (default gpu_check / gpu_check_cpu)")
    p.add_argument("--cpu-ranks", action="store_true",
                   help="run the rank check on 2 gloo CPU processes (also on a CUDA machine)")
    p.add_argument("--cpu-smoke", action="store_true", help="without CUDA: parts 1 and 2 on a tiny CPU model")
    p.add_argument("--skip-ranks", action="store_true", help="skip part 3")
    p.add_argument("--force-cpu", action="store_true", help="behave as if CUDA were absent (tests the CPU path)")
    p.add_argument("--trials", type=int, default=None, help="timed trials in part 1")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--worker-out", default=None, help=argparse.SUPPRESS)
    p.add_argument("--worker-cpu", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        torch.set_num_threads(1)
        worker(args.worker_out, args.worker_cpu)
        return None

    cuda = cuda_ok() and not args.force_cpu
    command = " ".join(["python", *sys.argv]) if argv is None else " ".join(argv)
    res: dict[str, Any] = {
        "command": command,
        "provenance": bo.stamp(command),  # which hf_warmup sources this run measured
        "machine": bo.machine_info(torch.get_num_threads()),
        "cuda": cuda,
        "skipped": [],
    }
    m = res["machine"]
    print(f"machine: {m.get('gpu', 'no GPU')} | CPU {m['cpu']} ({m['usable_cores']} cores) | torch {m['torch']}",
          flush=True)
    if cuda:
        res["machine"]["gpu_count"] = torch.cuda.device_count()
        res["full_step"] = part_full_step(LLAMA_1B, "cuda", args.trials)
        res["syncs"] = part_syncs(LLAMA_1B, "cuda")
    else:
        print("CUDA not available: skipped GPU parts" + (" (--force-cpu)" if args.force_cpu else ""), flush=True)
        res["skipped"].append("CUDA not available: skipped GPU parts (1. 1B bf16 fused-AdamW step, 2. CUDA sync count)")
        if args.cpu_smoke:
            torch.set_num_threads(1)
            res["full_step"] = part_full_step(CPU_TINY, "cpu", args.trials)
            res["syncs"] = part_syncs(CPU_TINY, "cpu")
    if args.skip_ranks:
        res["skipped"].append("3. rank check (--skip-ranks)")
    elif args.cpu_ranks:
        res["ranks"] = part_ranks(cpu=True)
    elif cuda and torch.cuda.device_count() >= 2:
        res["ranks"] = part_ranks(cpu=False)
    else:
        msg = "3. rank check: needs 2 GPUs (or --cpu-ranks for 2 gloo CPU processes)"
        print(f"skipped {msg}", flush=True)
        res["skipped"].append(msg)

    v: dict[str, Any] = {}
    if res.get("full_step"):
        key = "full_step_ratio_le_1.005" + ("" if cuda else " (tiny CPU smoke model: not a measurement)")
        v[key] = res["full_step"]["paired_ratio_median"] <= TARGET_RATIO
        v["checks_ran_during_timed_steps"] = res["full_step"]["checks_timed"] == res["full_step"]["checks_expected"]
    if res.get("syncs"):
        v["at_most_one_sync_per_check"] = res["syncs"]["target_at_most_one_per_check"]
    if res.get("ranks"):
        v["ranks_identical_lr"] = bool(res["ranks"].get("ok"))
    res["verdicts"] = v
    bo.write_report(res, to_markdown(res), args.output_dir, args.name or ("gpu_check" if cuda else "gpu_check_cpu"))
    if res.get("ranks") and not res["ranks"].get("ok"):
        sys.exit(1)
    return res
