"""CUDA-only checks (``@pytest.mark.gpu``: skipped by ``tests/skip_guard.py`` where ``torch.cuda.is_available()`` is
false, i.e. in CI: the only skip allowed).

Run on a GPU machine with ``python -m pytest -m gpu tests``.
"""

from __future__ import annotations

import warnings

import pytest
import torch
from transformers import get_scheduler


def _train_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler: object) -> list[str]:
    """One real step; returns the CUDA sync warnings raised inside ``scheduler.step()``."""
    x = torch.randn(32, 64, device="cuda")
    model(x).square().mean().backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scheduler.step()  # type: ignore[attr-defined]
    return [str(w.message) for w in caught if "synchroniz" in str(w.message).lower()]


@pytest.mark.gpu
def test_a_check_synchronises_with_the_host_once_on_cuda() -> None:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 64)).cuda()
    groups = [{"params": [p for p in model.parameters() if p.ndim > 1]},
              {"params": [p for p in model.parameters() if p.ndim == 1], "weight_decay": 0.0}]
    optimizer = torch.optim.AdamW(groups, lr=1e-3, foreach=True)
    scheduler = get_scheduler("adaptive_warmup", optimizer, num_warmup_steps=0, num_training_steps=10_000,
                              scheduler_specific_kwargs={"check_interval": 2, "coherence_threshold": 0})
    for _ in range(4):  # the first checks build the monitor's device-side index once
        _train_step(model, optimizer, scheduler)
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("warn")
    try:
        per_step = [_train_step(model, optimizer, scheduler) for _ in range(10)]
    finally:
        torch.cuda.set_sync_debug_mode("default")
    checks = len(scheduler.check_history)
    assert checks >= 6  # checks at every second step, before and during the counted window
    assert [len(s) for s in per_step] == [0, 1] * 5, per_step  # one sync (the sums' .tolist()) per check, none between
