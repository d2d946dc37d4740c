"""Where an optimizer keeps its second moments, looked up through the usual wrappers.

This module only *reads* optimizer state; it never copies a whole ``exp_avg_sq``. It knows:

* torch ``Adam``/``AdamW``/``RAdam``/``NAdam`` (foreach and fused too), DeepSpeed/apex ``FusedAdam`` and
  ``DeepSpeedCPUAdam``: ``exp_avg_sq``, an EMA with rate ``β2 = betas[1]`` and Adam's bias correction;
* bitsandbytes Adam/AdamW/AdEMAMix (8-bit, 32-bit, paged): ``state2`` (8-bit: block-wise quantised,
  dequantised on the sampled coordinates only);
* ``RMSprop``: ``square_avg``, an EMA with rate ``alpha`` and no bias correction; bitsandbytes' RMSprop keeps
  it in ``state1`` with the rate in ``betas[0]``;
* transformers' ``Adafactor``: ``exp_avg_sq_row``/``exp_avg_sq_col`` (factored) or ``exp_avg_sq``, EMAs with the
  step-dependent rate ``ρ_j = 1 - j^decay_rate``.

Wrappers looked through: Accelerate's ``AcceleratedOptimizer`` and DeepSpeed wrappers (``.optimizer``), torch's
``ZeroRedundancyOptimizer`` (``.optim``), DeepSpeed ZeRO's inner optimizer over flat fp32 partitions, and FSDP2
``DTensor`` state (its local shard). Which coordinates of that state are read, and by which rank, is
:mod:`hf_warmup.layout`'s business.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch

from .options import ScheduleConfigError


@dataclass(frozen=True)
class StateLocation:
    """The innermost optimizer holding the state, its rule, and whether the state is sharded across ranks."""

    optimizer: torch.optim.Optimizer
    rule: str  # "adam", "ema" (RMSprop) or "adafactor": see window_coefficients
    sharded: bool
    wrappers: tuple[str, ...]
    chain: tuple[Any, ...] = ()  # the wrapper objects, outermost first (DeepSpeed's ZeRO optimizer among them)


def _refuse(name: str, wrappers: tuple[str, ...]) -> ScheduleConfigError:
    chain = " -> ".join((*wrappers, name))
    return ScheduleConfigError(
        f"adaptive_warmup needs an adaptive optimizer that keeps a second-moment estimate (Adam, AdamW, RAdam, "
        f"NAdam, RMSprop, Adafactor, 8-bit Adam), but got {chain}, which keeps none: a variance-aware warmup has "
        f"nothing to watch. Use a fixed warmup instead, e.g. lr_scheduler_type='linear_warmup' with "
        f"num_warmup_steps > 0."
    )


def locate_state(optimizer: Any) -> StateLocation:
    """Unwrap ``optimizer`` down to the object whose ``.state`` holds the second moments."""
    wrappers: list[str] = []
    chain: list[Any] = []
    sharded = False
    current = optimizer
    for _ in range(8):
        name = type(current).__name__
        if name == "ZeroRedundancyOptimizer":
            wrappers.append(name)
            chain.append(current)
            sharded = True
            current = current.optim
            continue
        inner = getattr(current, "optimizer", None)
        if inner is not None and inner is not current and hasattr(inner, "param_groups"):
            wrappers.append(name)
            chain.append(current)
            if _is_zero_partitioned(current):
                sharded = True
            current = inner
            continue
        break
    name = type(current).__name__
    module = type(current).__module__
    groups = current.param_groups
    lowered = name.lower()
    if "adafactor" in lowered:
        rule = "adafactor"
    elif lowered.startswith("rmsprop") or name == "RMSprop":
        rule = "ema"
    elif ("adam" in lowered or "ademamix" in lowered) and "adamax" not in lowered and all("betas" in g for g in groups):
        rule = "adam"
    elif "lion" in lowered or name in {"SGD", "Adagrad", "Adamax", "ASGD", "Rprop", "LBFGS", "SparseAdam"}:
        raise _refuse(name, tuple(wrappers))
    elif any(_second_moment_tensors(s) for s in current.state.values()):
        rule = "adam" if all("betas" in g for g in groups) else "ema"
    else:
        raise _refuse(f"{module}.{name}", tuple(wrappers))
    if rule == "ema" and not all("alpha" in g or "betas" in g for g in groups):
        raise _refuse(name, tuple(wrappers))
    # FSDP2 parameters (and so their optimizer state) are DTensor shards.
    sharded = sharded or any(callable(getattr(p, "to_local", None)) for g in groups for p in g["params"])
    return StateLocation(current, rule, sharded, tuple(wrappers), tuple(chain))


def _is_zero_partitioned(wrapper: Any) -> bool:
    """DeepSpeed's ZeRO-1/2 and ZeRO-3 optimizers partition the fp32 state over the data-parallel ranks."""
    return hasattr(wrapper, "single_partition_of_fp32_groups") or hasattr(wrapper, "fp32_partitioned_groups_flat")


