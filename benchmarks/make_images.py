"""Write two folders of synthetic images (smooth random colour fields) for demos and benchmarks.

    python benchmarks/make_images.py demo --n 200 --size 64
    -> demo/real/*.png and demo/fake/*.png (the fake set's colours are shifted)
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image


def smooth_images(n: int, size: int, seed: int, shift: float = 0.0) -> np.ndarray:
    """uint8 N x H x W x 3: a 4x4 grid of random colours, bicubically upsampled, plus fine noise."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, size, size, 3), dtype=np.uint8)
    for i in range(n):
        coarse = np.clip(rng.normal(0.5 + shift, 0.25, size=(4, 4, 3)), 0, 1)
        img = Image.fromarray(np.rint(coarse * 255).astype(np.uint8)).resize((size, size), Image.BICUBIC)
        noisy = np.asarray(img, dtype=np.float64) + rng.normal(0, 10, size=(size, size, 3))
        out[i] = np.clip(np.rint(noisy), 0, 255).astype(np.uint8)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", type=Path)
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--shift", type=float, default=0.1, help="colour shift of the fake set")
    p.add_argument("--real-only", action="store_true", help="write only the real set")
    args = p.parse_args()
    sets = (("real", 0, 0.0),) if args.real_only else (("real", 0, 0.0), ("fake", 1, args.shift))
    for name, seed, shift in sets:
        folder = args.out / name
        folder.mkdir(parents=True, exist_ok=True)
        for i, img in enumerate(smooth_images(args.n, args.size, seed, shift)):
            Image.fromarray(img).save(folder / f"{i:06d}.png")
    print(f"wrote {args.n} images each to " + " and ".join(str(args.out / name) for name, _, _ in sets))


if __name__ == "__main__":
    main()
