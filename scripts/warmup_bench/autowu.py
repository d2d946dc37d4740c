"""An AutoWU-style loss-driven warmup (Kim et al. 2021, "Automated Learning Rate Scheduler for Large-batch
Training", ICML AutoML workshop; reference code kakaobrain/autowu), written for this benchmark.

Schedule, with peak LR ``η`` (the cell's LR), start factor ``s`` and bound ``M = ⌊max_fraction · T⌋``::

    warmup:  η_t = η · s · γ^t,  γ = (1/s)^(1/M)           (exponential growth from s·η to η at t = M)
    switch:  at the first test where the loss has passed its minimum (below), or at t = M
    after:   η_t = η_L · d(t; L, T)                          (the task's decay from the switch step L)

The loss test, as in the paper: every ``test_interval`` steps the training losses seen so far are smoothed
by a Gaussian process (constant mean = the mean loss, RBF kernel with a fixed lengthscale 0.2 on steps scaled
to [0, 1], signal and noise variances by type-II maximum likelihood), the posterior of the latent curve is
taken on 500 points of [0, 1], and the test is positive when ``max_i P(f_i < f_end) > confidence`` (some past
point of the smoothed curve lies below the current one with probability > 0.95). ``patience`` (3)
consecutive positive tests switch. On the switch the LR becomes the LR at the argmin of the posterior mean
(``η_L = η · s · (f_now/s)^{x_argmin}``), i.e. the LR at which the loss was lowest, not the current one.

Faithfulness (what differs from kakaobrain/autowu):

* the ramp ends at the cell's peak LR instead of AutoWU's own ``max_lr`` (AutoWU also *searches* the peak
  LR; here the peak is given, so the switch can only lower it): ``s = 1e-3`` plays AutoWU's ``min_lr/max_lr``;
* tests run every ``test_interval`` steps (default ``max(1, round(T / 50))``) instead of once per epoch;
* GP hyperparameters: a small grid maximising the marginal likelihood instead of 100 Adam steps in gpytorch,
  and one conditioning set (all points, at most ``max_points``) instead of a majority vote over 5 random
  subsamples (with fewer than 500 points the subsamples are all the same set anyway);
* the decay after the switch is the task's decay (cosine etc.) from the switch step, as AutoWU's
  ``immediate_cooldown=True``, instead of its default constant-then-cosine.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

import numpy as np
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

LENGTHSCALE = 0.2
N_PRED = 500


def _phi(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.vectorize(math.erf)(z / math.sqrt(2.0)))


def _rbf(a: np.ndarray, b: np.ndarray, scale: float) -> np.ndarray:
    return scale * np.exp(-0.5 * ((a[:, None] - b[None, :]) / LENGTHSCALE) ** 2)


def gp_posterior(y: np.ndarray, max_points: int = 500) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Posterior of the latent loss curve on ``N_PRED`` points of [0, 1]: ``(xs, mean, var, cov_with_last)``.

    ``y``: the losses in step order (non-finite values dropped), at ``x_i = i / n``. Only the variances and
    the covariances with the last point are needed by the test, so the full covariance is never formed.
    """
    n = len(y)
    x_all = np.arange(n, dtype=np.float64) / n
    keep = np.isfinite(y)
    x, yy = x_all[keep], y[keep].astype(np.float64)
    if len(x) > max_points:
        idx = np.linspace(0, len(x) - 1, max_points).round().astype(int)
        x, yy = x[idx], yy[idx]
    mean = float(yy.mean())
    r = yy - mean
    var = float(r.var()) + 1e-12
    # type-II ML over a small grid of (signal, noise) variances, on at most 100 points (AutoWU fits on 100)
    fit = np.linspace(0, len(x) - 1, min(len(x), 100)).round().astype(int)
    base = _rbf(x[fit], x[fit], 1.0)
    best, best_ll = (var, 0.1 * var), -math.inf
    for s in var * np.array([0.03, 0.1, 0.3, 1.0, 3.0, 10.0]):
        for noise in var * np.array([1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0]):
            try:
                chol = np.linalg.cholesky(s * base + noise * np.eye(len(fit)))
            except np.linalg.LinAlgError:
                continue
            z = np.linalg.solve(chol, r[fit])
            ll = -0.5 * z @ z - np.log(np.diag(chol)).sum()
            if ll > best_ll:
                best, best_ll = (float(s), float(noise)), ll
    s, noise = best
    xs = np.linspace(0.0, 1.0, N_PRED)
    chol = np.linalg.cholesky(_rbf(x, x, s) + noise * np.eye(len(x)))
    v = np.linalg.solve(chol, _rbf(x, xs, s))  # [n, N_PRED]
    mu = mean + v.T @ np.linalg.solve(chol, r)
    pvar = s - (v * v).sum(axis=0)
    cov_last = _rbf(xs, xs[-1:], s)[:, 0] - v.T @ v[:, -1]
    return xs, mu, pvar, cov_last


