"""When a stored delivery is drained (``receive.DrainWindow``): the first of a window at once,
one more drain at the window's end for the others, nothing else."""

from __future__ import annotations

from integrations.discourse.receive import DrainWindow


def test_a_lone_delivery_is_drained_at_once() -> None:
    assert DrainWindow().claim(100.0, 0.5) == 0.0


def test_a_window_sends_one_drain_at_once_and_one_at_its_end() -> None:
    window = DrainWindow()
    claims = [window.claim(now, 0.5) for now in (100.0, 100.1, 100.2, 100.45)]
    assert claims[0] == 0.0
    assert claims[1] is not None and round(claims[1], 6) == 0.4  # at the window's end
    assert claims[2:] == [None, None]  # covered by the drain at the end


def test_the_next_window_starts_with_a_drain_at_once_again() -> None:
    window = DrainWindow()
    window.claim(100.0, 0.5)
    window.claim(100.2, 0.5)
    assert window.claim(100.5, 0.5) == 0.0
    assert window.claim(100.6, 0.5) is not None


def test_with_no_window_every_delivery_drains_at_once() -> None:
    window = DrainWindow()
    assert [window.claim(100.0 + n / 10, 0.0) for n in range(3)] == [0.0, 0.0, 0.0]
