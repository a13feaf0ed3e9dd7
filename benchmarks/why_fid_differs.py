"""Measure the usual reasons a FID differs from a paper's, on this package's own pipeline.

1. resize mode: the same folders in `tf1`, `pytorch-fid` and `clean` mode;
2. JPEG re-encoding: the fake folder saved as JPEG (quality 75 and 95) instead of PNG;
3. the number of samples N: FID between two independent samples of *one* distribution (the
   truth is 0) for growing N, on synthetic 2048-d features with a pool3-like spectrum;
4. the weights: the same folders through two different weights files.

Items 1, 2 and 4 run the real pipeline with a seeded random weights file (no real weights can be
downloaded here), so they show the direction and the mechanism, not the size on real Inception
features; item 3 needs no network.

    python benchmarks/why_fid_differs.py --n 200
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--size", type=int, default=32)
    args = p.parse_args()
    import ganmetrics
    from ganmetrics.metrics.frechet import frechet_distance
    from helpers import write_random_weights

    work = Path(tempfile.mkdtemp(prefix="why_fid_"))
    subprocess.run([sys.executable, str(HERE / "make_images.py"), str(work), "--n", str(args.n), "--size",
                    str(args.size)], check=True, stdout=subprocess.DEVNULL)
    real, fake = work / "real", work / "fake"
    w0, w1 = write_random_weights(work / "w0.pth", seed=0), write_random_weights(work / "w1.pth", seed=1)
    common = dict(device="cpu", workers=2)
    stats = {mode: ganmetrics.compute_stats(real, weights=w0, resize=mode, **common) for mode in ("tf1", "pytorch-fid", "clean")}

    def fid_to(folder, mode="tf1", weights=w0, ref=None):
        ref = ref or stats[mode]
        return ganmetrics.fid(ref, ganmetrics.compute_stats(folder, weights=weights, resize=mode, **common)).value

    base = fid_to(fake)
    print(f"{args.n} + {args.n} synthetic {args.size}x{args.size} images, random weights (seed 0)\n")
    print("| cause | setting | FID | change vs baseline |")
    print("|---|---|---:|---:|")
    print(f"| baseline | tf1, PNG, weights seed 0 | {base:.2f} | |")
    for mode in ("pytorch-fid", "clean"):
        v = fid_to(fake, mode)
        print(f"| resize mode | {mode} instead of tf1 | {v:.2f} | {100 * (v - base) / base:+.1f}% |")
    for q in (95, 75):
        jpg = work / f"fake_q{q}"
        jpg.mkdir()
        for f in sorted(fake.iterdir()):
            Image.open(f).save(jpg / (f.stem + ".jpg"), quality=q)
        v = fid_to(jpg)
        print(f"| JPEG re-encoding | fake folder as JPEG quality {q} | {v:.2f} | {100 * (v - base) / base:+.1f}% |")
    ref1 = ganmetrics.compute_stats(real, weights=w1, **common)
    v = fid_to(fake, weights=w1, ref=ref1)
    print(f"| weights | another weights file (seed 1) | {v:.2f} | {100 * (v - base) / base:+.1f}% |")

    print("\nSample size: FID between two independent samples of one distribution (truth 0), "
          "2048-d synthetic features with a decaying spectrum\n")
    print("| N per side | FID |")
    print("|---:|---:|")
    d = 2048
    mix = np.random.default_rng(99).normal(size=(d, d)) * (np.arange(1, d + 1) ** -0.7)[None, :] / 10
    for n in (1000, 2000, 5000, 10000, 50000):
        feats = [np.abs(np.random.default_rng(s).normal(size=(n, d)).astype(np.float32) @ mix.T.astype(np.float32))
                 for s in (1, 2)]
        mus = [f.mean(0, dtype=np.float64) for f in feats]
        covs = [np.cov(f, rowvar=False) for f in feats]
        print(f"| {n} | {frechet_distance(mus[0], covs[0], mus[1], covs[1]):.3f} |")


if __name__ == "__main__":
    main()
