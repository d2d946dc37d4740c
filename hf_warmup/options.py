"""The declaration of every ``lr_scheduler_kwargs`` key, and its coercion and validation.

A kwarg is declared once, as an :class:`Option` in a schedule's option table: its type, default, what is allowed,
a one-line doc and, where the start line shows it, its phrase there. The builder parses with it, the scheduler
resolves and describes its settings from it, and the start line and the card are written from it.

Values may arrive as JSON strings from the command line (``"1e-3"``, ``"10"``); numbers are coerced and every
value is checked against its allowed range when the scheduler is built, before any step. Errors name the kwarg,
the value given and what is allowed. Unknown kwargs are errors, never silently ignored.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .decays import DECAYS, WSD_SHAPES, Decay


def every(n: Any, unit: str = "step") -> str:
    """``every step`` for 1, else ``every 6 steps``: the phrase for an interval in the start line, card and plot."""
    return f"every {unit}" if n == 1 else f"every {n} {unit}s"


class ScheduleConfigError(ValueError):
    """A bad ``lr_scheduler_kwargs`` value or schedule argument (a ``ValueError``)."""


def _fail(schedule: str, key: str, value: Any, allowed: str) -> ScheduleConfigError:
    return ScheduleConfigError(
        f"{schedule}: lr_scheduler_kwargs[{key!r}]={value!r} is not allowed; expected {allowed}."
    )


def _to_number(schedule: str, key: str, value: Any, allowed: str) -> float:
    if isinstance(value, bool):
        raise _fail(schedule, key, value, allowed)
    if isinstance(value, (int, float)):
        out = float(value)
    elif isinstance(value, str):
        try:
            out = float(value.strip())
        except ValueError:
            raise _fail(schedule, key, value, allowed) from None
    else:
        raise _fail(schedule, key, value, allowed)
    if not math.isfinite(out):
        raise _fail(schedule, key, value, allowed)
    return out


def _always(value: Any) -> bool:
    return True


@dataclass(frozen=True)
class Option:
    """One kwarg: its default, a human description of what is allowed, and a check on the coerced value.

    ``doc`` says what it does in one line; ``shown``, when set, gives its phrase in the start line from its
    resolved value and the whole resolved config (``""`` to leave it out).
    """

    kind: str  # "float", "int", "choice"
    default: Any
    allowed: str
    check: Callable[[Any], bool] = _always
    choices: tuple[str, ...] = ()
    applies_to_decay: tuple[str, ...] = ()  # empty: any decay
    doc: str = ""
    shown: Callable[[Any, Mapping[str, Any]], str] | None = None

    def coerce(self, schedule: str, key: str, value: Any) -> Any:
        if value is None and self.default is None:
            return None
        if self.kind == "choice":
            if not isinstance(value, str) or value.strip().lower() not in self.choices:
                raise _fail(schedule, key, value, self.allowed)
            return value.strip().lower()
        number = _to_number(schedule, key, value, self.allowed)
        if self.kind == "int":
            if number != int(number):
                raise _fail(schedule, key, value, self.allowed)
            number = int(number)
        if not self.check(number):
            raise _fail(schedule, key, value, self.allowed)
        return number


def _unit_open(v: float) -> bool:
    return 0.0 <= v < 1.0


def _positive(v: float) -> bool:
    return v > 0


DECAY_OPTIONS: dict[str, Option] = {
    "decay": Option("choice", "linear", f"one of {list(DECAYS)}", choices=DECAYS, doc="the decay after the warmup"),
    "min_lr_ratio": Option("float", 0.0, "a float in [0, 1)", _unit_open, doc="the floor, as a fraction of the peak"),
    "num_cycles": Option("float", 0.5, "a float > 0", _positive, applies_to_decay=("cosine",),
                         doc="cosine waves over the decay (0.5: one half wave)"),
    "timescale": Option("float", None, "a float > 0", _positive, applies_to_decay=("inverse_sqrt",),
                        doc="τ of the inverse square root (default: the warmup length)"),
    "power": Option("float", 1.0, "a float > 0", _positive, applies_to_decay=("polynomial",),
                    doc="the exponent of the polynomial decay"),
    "decay_ratio": Option("float", 0.1, "a float in (0, 1]", lambda v: 0 < v <= 1, applies_to_decay=("wsd",),
                          doc="the fraction of T the WSD decay phase takes"),
    "decay_shape": Option("choice", "linear", f"one of {list(WSD_SHAPES)}", choices=WSD_SHAPES,
                          applies_to_decay=("wsd",), doc="the shape of the WSD decay phase"),
}

START_FACTOR = Option("float", 0.0, "a float in [0, 1)", _unit_open, doc="ω at the first step")
WARMUP_FACTOR = Option("float", 0.1, "a float in (0, 1]", lambda v: 0 < v <= 1,
                       doc="the fraction of the peak LR held during the warmup")


def parse_kwargs(schedule: str, given: Mapping[str, Any] | None, options: Mapping[str, Option]) -> dict[str, Any]:
    """Coerce and validate ``given`` against ``options``; return every option with its value or default.

    Raises :class:`ScheduleConfigError` (a ``ValueError``) for unknown names, bad values, and decay-specific
    kwargs given for another decay (``num_cycles`` with ``decay="linear"`` would otherwise be silently ignored).
    """
    given = dict(given or {})
    unknown = [k for k in given if k not in options]
    if unknown:
        key = unknown[0]
        hint = difflib.get_close_matches(key, list(options), n=1)
        did_you_mean = f" Did you mean {hint[0]!r}?" if hint else ""
        raise ScheduleConfigError(
            f"{schedule}: unknown lr_scheduler_kwargs key {key!r} (value {given[key]!r}).{did_you_mean} "
            f"Allowed keys: {sorted(options)}."
        )
    out = {k: opt.default for k, opt in options.items()}
    for key, value in given.items():
        out[key] = options[key].coerce(schedule, key, value)
    decay = out.get("decay")
    for key in given:
        needs = options[key].applies_to_decay
        if needs and decay not in needs:
            raise ScheduleConfigError(
                f"{schedule}: lr_scheduler_kwargs[{key!r}]={given[key]!r} applies only to decay in {list(needs)}, "
                f"but decay={decay!r}."
            )
    return out


def relevant_options(opts: Mapping[str, Any], options: Mapping[str, Option]) -> dict[str, Any]:
    """The resolved kwargs that apply (decay-specific ones only for their decay)."""
    decay = opts.get("decay")
    return {k: v for k, v in opts.items()
            if k in options and (not options[k].applies_to_decay or decay in options[k].applies_to_decay)}


def make_decay(opts: Mapping[str, Any]) -> Decay:
    """The :class:`~hf_warmup.decays.Decay` of resolved kwargs."""
    return Decay(**{key: opts[key] for key in DECAY_OPTIONS if key != "decay"}, kind=opts["decay"])
