"""Worker for ``tests/test_warmup_epochs.py``, an unmodified-style script run through ``python -m hf_warmup``::

    torchrun --standalone --nproc_per_node 2 -m hf_warmup tests/epochs_worker.py OUT [TrainingArguments flags...]

A Trainer run of the tiny GPT-2 on ``ROWS`` examples with the flags given (``--output_dir`` among them, with
checkpoints), then the same run resumed from its ``checkpoint-RESUME_AT`` in ``<output_dir>-resumed``. Rank 0
writes ``{"full": run, "resumed": run}`` to ``OUT``, each run with its ``log_history``, ``max_steps`` and
``warmup.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import torch
from dist_worker import tiny_lm
from launchers import finish_worker
from transformers import HfArgumentParser, Trainer, TrainingArguments

ROWS = 48
RESUME_AT = 4


def train(argv: list[str], resume: str | None = None) -> dict[str, Any]:
    from datasets import Dataset

    (args,) = HfArgumentParser(TrainingArguments).parse_args_into_dataclasses(argv)
    ids = torch.randint(0, 64, (ROWS, 16), generator=torch.Generator().manual_seed(0)).tolist()
    trainer = Trainer(model=tiny_lm(), args=args, train_dataset=Dataset.from_dict({"input_ids": ids, "labels": ids}))
    trainer.train(resume_from_checkpoint=resume)
    report = Path(args.output_dir, "warmup.json")
    return {"log_history": trainer.state.log_history, "max_steps": trainer.state.max_steps,
            "report": json.loads(report.read_text()) if trainer.is_world_process_zero() else None}


def main() -> None:
    out, argv = sys.argv[1], sys.argv[2:]
    torch.set_num_threads(1)
    (first,) = HfArgumentParser(TrainingArguments).parse_args_into_dataclasses(argv)
    results = {"full": train(argv)}
    checkpoint = str(Path(first.output_dir, f"checkpoint-{RESUME_AT}"))
    results["resumed"] = train([*argv, "--output_dir", f"{first.output_dir}-resumed"], resume=checkpoint)
    if first.process_index == 0:
        Path(out).write_text(json.dumps(results))
    finish_worker()  # see launchers.finish_worker


if __name__ == "__main__":
    main()
