#!/usr/bin/env python3
"""The README's before/after cut-outs: hard (the class map) and soft (guided-filter matting) for a few photos.

Runs `bin/depthwise segment --cutout --alpha hard|soft` on the photos, lays each photo out as original | hard | soft
(the cut-outs over a chequerboard, so that their edges show), downscaled to a panel width, and writes
docs/images/cutout-NAME.png. Needs Pillow (apt-get install python3-pil).

    /usr/bin/python3 scripts/readme/make_cutout_pair.py CHECKPOINT PHOTO... [--panel 320]
"""
import argparse
import pathlib
import subprocess
import tempfile

from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parents[2]


def chequerboard(size, square=12):
    board = Image.new("RGB", size, (255, 255, 255))
    grey = Image.new("RGB", (square, square), (204, 204, 204))
    for y in range(0, size[1], square):
        for x in range(0, size[0], square):
            if (x // square + y // square) % 2:
                board.paste(grey, (x, y))
    return board


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("photos", nargs="+")
    parser.add_argument("--panel", type=int, default=320, help="width of each of the three panels")
    args = parser.parse_args()
    out_dir = ROOT / "docs" / "images"
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("hard", "soft"):
            subprocess.run([str(ROOT / "bin" / "depthwise"), "segment", "--checkpoint", args.checkpoint, "--cutout",
                            "--alpha", mode, "--out", f"{tmp}/{mode}", *args.photos], check=True)
        for photo in map(pathlib.Path, args.photos):
            original = Image.open(photo).convert("RGB")
            panels = [original]
            for mode in ("hard", "soft"):
                cutout = Image.open(f"{tmp}/{mode}/{photo.stem}.cutout.png").convert("RGBA")
                board = chequerboard(cutout.size)
                board.paste(cutout, (0, 0), cutout)
                panels.append(board)
            height = round(original.height * args.panel / original.width)
            sheet = Image.new("RGB", (3 * args.panel, height), (255, 255, 255))
            for i, panel in enumerate(panels):
                sheet.paste(panel.resize((args.panel, height), Image.LANCZOS), (i * args.panel, 0))
            target = out_dir / f"cutout-{photo.stem}.png"
            sheet.save(target, optimize=True)
            print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
