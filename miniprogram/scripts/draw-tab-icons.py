"""Draw the tab bar's icons (images/tab/*.png): WeChat's tab bar takes local PNG files only
(81 x 81 px recommended, at most 40 KB each), not icon fonts. Run from miniprogram/ with any
Python that has Pillow (the project's .venv has it):  ../.venv/bin/python scripts/draw-tab-icons.py

Simple line drawings, one colour per state, matching app.json's tabBar colours."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

SIZE = 81
SCALE = 4  # drawn 4x larger, then scaled down: smooth edges
COLOURS = {"": (102, 102, 102, 255), "-active": (0, 82, 217, 255)}  # app.json color / selectedColor
WIDTH = 6 * SCALE
OUT = Path(__file__).resolve().parents[1] / "images" / "tab"


def s(*values: float) -> list[float]:
    return [v * SCALE for v in values]


def home(draw: ImageDraw.ImageDraw, colour) -> None:
    draw.line(s(12, 40, 40.5, 14, 69, 40), fill=colour, width=WIDTH, joint="curve")
    draw.rounded_rectangle(s(20, 36, 61, 68), radius=4 * SCALE, outline=colour, width=WIDTH)
    draw.rectangle(s(35, 50, 46, 68), fill=colour)


def policy(draw: ImageDraw.ImageDraw, colour) -> None:
    draw.rounded_rectangle(s(18, 10, 63, 71), radius=5 * SCALE, outline=colour, width=WIDTH)
    for y in (27, 40, 53):
        draw.line(s(28, y, 53 if y != 53 else 44, y), fill=colour, width=WIDTH)


def appeal(draw: ImageDraw.ImageDraw, colour) -> None:
    draw.rounded_rectangle(s(10, 14, 71, 56), radius=10 * SCALE, outline=colour, width=WIDTH)
    draw.polygon(s(24, 53, 24, 70, 40, 53), fill=colour)
    for x in (27, 40.5, 54):
        draw.ellipse(s(x - 3.5, 31.5, x + 3.5, 38.5), fill=colour)


def me(draw: ImageDraw.ImageDraw, colour) -> None:
    draw.ellipse(s(27, 10, 54, 37), outline=colour, width=WIDTH)
    draw.arc(s(13, 44, 68, 99), start=180, end=360, fill=colour, width=WIDTH)


ICONS = {"home": home, "policy": policy, "appeal": appeal, "me": me}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, draw_icon in ICONS.items():
        for suffix, colour in COLOURS.items():
            big = Image.new("RGBA", (SIZE * SCALE, SIZE * SCALE), (0, 0, 0, 0))
            draw_icon(ImageDraw.Draw(big), colour)
            icon = big.resize((SIZE, SIZE), Image.LANCZOS)
            path = OUT / f"{name}{suffix}.png"
            icon.save(path, optimize=True)
            print(f"{path.relative_to(OUT.parents[1])}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
