"""The bulletin's figures as PNG charts, drawn by matplotlib from the frozen figures alone.

Charts are drawn on request from the snapshot (never from the live register), so a published
chart is as fixed as the page that shows it; the few bytes of input are the cache key. Colour
is never the only carrier of meaning: every bar is labelled with its count and every tier with
its strength, and the page repeats each chart's numbers in a table for screen readers and
for print. matplotlib is imported lazily (it is large, and only the web page needs it), through
its object API rather than pyplot, which keeps global state and is not safe across threads.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import lru_cache

from handlers.bulletin.data import Count, Figures
from messages.templates import counted

CHARTS = ("sources", "tiers", "outcomes")
"""The charts a bulletin page shows, by the name in their URL."""

INK = "#212b32"
BLUE = "#005eb8"
GREEN = "#007f3b"
GREY = "#4c6272"
YELLOW = "#ffb81c"
STRENGTH_COLOURS = {"stronger": GREEN, "intermediate": BLUE, "weaker": YELLOW, "emergency": GREY}

Bars = tuple[tuple[str, int, str], ...]


def title(name: str, figures: Figures) -> str:
    """The chart's heading, which is also the start of its alt text."""
    match name:
        case "sources":
            return f"Lessons reported this quarter by source ({figures.lessons_reported} in all)"
        case "tiers":
            share = figures.stronger_share
            stronger = f"; {share:.0%} stronger actions" if share is not None else ""
            return f"Actions verified this quarter by tier ({figures.actions_verified}{stronger})"
        case "outcomes":
            return (
                f"{figures.lessons_changed} of "
                f"{counted(figures.lessons_concluded, 'lesson')} that reached "
                "an outcome this quarter led to a change"
            )
    raise KeyError(name)


def bars(name: str, figures: Figures) -> Bars:
    def rows(counts: Sequence[Count]) -> Bars:
        return tuple((c.label, c.count, c.key) for c in counts)

    match name:
        case "sources":
            return rows(figures.lessons_by_source)
        case "tiers":
            return rows(figures.actions_by_tier)
        case "outcomes":
            changed = figures.lessons_changed
            return (
                ("Led to a change", changed, "stronger"),
                ("Not progressed", figures.lessons_concluded - changed, "weaker"),
            )
    raise KeyError(name)


def alt_text(name: str, figures: Figures) -> str:
    """What the chart shows, in words: its title and every bar's value."""
    found = bars(name, figures)
    values = "; ".join(f"{label}: {count}" for label, count, _ in found) or "none"
    return f"Bar chart. {title(name, figures)}. {values}."


def render_png(name: str, figures: Figures) -> bytes:
    """The chart `name` (one of CHARTS) as PNG bytes."""
    return _draw(name, title(name, figures), bars(name, figures))


@lru_cache(maxsize=64)
def _draw(name: str, heading: str, rows: Bars) -> bytes:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    labels = [_wrap(label) for label, _, _ in rows] or ["None this quarter"]
    counts = [count for _, count, _ in rows] or [0]
    colours = [
        STRENGTH_COLOURS.get(key, BLUE) if name != "sources" else BLUE for _, _, key in rows
    ] or [GREY]
    height = 1.4 + 0.45 * len(labels)
    figure = Figure(figsize=(8, height), dpi=100, layout="constrained")
    axes = figure.subplots()
    positions = list(range(len(labels)))
    axes.barh(positions, counts, height=0.6, color=colours, edgecolor=INK, linewidth=0.6)
    axes.set_yticks(positions, labels, fontsize=9, color=INK)
    axes.invert_yaxis()  # first row at the top, as the table under the chart reads
    axes.set_title(_wrap(heading, 80), fontsize=11, color=INK, loc="left")
    top = max(counts) if counts else 0
    axes.set_xlim(0, max(top * 1.15, 1))
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    for position, count in zip(positions, counts, strict=True):
        axes.text(count + top * 0.01, position, f" {count}", va="center", fontsize=9, color=INK)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.tick_params(colors=INK, labelsize=9)
    buffer = io.BytesIO()
    # No "Software" metadata: the file carries no version string, only the picture.
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _wrap(text: str, width: int = 38) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return "\n".join(lines[:3])
