"""Peak memory of a stretch on a CPU: the kernel's own high-water mark, reset at the stretch's start."""

from __future__ import annotations

from greentui.worker.memory import PeakMemory

MB = 1_000_000


def _touch(size: int) -> None:
    block = bytearray(size)  # zero pages are not resident until written
    block[:: 4096] = b"x" * len(block[:: 4096])
    del block


def test_a_short_peak_is_caught_and_the_next_stretch_starts_from_now() -> None:
    with PeakMemory("cpu") as quiet:
        pass
    with PeakMemory("cpu") as busy:
        _touch(300 * MB)  # freed at once: far shorter than any sampling interval would be sure to see
    with PeakMemory("cpu") as after:
        pass
    assert "VmHWM" in busy.method  # this machine allows the reset: no sampling thread ran
    assert quiet.mb is not None and busy.mb is not None and after.mb is not None
    assert busy.mb >= quiet.mb + 250
    # The reset at the start of a stretch drops the earlier peak: the third stretch did not see the second's.
    assert after.mb <= busy.mb - 250
