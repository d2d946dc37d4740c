"""The warmup benchmark and measurement harness of this repository (not part of the installed ``hf_warmup``).

It measures ``hf_warmup`` from the outside, through its public API; the package never imports it
(``tests/test_import_graph.py``). The command lines are the thin scripts in ``scripts/``, which put ``scripts/``
on ``sys.path`` and call a ``main`` here:

* ``scripts/benchmark_warmup.py`` → :mod:`warmup_bench.runner`: tasks × peak LRs × seeds × warmup arms;
  :mod:`warmup_bench.protocol` (arms, scheduler requests, the :class:`~warmup_bench.protocol.Task` protocol),
  :mod:`warmup_bench.tasks` (one module per task), :mod:`warmup_bench.results` (the results format and its cell
  key), :mod:`warmup_bench.aggregate` (cells, oracle, gaps), :mod:`warmup_bench.heldout` (targets per split),
  :mod:`warmup_bench.sweep_report` (``summary.json``, ``summary.md``, the picture);
* ``scripts/bench_overhead.py`` → :mod:`warmup_bench.overhead`; ``scripts/gpu_check.py`` →
  :mod:`warmup_bench.gpu_check`;
* ``scripts/render_figures.py`` → :mod:`warmup_bench.render`: every markdown table and figure block made from
  committed results; :mod:`warmup_bench.provenance` stamps results files and says when they are stale;
* shared by the workloads (``pretrain_lm.py``, ``finetune_classification.py``, ``make_cards.py``):
  :mod:`warmup_bench.text` (the KJV text), :mod:`warmup_bench.lm_task`, :mod:`warmup_bench.models`,
  :mod:`warmup_bench.model_card`, :mod:`warmup_bench.benchmark_card`, :mod:`warmup_bench.metrics`.

The workloads stay user-like scripts in ``scripts/``, as does ``scripts/common.py`` (their arguments and
end-of-run files, the same calls a user's script makes) and ``scripts/probe_signals.py`` (a one-off measurement
of the optimizer state); they import what they share from here.
"""

from pathlib import Path

#: The repository root and its ``scripts/`` folder (the thin command-line scripts live there).
ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
