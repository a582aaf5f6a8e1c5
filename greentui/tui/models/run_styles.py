"""Each shown run's colour and marker (pure, no Textual): its identity in every chart, legend and column
header of a screen, so the third curve, the third scatter point and the third column read as one run."""

from __future__ import annotations

from dataclasses import dataclass

RGB = tuple[int, int, int]

# Mid-tone hues, told apart by hue rather than by lightness: each has at least 3:1 contrast (WCAG's
# figure for graphics) against white, and 5:1 against black, which leaves 3:1 on the dark themes'
# lighter panels (a table's header row), so it reads on dark and light themes alike. No plain green
# or red: the metric table says better and worse in those.
PALETTE: tuple[RGB, ...] = (
    (0x3B, 0x82, 0xF6),  # blue
    (0xD9, 0x77, 0x06),  # amber
    (0xA8, 0x55, 0xF7),  # purple
    (0x08, 0x91, 0xB2),  # cyan
    (0xEC, 0x48, 0x99),  # pink
    (0x65, 0xA3, 0x0D),  # lime
    (0xA0, 0x78, 0x5A),  # tan
    (0x7F, 0x87, 0x94),  # slate
)

# One character, so a scatter point can be drawn as it: 1–9 as the runs are numbered, then letters
# (a two-digit "10" would be drawn as "1", the first run's mark).
MARKERS = "123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class RunStyle:
    """How one run is drawn: its colour (the palette's, in turn) and its marker (its number)."""

    colour: RGB
    marker: str

    @property
    def hex(self) -> str:
        """`#3b82f6`: the colour as Rich and CSS read it."""
        return hex_of(self.colour)


def hex_of(colour: RGB) -> str:
    """`#3b82f6`, as Rich and CSS read an RGB colour."""
    return "#{:02x}{:02x}{:02x}".format(*colour)


def run_marker(index: int) -> str:
    """The index-th run's one-character mark: `1`…`9`, `A`…`Z`, then `+` for any further run."""
    return MARKERS[index] if index < len(MARKERS) else "+"


def run_style(index: int) -> RunStyle:
    """The index-th run's style; colours repeat after the palette's eight, markers do not (up to 35)."""
    return RunStyle(PALETTE[index % len(PALETTE)], run_marker(index))


def run_styles(count: int) -> list[RunStyle]:
    """Styles of `count` runs in the order shown."""
    return [run_style(index) for index in range(count)]
