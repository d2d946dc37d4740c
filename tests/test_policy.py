"""The adaptive rule alone (:class:`hf_warmup.policy.AdaptivePolicy`): no optimizer, no scheduler, no Trainer.

Expected values are worked out from the formulas in the module docstring of ``hf_warmup/policy.py``.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hf_warmup import AdaptivePolicy, EndReason

POLICY = AdaptivePolicy(max_warmup_steps=100, min_warmup_steps=40, threshold=0.25, patience=2, decrease_weight=0.5,
                        coherence_threshold=0.7, shrink_threshold=0.3, edge_patience=1, edge_wait="ramp")


@pytest.mark.parametrize("stat, pace", [
    (0.0, 1.0),  # second moments keep up: fastest
    (0.1, 1 - 0.1 / 0.25),  # growing: slower, linearly in Ŝ / τ
    (0.25, 0.0), (3.0, 0.0),  # at or beyond τ: slowest
    (-0.1, 1 - 0.5 * 0.1 / 0.25),  # shrinking, weighted by λ = 0.5
    (-1.0, 0.0),
    (math.nan, 0.0),  # non-finite state counts as the slowest pace
])
def test_pace(stat: float, pace: float) -> None:
    assert POLICY.pace(stat) == pytest.approx(pace)


def test_slope_lies_between_the_slowest_and_fastest_ramp_and_catches_up_before_the_bound() -> None:
    assert POLICY.slope(10, 0.3, 0.0) == pytest.approx(1 / 40)  # g = 1: over R
    assert POLICY.slope(10, 0.3, 1.0) == pytest.approx(1 / 100)  # g = 0: over M
    assert POLICY.slope(10, 0.3, 0.125) == pytest.approx(0.5 / 40 + 0.5 / 100)
    # late and far from the peak: the catch-up term reaches r = 1 at t = M - 1
    assert POLICY.slope(89, 0.5, 1.0) == pytest.approx(0.5 / 10)
    assert POLICY.slope(99, 0.9, 1.0) == 1.0  # no step left before the bound


def test_the_edge_needs_overshooting_and_shrinking_second_moments() -> None:
    assert POLICY.at_edge(0.5, -0.4)
    assert not POLICY.at_edge(0.5, -0.2)  # overshooting, steady second moments: noise, not the edge
    assert not POLICY.at_edge(0.9, -0.4)  # shrinking, coherent steps
    assert not POLICY.at_edge(math.nan, -0.4) and not POLICY.at_edge(0.5, math.nan)
    off = replace(POLICY, coherence_threshold=0.0)
    assert not off.at_edge(0.01, -5.0)  # coherence_threshold = 0: never at the edge


def test_decide_ends_stable_only_at_the_peak_after_patience_checks() -> None:
    assert POLICY.decide(20, 0.6, 0.0, 1.2, [0.0, 0.0]).end is None  # stable below the peak: keep ramping
    assert POLICY.decide(50, 1.0, 0.0, 1.2, [0.0]).end is None  # at the peak, one check < patience
    assert POLICY.decide(50, 1.0, 0.0, 1.2, [0.4, 0.0]).end is None  # one of the last two stalled the ramp
    stable = POLICY.decide(50, 1.0, 0.1, 1.2, [0.2, 0.1])
    assert stable.end is EndReason.STABLE and stable.slope == 0.0
    edge = POLICY.decide(20, 0.6, -0.5, 0.4, [-0.5])
    assert edge.end is EndReason.EDGE and edge.end == "edge"
    going = POLICY.decide(20, 0.6, 0.1, 1.2, [0.1])
    assert going.end is None and going.slope == pytest.approx(POLICY.slope(20, 0.6, 0.1))


def test_first_knot_and_bound() -> None:
    assert POLICY.first_knot == [0, 1 / 40, 1 / 40]
    assert replace(POLICY, max_warmup_steps=0, min_warmup_steps=1).first_knot[1] == 1.0
    assert not POLICY.reached_bound(99) and POLICY.reached_bound(100)


def test_end_reason_values_are_the_report_strings() -> None:
    assert [r.value for r in EndReason] == ["edge", "stable", "bound", "fixed"]
    assert EndReason("bound").label == "bound reached" and f"{EndReason.STABLE}" == "stable"


def test_edge_patience_needs_that_many_edge_checks_in_a_row() -> None:
    """``edge_patience`` E: one overshooting check (φ is noisy from check to check) does not end the warmup when
    E = 2; two in a row do, and a check off the edge in between starts the count again."""
    assert POLICY.decide(20, 0.4, -0.5, 0.3, [-0.5]).end is EndReason.EDGE  # E = 1: the first
    two = replace(POLICY, edge_patience=2)
    first = two.decide(20, 0.4, -0.5, 0.3, [-0.5])
    assert first.end is None and first.edge_streak == 1 and first.slope > 0
    second = two.decide(24, 0.45, -0.5, 0.3, [-0.5, -0.5], first.edge_streak)
    assert second.end is EndReason.EDGE and second.edge_streak == 2
    off = two.decide(24, 0.45, -0.5, 1.5, [-0.5, -0.5], first.edge_streak)  # coherent again: the count restarts
    assert off.end is None and off.edge_streak == 0
    assert two.decide(28, 0.5, -0.5, 0.3, [-0.5], off.edge_streak).end is None


def test_edge_wait_hold_keeps_the_lr_while_the_edge_is_confirmed() -> None:
    """``edge_wait="hold"``: a check at the edge with a streak shorter than E holds the LR (slope 0) instead of
    climbing on; the next check off the edge climbs again at the pace's slope, and one that confirms the edge ends
    the warmup at the LR held."""
    hold = replace(POLICY, edge_patience=2, edge_wait="hold")
    first = hold.decide(20, 0.4, -0.5, 0.3, [-0.5])
    assert first.end is None and first.edge_streak == 1 and first.slope == 0.0
    off = hold.decide(24, 0.4, -0.5, 1.5, [-0.5, -0.5], first.edge_streak)
    assert off.end is None and off.slope == replace(POLICY, edge_patience=2).slope(24, 0.4, -0.5) > 0
    assert hold.decide(24, 0.4, -0.5, 0.3, [-0.5, -0.5], first.edge_streak).end is EndReason.EDGE
    ramp = replace(POLICY, edge_patience=2).decide(20, 0.4, -0.5, 0.3, [-0.5])
    assert ramp.slope > 0  # the default, "ramp", climbs on while it counts


@given(st.lists(st.tuples(st.sampled_from([-0.6, -0.1, 0.05, 0.4]), st.sampled_from([0.3, 1.2])),
                min_size=1, max_size=30),
       st.sampled_from([4, 8]))
def test_a_longer_edge_patience_changes_nothing_until_two_edge_checks_in_a_row(
        checks: list[tuple[float, float]], longer: int) -> None:
    """Round 4's candidates (docs/benchmark/README.md, round 4): with the LR held while a streak is counted, E = 4
    or 8 decides exactly as the default E = 2 at every check of a run whose streak never reached 2, so such runs
    are the same run; the first streak of 2 is where they part."""
    default = replace(POLICY, edge_patience=2, edge_wait="hold")
    other = replace(default, edge_patience=longer)
    progress, streak_a, streak_b, recent = 0.2, 0, 0, []
    for k, (stat, phi) in enumerate(checks):
        recent.append(stat)
        a = default.decide(10 * k, progress, stat, phi, recent, streak_a)
        b = other.decide(10 * k, progress, stat, phi, recent, streak_b)
        if a.edge_streak >= 2:
            assert a.end is EndReason.EDGE and b.end is None and b.slope == 0.0  # held, still counting
            return
        assert a == b
        if a.end is not None:
            return
        progress, streak_a, streak_b = min(1.0, progress + 10 * a.slope), a.edge_streak, b.edge_streak


def test_edge_restarts_back_the_lr_off_and_the_last_edge_ends_it() -> None:
    """``edge_restarts`` K: the first K confirmed edges set ``r`` so that ω falls to ``b`` times the LR reached
    and the ramp climbs on at the pace's slope; the next confirmed edge ends the warmup. ``ω = s + (1 - s) r``."""
    one = replace(POLICY, edge_patience=2, edge_wait="hold", edge_restarts=1, edge_backoff=0.5)
    first = one.decide(20, 0.6, -0.5, 0.3, [-0.5], 1)
    assert first.end is None and first.edge_streak == 0 and first.restart_progress == pytest.approx(0.3)
    assert first.slope == pytest.approx(one.slope(20, 0.3, -0.5)) and first.slope > 0
    assert one.decide(60, 0.8, -0.5, 0.3, [-0.5], 1, restarts=1).end is EndReason.EDGE
    assert replace(one, edge_restarts=0).decide(20, 0.6, -0.5, 0.3, [-0.5], 1).end is EndReason.EDGE
    started = replace(one, start_factor=0.2)  # ω = 0.2 + 0.8 · 0.6 = 0.68 → 0.34 = 0.2 + 0.8 r'
    assert started.backed_off(0.6) == pytest.approx((0.34 - 0.2) / 0.8)
    assert started.backed_off(0.1) == 0.0  # b · ω below the start: the ramp starts over from s
    assert replace(one, edge_backoff=1.0).backed_off(0.6) == pytest.approx(0.6)


