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

    S = the statistic of :mod:`hf_warmup.statistic` over the sampled coordinates (all ranks together)

and, where the optimizer keeps a first moment at the same coordinates (Adam, 8-bit Adam), the coherence ``φ``
of the gradients the momentum averages (:func:`hf_warmup.statistic.coherence`): ``< 1`` when successive
gradients alternate, i.e. the steps overshoot.

What ``S``, its variance and the excess innovation mean, and why noise and drift can be told apart, is
explained in :mod:`hf_warmup.statistic`. Non-finite state makes ``S`` NaN (one warning names the layout).

Which coordinates: a uniform systematic sample of the model's coordinates, chosen by their global place in the
model (:mod:`hf_warmup.layout`), so every layout (one process, DDP, ZeroRedundancyOptimizer, FSDP2, HSDP,
DeepSpeed ZeRO-0/1/2/3) samples the same coordinates with the same weights and gives the same ``S``.

Cost: the snapshot is ``sample_size`` float32 numbers (16 KiB by default), indexed by sample slot, the same on
every rank, independent of model width and of the number of ranks. A check reads this rank's sampled
coordinates with strided views, writes them and its per-coordinate sums into one vector, reduces it with one
SUM across all ranks (each coordinate is owned by exactly one rank), and synchronises with the host once (one
``.tolist()`` of the sums).
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any

import torch
import torch.distributed as dist

from .layout import Layout, build_layout, state_of, step_marker
from .optim_state import (
    StateLocation,
    first_moment_key,
    locate_state,
    optimizer_step_count,
    sample_strided,
    window_coefficients,
)
from .statistic import (
    NUM_COHERENCE_SUMS,
    NUM_SUMS,
    Window,
    coherence,
    coherence_sums,
    coordinate_sums,
    finish,
    white_noise_factor,
)

_FLAGS = 2  # after the sums: the number of non-finite sampled values, the number of coordinates without a first moment


def _distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def _comm_device(fallback: torch.device) -> torch.device:
    """Where the reduced vector lives: the current CUDA device under NCCL, else the samples' device (CPU for gloo)."""
    if _distributed():
        backend = str(dist.get_backend()).lower()
        if "nccl" in backend and torch.cuda.is_available():
            return torch.device("cuda", torch.cuda.current_device())
        if "gloo" in backend:
            return torch.device("cpu")
    return fallback


