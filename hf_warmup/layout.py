"""Which second-moment coordinates the monitor samples, chosen by their place in the model, not in the layout.

**The coordinates.** The model's second-moment coordinates are numbered globally: parameters in the order of
the optimizer's param groups (the order the user, or the Trainer, gave them), each parameter's elements in
row-major order; a parameter whose second moment is factored (Adafactor) contributes its row and column
statistics instead. ``N`` is the total. This numbering is the same whatever the engine does with the state:
one process, DDP, ``ZeroRedundancyOptimizer``, FSDP2 / HSDP shards, DeepSpeed ZeRO-1/2 flat partitions or ZeRO-3
parameter partitions.

**The sample.** With ``n = sample_size``, the stride is ``s = ceil(N / n)`` and the sampled coordinates are
``g_j = ⌊(s - 1) / 2⌋ + j · s`` for ``j = 0 .. K - 1`` (``K <= n``): a uniform systematic sample in which every
coordinate has the same chance, so a LayerNorm bias weighs what its size says, not as much as the embedding.
Sample slot ``j`` always holds coordinate ``g_j``.

**Who reads what.** Each rank reads the sampled coordinates that live in its own piece of the state
(:class:`Piece`: a run of consecutive global coordinates stored at consecutive local offsets), and only if it
*owns* them: sharded state is owned by the rank holding it; replicated state (DDP, the replicate dimension of
HSDP, DeepSpeed ZeRO-0) only by the first replica. So a SUM over all ranks counts each sampled coordinate
exactly once, and the statistic is that of the whole model's state, the same for every layout.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from .optim_state import StateLocation, second_moment_keys
from .options import ScheduleConfigError


@dataclass(frozen=True)
class Piece:
    """Consecutive global coordinates ``[global_start, global_start + length)`` held by this rank.

    They sit at ``[local_start, local_start + length)`` of the flat local tensor ``state[key]`` of the optimizer
    state of ``param`` (``key`` None: the param's one second-moment key, looked up when read).
    """

    param: Any
    key: str | None
    group: int
    local_start: int
    global_start: int
    length: int


@dataclass(frozen=True)
class Run:
    """The sampled coordinates of one piece: slots ``[slot, slot + count)`` read at ``local, local + stride, ...``."""

    param: Any
    key: str | None
    group: int
    local: int
    slot: int
    count: int


@dataclass(frozen=True)
class Layout:
    """This rank's share of the global sample. ``engine`` names the layout in messages."""

    engine: str
    total: int
    stride: int
    offset: int
    slots: int  # K: sampled coordinates in the whole model
    runs: tuple[Run, ...]


def _rank() -> int:
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def _numel(p: Any) -> int:
    """Full (unsharded) element count: ZeRO-3 keeps it in ``ds_numel``, a DTensor reports its global shape."""
    numel = getattr(p, "ds_numel", None)
    return int(numel) if numel is not None else int(p.numel())


def _factored(rule: str, shape: tuple[int, ...]) -> tuple[tuple[str, int], ...] | None:
    """Adafactor's factored statistics for a >= 2-D param: ``exp_avg_sq_row`` and ``exp_avg_sq_col``."""
    if rule != "adafactor" or len(shape) < 2:
        return None
    rows = math.prod(shape[:-1])
    cols = math.prod(shape[:-2]) * shape[-1]
    return ("exp_avg_sq_row", rows), ("exp_avg_sq_col", cols)


def _replica_owner(dtensor_like: Any) -> bool:
    """For a DTensor: this rank is the first replica on every mesh dimension the tensor is replicated over."""
    mesh, placements = dtensor_like.device_mesh, dtensor_like.placements
    coord = mesh.get_coordinate()
    if coord is None:
        return False
    return all(c == 0 for c, pl in zip(coord, placements) if not pl.is_shard())


def _dtensor_pieces(p: Any, group: int, global_start: int) -> Iterator[Piece]:
    """FSDP2 / HSDP: the local shard of a DTensor param, sharded on dim 0 (FSDP2's default placement)."""
    from torch.distributed.tensor._utils import compute_local_shape_and_global_offset

    placements = p.placements
    if any(pl.is_shard() and pl.dim != 0 for pl in placements) or any(pl.is_partial() for pl in placements):
        raise ScheduleConfigError(
            f"adaptive_warmup: FSDP2 param of shape {tuple(p.shape)} is placed as {placements}; the monitor reads "
            f"shards on dim 0 (FSDP2's default, Shard(0)) and replicas. Leave fully_shard's shard_placement_fn "
            f"unset, or use a fixed warmup."
        )
    if not _replica_owner(p):
        return
    local_shape, offset = compute_local_shape_and_global_offset(p.shape, p.device_mesh, placements)
    row = math.prod(p.shape[1:]) if len(p.shape) > 1 else 1
    length = math.prod(local_shape)
    if length > 0:
        yield Piece(p, None, group, 0, global_start + (offset[0] if len(offset) else 0) * row, length)


def _torch_pieces(location: StateLocation) -> tuple[str, list[tuple[Any, int]], list[Piece]]:
    """A torch optimizer over whole params (one process, DDP, ZeroRedundancyOptimizer) or FSDP2 DTensors."""
    opt = location.optimizer
    zero = next((w for w in location.chain if type(w).__name__ == "ZeroRedundancyOptimizer"), None)
    rank0 = _rank() == 0
    # the canonical order: the user's param groups (ZeroRedundancyOptimizer's wrapper holds all of them)
    outer_groups = zero.param_groups if zero is not None else opt.param_groups
    params = [p for g in outer_groups for p in g["params"]]
    local_group = {id(p): g for g, group in enumerate(opt.param_groups) for p in group["params"]}
    sizes: list[tuple[Any, int]] = []
    pieces: list[Piece] = []
    start = 0
    engine = "ZeroRedundancyOptimizer" if zero is not None else "torch"
    if any("DeepSpeed" in name for name in location.wrappers):
        engine = "DeepSpeed ZeRO-0"  # DeepSpeed without partitioning: the client optimizer, replicated
    for p in params:
        factored = _factored(location.rule, tuple(p.shape))
        numel = sum(n for _, n in factored) if factored else _numel(p)
        sizes.append((p, numel))
        group = local_group.get(id(p))
        if group is not None:
            if callable(getattr(p, "to_local", None)):
                engine = "FSDP2"
                if factored:
                    raise ScheduleConfigError(
                        "adaptive_warmup: Adafactor's factored state of FSDP2-sharded params is not supported; "
                        "use Adam/AdamW, or a fixed warmup."
                    )
                pieces.extend(_dtensor_pieces(p, group, start))
            elif zero is not None or rank0:  # ZeroRedundancyOptimizer: whole params, each on one rank
                if factored:
                    offset = start
                    for key, n in factored:
                        pieces.append(Piece(p, key, group, 0, offset, n))
                        offset += n
                else:
                    pieces.append(Piece(p, None, group, 0, start, numel))
        start += numel
    return engine, sizes, pieces


def _zero12_pieces(location: StateLocation, zero: Any) -> tuple[str, list[tuple[Any, int]], list[Piece]]:
    """DeepSpeed ZeRO-1/2: each param group flattened (``round_robin_bit16_groups``), cut into equal partitions.

    Rank ``r`` holds ``[r · P, (r + 1) · P)`` of the flat group as one fp32 tensor
    (``single_partition_of_fp32_groups``); a param at flat offset ``F`` (``round_robin_bit16_offsets``) covers
    ``[F, F + numel)``.
    """
    starts, sizes = _canonical(zero.bit16_groups)
    pieces: list[Piece] = []
    for i, flat in enumerate(zero.single_partition_of_fp32_groups):
        rank = dist.get_rank(group=zero.real_dp_process_group[i])
        part_start = sum(t.numel() for t in zero.parallel_partitioned_bit16_groups[i][:rank])
        part_end = part_start + flat.numel()
        params = zero.round_robin_bit16_groups[i]
        offsets = getattr(zero, "round_robin_bit16_offsets", None)
        flat_offsets = offsets[i] if offsets is not None else _cumulative([_numel(p) for p in params])
        for p, f in zip(params, flat_offsets):
            lo, hi = max(f, part_start), min(f + _numel(p), part_end)
            if lo < hi:
                pieces.append(Piece(flat, None, i, lo - part_start, starts[id(p)] + (lo - f), hi - lo))
    return f"DeepSpeed ZeRO-{2 if getattr(zero, 'partition_gradients', False) else 1}", sizes, pieces


def _zero3_pieces(location: StateLocation, zero: Any) -> tuple[str, list[tuple[Any, int]], list[Piece]]:
    """DeepSpeed ZeRO-3: every param is cut into equal partitions of ``partition_numel()`` elements.

    Rank ``r`` holds ``[r · P_p, (r + 1) · P_p)`` of param ``p`` (clipped to its size); the fp32 tensor of a
    sub-group (``fp32_partitioned_groups_flat``) concatenates its params' partitions in order.
    """
    starts, sizes = _canonical(zero.fp16_groups)
    pieces: list[Piece] = []
    for s, flat in enumerate(zero.fp32_partitioned_groups_flat):
        rank = dist.get_rank(group=zero.sub_group_process_groups[s])
        group = zero.sub_group_to_group_id[s]
        local = 0
        for p in zero.fp16_groups[s]:
            size = int(p.partition_numel())
            begin = rank * size
            length = max(0, min(size, _numel(p) - begin))
            if length > 0:
                pieces.append(Piece(flat, None, group, local, starts[id(p)] + begin, length))
            local += size
    return "DeepSpeed ZeRO-3", sizes, pieces


def _cumulative(sizes: list[int]) -> list[int]:
    out, total = [], 0
    for n in sizes:
        out.append(total)
        total += n
    return out


def _canonical(groups: list[list[Any]]) -> tuple[dict[int, int], list[tuple[Any, int]]]:
    """Global start of every param, params in group order."""
    starts: dict[int, int] = {}
    sizes: list[tuple[Any, int]] = []
    total = 0
    for group in groups:
        for p in group:
            starts[id(p)] = total
            sizes.append((p, _numel(p)))
            total += _numel(p)
    return starts, sizes


def deepspeed_zero(location: StateLocation) -> Any | None:
    """DeepSpeed's ZeRO-1/2/3 optimizer in the wrapper chain, if any."""
    for w in location.chain:
        if hasattr(w, "single_partition_of_fp32_groups") or hasattr(w, "fp32_partitioned_groups_flat"):
            return w
    return None


def step_marker(location: StateLocation) -> Any | None:
    """The tensor whose presence in the stepped param groups marks one real step, for engines that call the inner
    optimizer's ``step()`` once per param group (ZeRO-1/2) or sub-group (ZeRO-3); None where ``step()`` is one
    real step."""
    zero = deepspeed_zero(location)
    if zero is None:
        return None
    if hasattr(zero, "fp32_partitioned_groups_flat"):
        return zero.fp32_partitioned_groups_flat[0]
    return zero.single_partition_of_fp32_groups[0]


def _refuse_unsupported(location: StateLocation) -> None:
    """Refuse, before step 1, layouts whose state the monitor cannot map back to the model's coordinates."""
    for w in location.chain:
        name = type(w).__name__
        if name in {"FP16_Optimizer", "FP16_UnfusedOptimizer", "BF16_Optimizer"}:
            raise ScheduleConfigError(
                f"adaptive_warmup: DeepSpeed's {name} (fp16/bf16 without ZeRO partitioning) keeps its fp32 state "
                f"in a layout the monitor does not read. Use ZeRO stage 1, 2 or 3 (zero_optimization.stage >= 1) "
                f"with fp16/bf16, or a fixed warmup."
            )
        if getattr(w, "swap_optimizer", False) or getattr(w, "optimizer_swapper", None) is not None:
            raise ScheduleConfigError(
                "adaptive_warmup: DeepSpeed ZeRO with offload_optimizer to NVMe swaps the optimizer state out of "
                "memory, so the monitor cannot read it. Use offload_optimizer.device 'cpu' or 'none', or a fixed "
                "warmup."
            )


def _refuse_empty(location: StateLocation, engine: str, total: int) -> None:
    """Refuse, before step 1, an optimizer whose param groups hold no parameters: S could never be computed."""
    if total > 0:
        return
    chain = " -> ".join((*location.wrappers, type(location.optimizer).__name__))
    raise ScheduleConfigError(
        f"adaptive_warmup: the optimizer {chain} has no parameters in its param groups on this {engine} layout, so "
        f"there is no second-moment state to watch and S could never be computed. Build the scheduler on the "
        f"optimizer that holds the model's parameters (under DeepSpeed: the engine's optimizer, not its "
        f"basic_optimizer), or use a fixed warmup, e.g. lr_scheduler_type='linear_warmup'."
    )


def build_layout(location: StateLocation, sample_size: int) -> Layout:
    """This rank's runs of the global systematic sample (see the module docstring)."""
    _refuse_unsupported(location)
    zero = deepspeed_zero(location)
    if zero is None:
        engine, sizes, pieces = _torch_pieces(location)
    elif hasattr(zero, "fp32_partitioned_groups_flat"):
        engine, sizes, pieces = _zero3_pieces(location, zero)
    else:
        engine, sizes, pieces = _zero12_pieces(location, zero)
    total = sum(n for _, n in sizes)
    _refuse_empty(location, engine, total)
    stride = max(1, math.ceil(total / max(1, sample_size)))
    offset = (stride - 1) // 2
    slots = 0 if total <= offset else (total - offset + stride - 1) // stride
    runs = []
    for piece in pieces:
        first = max(piece.global_start, offset)
        first_slot = (first - offset + stride - 1) // stride
        g0 = offset + first_slot * stride
        end = piece.global_start + piece.length
        if g0 >= end:
            continue
        count = (end - g0 + stride - 1) // stride
        runs.append(Run(piece.param, piece.key, piece.group, piece.local_start + (g0 - piece.global_start),
                        first_slot, count))
    return Layout(engine, total, stride, offset, slots, tuple(runs))


def state_of(location: StateLocation, run: Run) -> tuple[dict[str, Any], str] | None:
    """The optimizer state and key a run reads, or None while the param has no state yet."""
    state = location.optimizer.state.get(run.param)
    if not state:
        return None
    if run.key is not None:
        return (state, run.key) if isinstance(state.get(run.key), torch.Tensor) else None
    keys = second_moment_keys(state, location.rule)
    return (state, keys[0]) if keys else None
