"""Chain times as people read them: a UTC date and how far it is from the chain's own now
(`2026-11-26 21:50:42 UTC (in 9 min)`), and durations (`2 h 5 min`)."""

from __future__ import annotations

from datetime import UTC, datetime

_UNITS = (("d", 86_400), ("h", 3_600), ("min", 60), ("s", 1))


def duration(seconds: int | float) -> str:
    """`seconds` in its largest unit and the next one (left out when zero): `45 s`, `9 min 5 s`,
    `2 h 5 min`, `2 h`, `3 d 4 h`."""
    left = int(round(abs(seconds)))
    for index, (name, size) in enumerate(_UNITS):
        if left >= size or name == "s":
            text = f"{left // size} {name}"
            if index + 1 < len(_UNITS):
                next_name, next_size = _UNITS[index + 1]
                rest = (left % size) // next_size
                text += f" {rest} {next_name}" if rest else ""
            return text
    raise AssertionError("unreachable: the last unit is one second")


def chain_time(timestamp: int, now: int) -> str:
    """The UTC date of chain `timestamp` and, against the chain's `now`, `in …` or `… ago`; a zero
    timestamp (never set) is `never`."""
    if timestamp == 0:
        return "never"
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if timestamp == now:
        return f"{date} (now)"
    return f"{date} ({'in ' + duration(timestamp - now) if timestamp > now else duration(now - timestamp) + ' ago'})"
