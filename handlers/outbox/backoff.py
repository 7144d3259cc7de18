"""How long a failed message waits before its next try: full-jitter exponential backoff.

Pure (the random draw is an argument) so its bounds can be tested without sleeping or seeding."""

from __future__ import annotations

BASE_SECONDS = 5.0
CAP_SECONDS = 3600.0


def backoff(
    attempt: int, draw: float, *, base: float = BASE_SECONDS, cap: float = CAP_SECONDS
) -> float:
    """Seconds to wait after the given (1-based) attempt failed: `draw` (uniform in [0, 1)) of
    min(cap, base * 2 ** (attempt - 1)). Full jitter, so messages that failed together (one
    outage) come back spread out rather than all at the same moment."""
    if not 0.0 <= draw <= 1.0:
        raise ValueError(f"draw must be in [0, 1], not {draw}")
    return draw * min(cap, base * 2.0 ** (attempt - 1))
