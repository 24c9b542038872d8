"""Writes examples/data/shapes: a tiny folder dataset (ImageFolder layout) for the plugin example.

Four classes of 16x16 RGB images (a disc, a square, a cross, stripes) at random positions, sizes
and colours, with pixel noise: 24 training and 16 validation images per class (64 in all:
more than the example net's widest layer, as the similarity analysis needs). The committed files
were made by running this script once; it is kept to show how they were made.

    python examples/data/make_shapes.py
"""

from pathlib import Path

import numpy as np
from PIL import Image

SIZE, TRAIN, VAL = 16, 24, 16
CLASSES = ("cross", "disc", "square", "stripes")


def draw(shape: str, rng: np.random.Generator) -> np.ndarray:
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    cy, cx = rng.uniform(5, 11, size=2)
    r = rng.uniform(3, 5)
    if shape == "disc":
        on = (y - cy) ** 2 + (x - cx) ** 2 <= r**2
    elif shape == "square":
        on = (abs(y - cy) <= r * 0.8) & (abs(x - cx) <= r * 0.8)
    elif shape == "cross":
        on = ((abs(y - cy) <= 1) & (abs(x - cx) <= r)) | ((abs(x - cx) <= 1) & (abs(y - cy) <= r))
    else:
        on = ((x + int(rng.integers(0, 4))) // 2) % 2 == 0
    colour = rng.uniform(0.5, 1.0, size=3)
    image = on[..., None] * colour + rng.normal(0, 0.15, size=(SIZE, SIZE, 3))
    return (np.clip(image, 0, 1) * 255).astype(np.uint8)


def main() -> None:
    root = Path(__file__).with_name("shapes")
    rng = np.random.default_rng(0)
    for split, count in (("train", TRAIN), ("val", VAL)):
        for shape in CLASSES:
            folder = root / split / shape
            folder.mkdir(parents=True, exist_ok=True)
            for index in range(count):
                Image.fromarray(draw(shape, rng)).save(folder / f"{shape}_{index:02d}.png")


if __name__ == "__main__":
    main()