def _second_moment_tensors(state: dict[str, Any]) -> list[str]:
    keys = ("exp_avg_sq_row", "exp_avg_sq_col") if "exp_avg_sq_row" in state else ("exp_avg_sq",)
    found = [k for k in keys if isinstance(state.get(k), torch.Tensor)]
    if not found:
        for k in ("state2", "square_avg"):
            if isinstance(state.get(k), torch.Tensor):
                return [k]
    return found


def second_moment_keys(state: dict[str, Any], rule: str) -> list[str]:
    """The second-moment keys of one param's state; bitsandbytes' one-state RMSprop keeps it in ``state1``."""
    found = _second_moment_tensors(state)
    if not found and rule == "ema" and isinstance(state.get("state1"), torch.Tensor):
        return ["state1"]
    return found


#: The first moment kept beside each second-moment key, where the optimizer keeps one (Adam's ``exp_avg``,
#: bitsandbytes' two-state optimizers' ``state1``).
FIRST_MOMENT_KEYS = {"exp_avg_sq": "exp_avg", "state2": "state1"}


def first_moment_key(state: dict[str, Any], rule: str, second_key: str) -> str | None:
    """The key of the first moment that goes with ``second_key`` in this state, or None (RMSprop, Adafactor)."""
    key = FIRST_MOMENT_KEYS.get(second_key) if rule == "adam" else None
    return key if key is not None and isinstance(state.get(key), torch.Tensor) else None


def ema_rate(group: dict[str, Any]) -> float:
    """RMSprop's EMA rate: ``alpha`` (torch), or ``betas[0]`` (bitsandbytes' RMSprop stores alpha there)."""
    return float(group["alpha"]) if "alpha" in group else float(group["betas"][0])


def _local(t: torch.Tensor) -> torch.Tensor:
    """The local shard of a DTensor (FSDP2); the tensor itself otherwise."""
    to_local = getattr(t, "to_local", None)
    return to_local() if callable(to_local) else t


@dataclass(frozen=True)
class Source:
    """One second-moment tensor: param group, param index in the group, state key."""

    group: int
    index: int
    key: str
    numel: int


def iter_sources(location: StateLocation) -> Iterator[tuple[Source, dict[str, Any]]]:
    """Every second-moment tensor that exists now, in param-group order. Params without state are skipped."""
    opt = location.optimizer
    for g, group in enumerate(opt.param_groups):
        for i, p in enumerate(group["params"]):
            state = opt.state.get(p)
            if not state:
                continue
            for key in second_moment_keys(state, location.rule):
                numel = _local(state[key]).numel()
                if numel > 0:
                    yield Source(g, i, key, numel), state