def past_minimum_probability(mu: np.ndarray, var: np.ndarray, cov_last: np.ndarray) -> float:
    """``max_{i<k} P(f_i < f_k)`` for the Gaussian posterior ``f``, ``k`` the last point (AutoWU's test)."""
    d = mu[:-1] - mu[-1]
    dvar = var[:-1] + var[-1] - 2.0 * cov_last[:-1] + 1e-4
    z = -d / np.sqrt(np.maximum(dvar, 1e-12))
    return float(_phi(np.array([z.max()]))[0])


class AutoWULR(LRScheduler):
    """AutoWU-style warmup + the task's decay; see the module docstring. Feed losses with :meth:`observe_loss`.

    Diagnostics (same names as ``adaptive_warmup``): ``warmup_end_step``, ``end_reason`` (``"loss_minimum"``
    or ``"max_warmup_steps"``), ``max_warmup_steps``, ``lr_after_switch`` (as a fraction of the peak).
    """

    def __init__(
        self, optimizer: Optimizer, num_training_steps: int, decay: dict[str, Any] | None = None,
        start_factor: float = 1e-3, max_fraction: float = 0.5, test_interval: int | None = None,
        patience: int = 3, confidence: float = 0.95, max_points: int = 500,
    ) -> None:
        from hf_warmup import Decay

        if not 0 < start_factor < 1:
            raise ValueError(f"autowu: start_factor={start_factor!r}; expected 0 < start_factor < 1")
        self.total = int(num_training_steps)
        opts = dict(decay or {})
        self.decay = Decay(kind=opts.pop("decay", "linear"), **opts)
        self.start_factor = float(start_factor)
        self.max_warmup_steps = max(1, int(max_fraction * self.total))
        self.test_interval = int(test_interval or max(1, round(self.total / 50)))
        self.confidence = float(confidence)
        self.max_points = int(max_points)
        self.tests: deque[bool] = deque(maxlen=int(patience))
        self.patience = int(patience)
        self.losses: list[float] = []
        self.warmup_end_step: int | None = None
        self.end_reason: str | None = None
        self.lr_after_switch: float | None = None
        self.last_statistic: float | None = None
        self._since_test = 0
        super().__init__(optimizer)

    def ramp(self, t: int) -> float:
        return self.start_factor ** (1.0 - min(t, self.max_warmup_steps) / self.max_warmup_steps)

    def factor(self, t: int) -> float:
        if self.warmup_end_step is None:
            return self.ramp(t)
        assert self.lr_after_switch is not None
        return self.lr_after_switch * self.decay(t, self.warmup_end_step, self.total)

    def get_lr(self) -> list[float]:
        t = max(self.last_epoch, 0)
        return [base * self.factor(t) for base in self.base_lrs]

    def observe_loss(self, loss: float) -> None:
        """The training loss of the step about to be taken (called once per optimizer step)."""
        if self.warmup_end_step is None:
            self.losses.append(float(loss))
            self._since_test += 1

    def step(self, epoch: int | None = None) -> None:  # type: ignore[override]
        if getattr(self, "_step_count", 0) > 0 and self.warmup_end_step is None:
            self._decide(self.last_epoch + 1)
        super().step()

    def _decide(self, t: int) -> None:
        if t >= self.max_warmup_steps:
            self._switch(t, 1.0, "max_warmup_steps")
            return
        if self._since_test < self.test_interval or len(self.losses) < 3:
            return
        self._since_test = 0
        y = np.asarray(self.losses, dtype=np.float64)
        if not np.isfinite(y).any():
            return
        xs, mu, var, cov_last = gp_posterior(y, self.max_points)
        prob = past_minimum_probability(mu, var, cov_last)
        self.last_statistic = prob
        self.tests.append(prob > self.confidence)
        if len(self.tests) == self.patience and all(self.tests):
            x_min = float(xs[int(np.argmin(mu))])
            now = self.ramp(t)
            self._switch(t, self.start_factor * (now / self.start_factor) ** x_min, "loss_minimum")

    def _switch(self, t: int, factor: float, reason: str) -> None:
        self.warmup_end_step = t
        self.lr_after_switch = float(factor)
        self.end_reason = reason
