"""Write `sr_model/data/face.png`: a 256x256 face crop of scikit-image's bundled `astronaut()`.

The source is NASA's portrait of astronaut Eileen Collins (public domain), shipped inside
scikit-image, so nothing is downloaded. The crop is a fixed slice and PNG is lossless, so the file is
the same on every run (the script checks this with `--check`).

    PYTHONPATH=. python scripts/make_face.py           # (re)write sr_model/data/face.png
    PYTHONPATH=. python scripts/make_face.py --check   # exit 1 if the committed file differs
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from sr_model.imageio import image_to_nchw, read_image, write_image
from sr_model.paths import FACE_IMAGE

# Rows 0..255, columns 96..351 of the 512x512 original: the face, hair and collar, centred.
FACE_ROWS = slice(0, 256)
FACE_COLS = slice(96, 352)


def face_pixels() -> np.ndarray:
    """The 256x256x3 uint8 face crop of `skimage.data.astronaut()`."""
    from skimage import data

    pixels = data.astronaut()[FACE_ROWS, FACE_COLS]
    assert pixels.shape == (256, 256, 3) and pixels.dtype == np.uint8, pixels.shape
    return np.ascontiguousarray(pixels)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare with the committed file, write nothing")
    args = parser.parse_args(argv)
    array = image_to_nchw(face_pixels())
    if args.check:
        same = FACE_IMAGE.is_file() and np.array_equal(read_image(FACE_IMAGE), array)
        print(f"{FACE_IMAGE}: {'matches' if same else 'DIFFERS from'} the astronaut crop")
        return 0 if same else 1
    write_image(array, FACE_IMAGE)
    print(f"wrote {FACE_IMAGE} (256x256 RGB crop of skimage.data.astronaut(), rows 0:256, cols 96:352)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