class SecondMomentMonitor:
    """Samples second-moment state on real optimizer steps and computes the innovation statistic ``S``."""

    def __init__(self, optimizer: Any, check_interval: int = 10, sample_size: int = 4096) -> None:
        self.location: StateLocation = locate_state(optimizer)  # raises for SGD, Lion, ...
        self.check_interval = int(check_interval)
        self.sample_size = int(sample_size)
        self.layout: Layout = build_layout(self.location, self.sample_size)  # raises for unreadable layouts
        self._marker = step_marker(self.location)
        self.real_steps = self._initial_step_count()
        self.snapshot_step = -1
        self.snapshot: torch.Tensor | None = None
        self._warned = False
        # (found runs, device) -> slots and groups on that device: see _slots_and_groups
        self._index_cache: tuple[tuple[tuple[int, ...], torch.device], torch.Tensor, torch.Tensor] | None = None
        self._hook = self.location.optimizer.register_step_post_hook(self._count_step)

    @property
    def engine(self) -> str:
        """The layout's name, used in messages (``torch``, ``FSDP2``, ``DeepSpeed ZeRO-3``, ...)."""
        return self.layout.engine

    # -- counting -------------------------------------------------------------------------------------------
    def _initial_step_count(self) -> int:
        if self._marker is not None:
            step = self.location.optimizer.state.get(self._marker, {}).get("step")
            if step is not None:
                return int(step.item() if isinstance(step, torch.Tensor) else step)
            return 0
        return optimizer_step_count(self.location)

    def _count_step(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        # DeepSpeed ZeRO calls the inner step() once per param group (sub-group): count the one with the marker
        if self._marker is None or any(p is self._marker for g in optimizer.param_groups for p in g["params"]):
            self.real_steps += 1

    def close(self) -> None:
        """Stop counting steps (once warmup has ended nothing more is needed). Idempotent."""
        self._hook.remove()

    @property
    def due(self) -> bool:
        return self.real_steps > 0 and self.real_steps - max(self.snapshot_step, 0) >= self.check_interval

    # -- sampling -------------------------------------------------------------------------------------------
    def _local_samples(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.device]:
        """This rank's sampled second moments and first moments (float32; NaN where there is no first moment),
        their slots, their param groups, and their device."""
        values: list[torch.Tensor] = []
        firsts: list[torch.Tensor] = []
        found_runs: list[int] = []
        device = torch.device("cpu")
        for index, run in enumerate(self.layout.runs):
            found = state_of(self.location, run)
            if found is None:
                continue
            state, key = found
            v = sample_strided(state, key, run.local, self.layout.stride, run.count)
            device = v.device
            values.append(v)
            first = first_moment_key(state, self.location.rule, key)
            firsts.append(sample_strided(state, first, run.local, self.layout.stride, run.count) if first is not None
                          else torch.full_like(v, float("nan")))
            found_runs.append(index)
        device = _comm_device(device)
        if not values:
            empty = torch.zeros(0, dtype=torch.long, device=device)
            return torch.zeros(0, device=device), torch.zeros(0, device=device), empty, empty, device
        slots, groups = self._slots_and_groups(tuple(found_runs), device)
        return (torch.cat([v.to(device) for v in values]), torch.cat([m.to(device) for m in firsts]),
                slots, groups, device)

    def _slots_and_groups(self, found_runs: tuple[int, ...], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """The sample slot and param group of each sampled coordinate of ``found_runs``, on ``device``.

        Fixed by the layout, so built once and kept on the device: a check copies nothing from host to device
        for them (on CUDA each such copy would be one more synchronisation).
        """
        if self._index_cache is None or self._index_cache[0] != (found_runs, device):
            runs = [self.layout.runs[i] for i in found_runs]
            slots = torch.cat([torch.arange(r.slot, r.slot + r.count) for r in runs])
            groups = torch.cat([torch.full((r.count,), r.group, dtype=torch.long) for r in runs])
            self._index_cache = ((found_runs, device), slots.to(device), groups.to(device))
        return self._index_cache[1], self._index_cache[2]

    def check(self) -> Window | None:
        """Take a snapshot; return the :class:`~hf_warmup.statistic.Window` against the previous one (``None`` on
        the first; its ``S`` is NaN if the state was unusable)."""
        new, first, slots, groups, device = self._local_samples()
        size, sums = self.sample_size, NUM_SUMS + NUM_COHERENCE_SUMS
        vector = torch.zeros(size + sums + _FLAGS, dtype=torch.float64, device=device)
        vector[slots] = new.double()
        comparable = self.snapshot is not None and self.snapshot_step > 0 and self.snapshot.numel() == size
        if comparable:
            assert self.snapshot is not None
            old = self.snapshot.to(device)[slots]
            a, b, c, scale = self._per_coordinate(groups, device)
            vector[size : size + NUM_SUMS] = coordinate_sums(old, new, a, b, c).to(device)
            vector[size + NUM_SUMS : size + sums] = coherence_sums(first, old, new, a, b, c, scale).to(device)
        vector[size + sums] = (~torch.isfinite(new)).sum().double()
        vector[size + sums + 1] = torch.isnan(first).sum().double()
        if _distributed():  # every sampled coordinate is owned by exactly one rank: the SUM counts it once
            dist.all_reduce(vector, op=dist.ReduceOp.SUM)
        self.snapshot = vector[:size].float()
        self.snapshot_step = self.real_steps
        if not comparable:
            return None
        values = vector[size:].tolist()  # the one host-device sync
        window = finish(values[:NUM_SUMS])
        non_finite, no_first = values[sums], values[sums + 1]
        if no_first == 0:  # φ only where every sampled coordinate has a first moment (not RMSprop/Adafactor)
            window = replace(window, coherence=coherence(values[NUM_SUMS:sums]))
        if non_finite > 0:
            window = Window.invalid(window.count)
        if window.S != window.S:
            self._warn(non_finite, window.count)
        return window

    def _per_coordinate(self, groups: torch.Tensor, device: torch.device) -> tuple[torch.Tensor, ...]:
        """``(a, b, c, scale)`` per sampled coordinate, from its param group: the window coefficients
        (:func:`~hf_warmup.optim_state.window_coefficients`) and ``f / (1 - β1^t)²``
        (:func:`~hf_warmup.statistic.white_noise_factor`; 1 without β1).

        One small table per check, copied to the device without blocking the host (pinned memory on CUDA).
        """
        step, window = self.real_steps, self.real_steps - self.snapshot_step
        rows = []
        for g in self.location.optimizer.param_groups:
            beta1 = float(g["betas"][0]) if "betas" in g else 0.0
            scale = white_noise_factor(beta1, max(step, 1)) / (1.0 - beta1 ** max(step, 1)) ** 2
            rows.append([*window_coefficients(self.location.rule, g, step, window), scale])
        table = torch.tensor(rows, dtype=torch.float64).reshape(-1, 4)
        if device.type == "cuda":
            table = table.pin_memory().to(device, non_blocking=True)
        else:
            table = table.to(device)
        chosen = table[groups]
        return chosen[:, 0], chosen[:, 1], chosen[:, 2], chosen[:, 3]

    def _warn(self, non_finite: float, count: int) -> None:
        """One warning per monitor (on rank 0) when S cannot be computed."""
        if self._warned or (_distributed() and dist.get_rank() != 0):
            return
        self._warned = True
        if non_finite > 0:
            why = (f"{int(non_finite)} sampled second-moment values are not finite (fp16 overflow or a diverged "
                   f"run); S stays NaN and never counts as stable until they are")
        else:
            why = (f"none of the {self.layout.slots} sampled coordinates of the {self.layout.total} in the model has "
                   f"positive second-moment state on this {self.engine} layout (no state found, or all zero)")
        warnings.warn(
            f"adaptive_warmup at real step {self.real_steps}: the statistic S is NaN: {why}. The warmup then runs to "
            f"max_warmup_steps like linear_warmup. If this persists, check that the optimizer is stepped and "
            f"that {self.engine} keeps its state in memory, or use a fixed warmup.",
            RuntimeWarning,
            stacklevel=2,
        )

    # -- checkpointing --------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "real_steps": int(self.real_steps),
            "snapshot_step": int(self.snapshot_step),
            "snapshot": None if self.snapshot is None else self.snapshot.detach().to("cpu", copy=True),
            "coordinates": int(self.layout.total),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.real_steps = int(state["real_steps"])
        self.snapshot_step = int(state["snapshot_step"])
        snap = state.get("snapshot")
        same_model = state.get("coordinates") == self.layout.total
        # a snapshot from another model or an older format cannot be compared: the next check starts afresh
        self.snapshot = None if snap is None or not same_model else torch.as_tensor(snap, dtype=torch.float32)

    def state_bytes(self) -> int:
        """Bytes of tensor state the monitor keeps (the snapshot)."""
        return 0 if self.snapshot is None else self.snapshot.numel() * self.snapshot.element_size()
