"""Chain times and durations as the CLI prints them."""

from __future__ import annotations

import pytest

from nnc.cli.times import chain_time, duration


@pytest.mark.parametrize(("seconds", "text"), [(0, "0 s"), (45, "45 s"), (60, "1 min"), (545, "9 min 5 s"),
                                               (7_500, "2 h 5 min"), (7_200, "2 h"), (7_205, "2 h"),
                                               (273_600, "3 d 4 h"), (-90, "1 min 30 s")])
def test_duration_keeps_the_two_largest_units(seconds: int, text: str) -> None:
    assert duration(seconds) == text


def test_chain_time_is_a_utc_date_and_its_distance_from_the_chains_now() -> None:
    assert chain_time(1_795_729_242, 1_795_728_702) == "2026-11-26 21:40:42 UTC (in 9 min)"
    assert chain_time(1_795_728_702, 1_795_729_242) == "2026-11-26 21:31:42 UTC (9 min ago)"
    assert chain_time(1_795_728_702, 1_795_728_702) == "2026-11-26 21:31:42 UTC (now)"
    assert chain_time(0, 1_795_728_702) == "never"


def test_the_devnet_prints_its_short_windows() -> None:
    from nnc.cli.devnet_commands import window_lines
    from nnc.devnet import DEVNET_PARAMS

    lines = window_lines(DEVNET_PARAMS)
    assert "challenge      10 s after the results before a task settles" in lines
    assert any(line.startswith("governance") and "then a 1 min timelock" in line for line in lines)
    assert any(line.startswith("unbonding      1 min") for line in lines)
