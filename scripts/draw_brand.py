"""Draw the integration's brand icons: a coin stack and a falling balance line.

Run after changing the design: ``.venv/bin/python scripts/draw_brand.py``.
Drawn here, from shapes, so the project ships no third-party logo.
"""

from pathlib import Path

from PIL import Image, ImageDraw

BRAND = (
    Path(__file__).resolve().parent.parent / "custom_components/deepseek_balance/brand"
)
SCALE = 4  # draw large, then shrink: smooth edges without an anti-aliasing API
BLUE = (77, 107, 254, 255)
DEEP_BLUE = (40, 62, 190, 255)
WHITE = (255, 255, 255, 255)
AMBER = (255, 196, 61, 255)


def draw(size: int) -> Image.Image:
    """The icon at ``size`` pixels square."""
    big = size * SCALE
    unit = big / 256
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=round(56 * unit), fill=BLUE)

    # Three coins, the top one facing up.
    tops = (150, 126, 102)
    for top in tops:
        box = (40 * unit, top * unit, 150 * unit, (top + 44) * unit)
        colour = WHITE if top == tops[-1] else (225, 231, 255, 255)
        pen.ellipse(box, fill=colour, outline=DEEP_BLUE, width=round(5 * unit))
    pen.ellipse(
        (66 * unit, 110 * unit, 124 * unit, 138 * unit),
        outline=BLUE,
        width=round(5 * unit),
    )

    # The balance line, falling towards the bottom right, with its end marked.
    points = [(150, 62), (176, 92), (196, 80), (222, 150)]
    pen.line(
        [(x * unit, y * unit) for x, y in points],
        fill=WHITE,
        width=round(14 * unit),
        joint="curve",
    )
    end_x, end_y = points[-1]
    radius = 16
    pen.ellipse(
        (
            (end_x - radius) * unit,
            (end_y - radius) * unit,
            (end_x + radius) * unit,
            (end_y + radius) * unit,
        ),
        fill=AMBER,
        outline=WHITE,
        width=round(5 * unit),
    )
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    """Write icon.png (256 px) and icon@2x.png (512 px)."""
    BRAND.mkdir(exist_ok=True)
    draw(256).save(BRAND / "icon.png", optimize=True)
    draw(512).save(BRAND / "icon@2x.png", optimize=True)


if __name__ == "__main__":
    main()
