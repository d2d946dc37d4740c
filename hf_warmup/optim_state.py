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
``DTensor`` state (its local shard). An optimizer that DeepSpeed built from the ``optimizer`` block of its config
reaches the scheduler bare (see :func:`deepspeed_engine_optimizer`); it is looked up from the engine's wrapper.
Which coordinates of that state are read, and by which rank, is :mod:`hf_warmup.layout`'s business.
"""

from __future__ import annotations

import gc
import math
import sys
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
    wrappers: tuple[str, ...]  # the names of what was looked through, outermost first ("DeepSpeedEngine" too)
    chain: tuple[Any, ...] = ()  # the wrapper optimizers, outermost first (DeepSpeed's ZeRO optimizer among them)


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
    if _inner(optimizer) is None:
        engine_optimizer = deepspeed_engine_optimizer(optimizer)
        if engine_optimizer is not None:
            wrappers.append("DeepSpeedEngine")
            optimizer = engine_optimizer
    chain: list[Any] = []
    sharded = False
    current = optimizer
    for _ in range(8):
        inner = _inner(current)
        if inner is None:
            break
        wrappers.append(type(current).__name__)
        chain.append(current)
        sharded = sharded or type(current).__name__ == "ZeroRedundancyOptimizer" or _is_zero_partitioned(current)
        current = inner
    groups = current.param_groups
    rule = _rule(current, tuple(wrappers))
    # FSDP2 parameters (and so their optimizer state) are DTensor shards.
    sharded = sharded or any(callable(getattr(p, "to_local", None)) for g in groups for p in g["params"])
    return StateLocation(current, rule, sharded, tuple(wrappers), tuple(chain))


def _inner(wrapper: Any) -> Any | None:
    """The optimizer ``wrapper`` wraps (``.optim`` of ``ZeroRedundancyOptimizer``, ``.optimizer`` of the others), or
    None for an optimizer that holds its own state."""
    if type(wrapper).__name__ == "ZeroRedundancyOptimizer":
        return wrapper.optim
    inner = getattr(wrapper, "optimizer", None)
    return inner if inner is not None and inner is not wrapper and hasattr(inner, "param_groups") else None


def _rule(current: Any, wrappers: tuple[str, ...]) -> str:
    """How ``current`` keeps its second moment (see :func:`window_coefficients`); refuses optimizers without one."""
    name = type(current).__name__
    groups = current.param_groups
    lowered = name.lower()
    if "adafactor" in lowered:
        rule = "adafactor"
    elif lowered.startswith("rmsprop") or name == "RMSprop":
        rule = "ema"
    elif ("adam" in lowered or "ademamix" in lowered) and "adamax" not in lowered and all("betas" in g for g in groups):
        rule = "adam"
    elif "lion" in lowered or name in {"SGD", "Adagrad", "Adamax", "ASGD", "Rprop", "LBFGS", "SparseAdam"}:
        raise _refuse(name, wrappers)
    elif any(_second_moment_tensors(s) for s in current.state.values()):
        rule = "adam" if all("betas" in g for g in groups) else "ema"
    else:
        raise _refuse(f"{type(current).__module__}.{name}", wrappers)
    if rule == "ema" and not all("alpha" in g or "betas" in g for g in groups):
        raise _refuse(name, wrappers)
    return rule


def _deepspeed_running() -> bool:
    """DeepSpeed's communication backend is initialised in this process (every DeepSpeed engine does that)."""
    comm = sys.modules.get("deepspeed.comm")
    return comm is not None and bool(comm.is_initialized())


def deepspeed_engine_optimizer(optimizer: Any) -> Any | None:
    """The optimizer a DeepSpeed engine steps (its ZeRO, fp16 or bf16 wrapper, or ``optimizer`` itself) when
    ``optimizer`` is that engine's ``basic_optimizer``; None otherwise.

    With an ``optimizer`` block in the DeepSpeed config, DeepSpeed builds the optimizer itself (``FusedAdam``,
    ``DeepSpeedCPUAdam`` under ``offload_optimizer``, or torch's), wraps it, and only then builds the scheduler by
    calling ``lr_scheduler_callable(engine.basic_optimizer)`` (transformers' ``DummyScheduler``). So the scheduler
    gets the bare optimizer after ZeRO has rewritten its param groups: ZeRO-1/2 leave this rank's flat fp32
    partition in them, ZeRO-3 leaves them empty (filled one sub-group at a time inside ``step()``). Read as
    whole parameters, that state gives a different S (ZeRO-1/2) or none at all (ZeRO-3). Nothing in the optimizer
    points back to the wrapper; the engine does, through its ``__dict__`` (``basic_optimizer`` and ``optimizer``).
    It is found among the optimizer's referrers: one scan of the heap, once per scheduler, only while DeepSpeed's
    backend is initialised and only for an optimizer that wraps nothing.
    """
    if not _deepspeed_running():
        return None
    for referrer in gc.get_referrers(optimizer):
        attributes = referrer if isinstance(referrer, dict) else getattr(referrer, "__dict__", None)
        if isinstance(attributes, dict) and attributes.get("basic_optimizer") is optimizer:
            outer = attributes.get("optimizer")
            return optimizer if outer is None else outer
    return None


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


def beta1_hint(location: StateLocation) -> float | None:
    """The largest first-moment rate over groups (``betas[0]`` of an Adam-like optimizer); None without one."""
    groups = location.optimizer.param_groups
    if location.rule == "adam":
        return max(float(g["betas"][0]) for g in groups)
    return None


def beta2_hint(location: StateLocation) -> float | None:
    """The largest EMA rate over groups (``betas[1]`` or ``alpha``); None for Adafactor's step-dependent rate."""
    groups = location.optimizer.param_groups
    if location.rule == "adam":
        return max(float(g["betas"][1]) for g in groups)
    if location.rule == "ema":
        return max(ema_rate(g) for g in groups)
    return None


def optimizer_step_count(location: StateLocation) -> int:
    """The optimizer's own step count, read once (0 before the first step); used when a scheduler is built late.

    The largest over params: DeepSpeed's ``FusedAdam`` increments ``step`` in the state of only the last param of
    each group it steps.
    """
    steps = [state.get("step") for _, state in iter_sources(location)]
    return max((int(s.item() if isinstance(s, torch.Tensor) else s) for s in steps if s is not None), default=0)