def sample(state: dict[str, Any], key: str, count: int) -> torch.Tensor:
    """``count`` evenly strided coordinates of the (dequantised) second moment, as float32, on its device."""
    numel = _local(state[key]).numel()
    stride = max(1, numel // count)
    return sample_strided(state, key, stride // 2, stride, min(count, numel))


#: bitsandbytes' block size for block-wise quantised optimizer state (``Optimizer2State.init_state``).
BNB_BLOCKSIZE = 256


def sample_strided(state: dict[str, Any], key: str, start: int, stride: int, count: int) -> torch.Tensor:
    """Coordinates ``start + j · stride`` (``j < count``) of the flat local second moment, dequantised, float32.

    bitsandbytes' 8-bit state is a uint8 code (``state2``, or ``state1`` for its RMSprop) with a 256-entry map
    (``qmap``) and one scale per block of 256 values (``absmax``) or per tensor (``max``): the value is
    ``qmap[code] · absmax[index // 256]``, computed here for the sampled coordinates only.
    """
    raw = _local(state[key]).reshape(-1)
    if count <= 0:
        return torch.zeros(0, device=raw.device)
    if raw.dtype == torch.uint8 and key in ("state1", "state2"):
        n = key[-1]
        idx = torch.arange(start, start + stride * count, stride, device=raw.device)
        values = state[f"qmap{n}"][raw[idx].long()].float()
        if f"absmax{n}" in state:
            absmax = state[f"absmax{n}"].reshape(-1)
            block = BNB_BLOCKSIZE if math.ceil(raw.numel() / BNB_BLOCKSIZE) == absmax.numel() else math.ceil(
                raw.numel() / absmax.numel())
            return values * absmax[idx // block].float()
        return values * state[f"max{n}"].reshape(-1)[:1].float()
    return raw[start : start + stride * (count - 1) + 1 : stride].float()


def window_coefficients(rule: str, group: dict[str, Any], step: int, window: int) -> tuple[float, float, float]:
    """``(a, b, c)`` such that the innovation is ``e = (a · v_t / v_{t-k} - b) / c``.

    ``e = m_k / v̂_{t-k} - 1``: how far the estimate at ``t - k`` was from the mean squared gradient ``m_k``
    of the ``k`` steps that followed. It follows exactly from the EMA recursion:

    * Adam, bias-corrected ``v̂ = v / (1 - β2^t)``: ``a = 1 - β2^(t-k)``, ``b = 1 - β2^t``, ``c = 1 - β2^k``;
    * an EMA without bias correction (RMSprop, ``alpha``): ``a = b = 1``, ``c = 1 - alpha^k``;
    * Adafactor, ``ρ_j = 1 - j^decay_rate``: ``a = b = 1``, ``c = 1 - Π_{j=t-k+1..t} ρ_j``.
    """
    k = window
    if rule == "adam":
        beta2 = float(group["betas"][1])
        return 1.0 - beta2 ** (step - k), 1.0 - beta2**step, 1.0 - beta2**k
    if rule == "ema":
        return 1.0, 1.0, 1.0 - ema_rate(group) ** k
    decay_rate = float(group.get("decay_rate", -0.8))
    kept = 1.0
    for j in range(step - k + 1, step + 1):
        kept *= 1.0 - j**decay_rate
    return 1.0, 1.0, max(1.0 - kept, 1e-12)


def beta2_hint(location: StateLocation) -> float | None:
    """The largest EMA rate over groups (``betas[1]`` or ``alpha``); None for Adafactor's step-dependent rate."""
    groups = location.optimizer.param_groups
    if location.rule == "adam":
        return max(float(g["betas"][1]) for g in groups)
    if location.rule == "ema":
        return max(ema_rate(g) for g in groups)
    return None


def optimizer_step_count(location: StateLocation) -> int:
    """The optimizer's own step count, read once (0 before the first step); used when a scheduler is built late."""
    for _, state in iter_sources(location):
        step = state.get("step")
        if step is not None:
            return int(step.item() if isinstance(step, torch.Tensor) else step)
    return 0