@given(st.lists(st.tuples(st.sampled_from([-0.6, -0.1, 0.05, 0.4]), st.sampled_from([0.3, 1.2])),
                min_size=1, max_size=30))
def test_edge_restarts_change_nothing_until_the_first_confirmed_edge(checks: list[tuple[float, float]]) -> None:
    """Round 6's candidate (docs/benchmark/README.md, round 6): with ``edge_restarts=1`` every check decides as
    the default's until the default confirms an edge; there the default ends and the candidate backs off, so runs
    that never confirm an edge are the same run."""
    default = replace(POLICY, edge_patience=2, edge_wait="hold")
    other = replace(default, edge_restarts=1)
    progress, streak, recent = 0.2, 0, []
    for k, (stat, phi) in enumerate(checks):
        recent.append(stat)
        a = default.decide(10 * k, progress, stat, phi, recent, streak)
        b = other.decide(10 * k, progress, stat, phi, recent, streak)
        if a.end is EndReason.EDGE:
            assert b.end is None and b.restart_progress == pytest.approx(0.5 * progress)
            return
        assert a == b
        if a.end is not None:
            return
        progress, streak = min(1.0, progress + 10 * a.slope), a.edge_streak


@given(st.integers(1, 8), st.integers(1, 60), st.integers(1, 20))
def test_edge_checks_span_edge_min_steps(patience: int, min_steps: int, interval: int) -> None:
    """``E' = max(E, ceil(H / k))``: at least E checks, and enough to span H optimizer steps; where E checks
    already span H (k · E >= H, every run with k >= 5 at the default E = 2 and H = 10) the rule is E alone."""
    policy = replace(POLICY, edge_patience=patience, edge_min_steps=min_steps, check_interval=interval)
    assert policy.edge_checks >= patience and policy.edge_checks * interval >= min_steps
    assert (policy.edge_checks - 1) * interval < min_steps or policy.edge_checks == patience
    if interval * patience >= min_steps:
        assert policy.edge_checks == patience


def test_a_short_check_interval_needs_the_edge_over_edge_min_steps() -> None:
    """k = 2, H = 10 (β1 = 0.9), E = 2: the edge must hold on 5 checks in a row (10 steps); 4 do not end the
    warmup, the LR is held meanwhile (``edge_wait="hold"``), and the 5th ends it."""
    policy = replace(POLICY, edge_patience=2, edge_wait="hold", edge_min_steps=10, check_interval=2)
    streak = 0
    for k in range(1, 5):
        decision = policy.decide(2 * k, 0.3, -0.5, 0.3, [-0.5], streak)
        assert decision.end is None and decision.slope == 0.0 and decision.edge_streak == k
        streak = decision.edge_streak
    assert policy.decide(10, 0.3, -0.5, 0.3, [-0.5], streak).end is EndReason.EDGE
