"""``SecondMomentMonitor``: the one stateful piece. It watches the optimizer's second moments.

Every ``check_interval`` *real* optimizer steps (counted by an optimizer step hook, so skipped fp16 steps and
repeated ``scheduler.step()`` calls do not count) it samples a fixed set of at most ``sample_size``
coordinates of the second-moment state and compares them with the previous sample, ``k`` steps earlier.

The statistic: for each sampled coordinate ``i`` the *innovation*

    e_i = m_i / v̂_{t-k,i} - 1

is how far the old estimate ``v̂_{t-k}`` was from ``m_i``, the mean squared gradient of the ``k`` steps that
followed. It is computed exactly from the two snapshots through the EMA recursion (see
:func:`hf_warmup.optim_state.window_coefficients`); for Adam ``e = ((1-β2^(t-k)) v_t/v_{t-k} - (1-β2^t)) / (1-β2^k)``.
The monitor reports

    S = mean_i min(e_i, 9)        (over sampled coordinates with v_{t-k,i} > 0, all ranks together)

Why this separates estimation noise from drift: ``m`` is new data, independent of ``v̂_{t-k}``, so
``E[m / v̂] - 1 ≈ Var(v̂)/E[v̂]²`` (Jensen) plus the lag bias. An estimate from few gradients is noisy, and
its noise shows up as a positive ``S`` that shrinks as the EMA fills (about ``2 / n_eff`` for Gaussian gradient
noise). Second moments growing faster than the EMA can follow (a rising loss scale, an LR that is too high)
also give ``S > 0``. The slow *downward* drift of real training, as gradients shrink, gives ``S <= 0``: it
makes Adam's steps smaller, not larger, so it does not hold the warmup. ``S`` is a ratio, so scaling the loss
does not change it. Non-finite state makes ``S`` NaN, which never counts as stable.

Cost: memory is ``sample_size + 2`` float32 numbers (16 KiB by default), independent of model width. A check
reads the samples with strided views, reduces three numbers across ranks, and synchronises with the host
once (one ``.tolist()``).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.distributed as dist

from .optim_state import (
    StateLocation,
    iter_sources,
    locate_state,
    optimizer_step_count,
    sample,
    window_coefficients,
)
from .statistic import NUM_SUMS, Window, coordinate_sums, finish

_HEADER = 2  # each rank's block starts with [number of samples, number of sources]


def _distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


class SecondMomentMonitor:
    """Samples second-moment state on real optimizer steps and computes the innovation statistic ``S``."""

    def __init__(self, optimizer: Any, check_interval: int = 10, sample_size: int = 4096) -> None:
        self.location: StateLocation = locate_state(optimizer)  # raises for SGD, Lion, ...
        self.check_interval = int(check_interval)
        self.sample_size = int(sample_size)
        self.real_steps = optimizer_step_count(self.location)
        self.snapshot_step = -1
        self.snapshot: torch.Tensor | None = None
        self._hook = self.location.optimizer.register_step_post_hook(self._count_step)

    # -- counting -------------------------------------------------------------------------------------------
    def _count_step(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        self.real_steps += 1

    def close(self) -> None:
        """Stop counting steps (once warmup has ended nothing more is needed). Idempotent."""
        self._hook.remove()

    @property
    def due(self) -> bool:
        return self.real_steps > 0 and self.real_steps - max(self.snapshot_step, 0) >= self.check_interval

    # -- sampling -------------------------------------------------------------------------------------------
    def _world(self) -> tuple[int, int]:
        if self.location.sharded and _distributed():
            return dist.get_rank(), dist.get_world_size()
        return 0, 1

    def _local_samples(self, budget: int) -> tuple[list[torch.Tensor], list[tuple[int, int]], torch.device]:
        """One sample tensor per source, the (group, count) runs they form, and their device; stable order."""
        sources = list(iter_sources(self.location))
        per_source = max(1, budget // max(1, len(sources))) if sources else 0
        chunks: list[torch.Tensor] = []
        runs: list[tuple[int, int]] = []
        device = torch.device("cpu")
        for src, state in sources[:budget]:
            values = sample(state, src.key, min(per_source, src.numel))
            device = values.device
            chunks.append(values)
            if runs and runs[-1][0] == src.group:
                runs[-1] = (src.group, runs[-1][1] + values.numel())
            else:
                runs.append((src.group, values.numel()))
        return chunks, runs, device

    def check(self) -> Window | None:
        """Take a snapshot; return the :class:`Window` against the previous one (``None`` on the first; its ``S``
        is NaN if the state was unusable)."""
        rank, world = self._world()
        budget = max(1, self.sample_size // world)
        chunks, runs, device = self._local_samples(budget)
        current = torch.cat([c.to(device) for c in chunks]) if chunks else torch.zeros(0, device=device)
        count = current.numel()
        block = torch.full((budget + _HEADER,), float("nan"), device=device)
        block[0], block[1] = float(count), float(len(runs))
        block[_HEADER : _HEADER + count] = current

        stat: Window | None = None
        previous = self._previous_block(rank, budget, device)
        if previous is not None:
            stat = self._statistic(previous, block, runs, count, device)
        if world > 1:
            gathered = torch.empty(world * block.numel(), device=device)
            dist.all_gather_into_tensor(gathered, block)
            block = gathered
        self.snapshot = block
        self.snapshot_step = self.real_steps
        return stat

    def _previous_block(self, rank: int, budget: int, device: torch.device) -> torch.Tensor | None:
        if self.snapshot is None or self.snapshot_step <= 0:
            return None
        size = budget + _HEADER
        if self.snapshot.numel() < (rank + 1) * size:
            return None
        return self.snapshot[rank * size : (rank + 1) * size].to(device)

    def _statistic(
        self, previous: torch.Tensor, block: torch.Tensor, runs: list[tuple[int, int]], count: int, device: torch.device
    ) -> Window:
        step, window = self.real_steps, self.real_steps - self.snapshot_step
        old = previous[_HEADER : _HEADER + count]
        new = block[_HEADER : _HEADER + count]
        # Coefficients per param group (sources are stored group by group).
        a = torch.empty(count, device=device)
        b = torch.empty(count, device=device)
        c = torch.empty(count, device=device)
        start = 0
        groups = self.location.optimizer.param_groups
        for group, n in runs:
            ca, cb, cc = window_coefficients(self.location.rule, groups[group], step, window)
            a[start : start + n], b[start : start + n], c[start : start + n] = ca, cb, cc
            start += n
        local = coordinate_sums(old, new, a, b, c)
        stats = torch.cat(
            [
                local,
                torch.stack(
                    [
                        (~torch.isfinite(new)).sum().double(),
                        # a layout change (state created for more params) makes old and new samples incomparable
                        ((previous[0] != float(count)).double() + (previous[1] != float(len(runs))).double()),
                    ]
                ),
            ]
        )
        if _distributed():
            if self.location.sharded:  # each rank holds part of the model: add the parts up
                dist.all_reduce(stats, op=dist.ReduceOp.SUM)
            else:  # replicated state: every rank holds the same numbers; take rank 0's
                dist.broadcast(stats, src=0)
        values = stats.tolist()  # the one host-device sync
        window = finish(values[:NUM_SUMS])
        non_finite, layout_changed = values[NUM_SUMS:]
        if non_finite > 0 or layout_changed > 0:
            return Window.invalid(window.count)
        return window

    # -- checkpointing --------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "real_steps": int(self.real_steps),
            "snapshot_step": int(self.snapshot_step),
            "snapshot": None if self.snapshot is None else self.snapshot.detach().to("cpu", copy=True),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.real_steps = int(state["real_steps"])
        self.snapshot_step = int(state["snapshot_step"])
        snap = state.get("snapshot")
        self.snapshot = None if snap is None else torch.as_tensor(snap, dtype=torch.float32)

    def state_bytes(self) -> int:
        """Bytes of tensor state the monitor keeps (the snapshot)."""
        return 0 if self.snapshot is None else self.snapshot.numel() * self.snapshot.element_size()
