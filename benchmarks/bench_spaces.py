"""Throughput and peak memory of the DINOv2 / CLIP feature spaces, and one decode pass over
several spaces vs one run per space.

Random weights (timm's initialisation; the official files are not needed to time the network):
each space runs in its own subprocess so that its peak RSS (CPU) or peak allocated memory (GPU)
is its own. Images: smooth random PNGs of ``--size`` pixels.

    python benchmarks/bench_spaces.py --n 32 --size 64 --device cpu --spaces dinov2-vitb14,clip-vitb32
"""
from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))


def random_space(name: str, device: str):
    """The space's extractor with random weights (timm init), through ViTExtractor."""
    import timm
    from ganmetrics.features import vit
    arch, size, family, _ = vit.SPACES[name]
    if family == "dinov2":
        model = timm.create_model(arch, pretrained=False, img_size=size, num_classes=0)
    else:
        dim = 768 if "large" in arch else 512
        model = timm.create_model(arch, pretrained=False, img_size=size, num_classes=dim, act_layer="quick_gelu")
    return vit.ViTExtractor(name, model, "random", device)


def one_space(name: str, n: int, size: int, device: str, batch: int) -> dict:
    from helpers import smooth_images
    ext = random_space(name, device)
    images = torch.from_numpy(smooth_images(n, size=size, seed=0)).permute(0, 3, 1, 2)
    ext(images[:2])  # warm-up
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for i in range(0, n, batch):
        ext(images[i:i + batch])
    if device == "cuda":
        torch.cuda.synchronize()
    dt = time.perf_counter() - start
    peak = (torch.cuda.max_memory_allocated() / 2**20 if device == "cuda"
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return {"space": name, "images_per_s": n / dt, "peak_mib": peak, "n": n, "size": size, "device": device}


def decode_passes(spaces: list[str], n: int, size: int, device: str) -> dict:
    """evaluate() with --features A,B (one decode pass) vs one evaluate() per space, on PNG folders."""
    import ganmetrics
    from ganmetrics.features import registry
    from helpers import smooth_images, write_folder
    for s in spaces:  # random-weight stand-ins under the same names
        registry.register_extractor(s, lambda weights=None, device="cpu", _s=s: random_space(_s, device), replace=True)
    with tempfile.TemporaryDirectory() as tmp:
        real = write_folder(Path(tmp) / "real", smooth_images(n, size=size, seed=1))
        fake = write_folder(Path(tmp) / "fake", smooth_images(n, size=size, seed=2))
        start = time.perf_counter()
        ganmetrics.evaluate(real, fake, ["fid", "cmmd"], features=",".join(spaces), device=device)
        one = time.perf_counter() - start
        start = time.perf_counter()
        for s in spaces:
            ganmetrics.evaluate(real, fake, ["fid", "cmmd"], features=s, device=device)
        separate = time.perf_counter() - start
    return {"spaces": spaces, "one_pass_s": one, "separate_runs_s": separate, "n_per_input": n}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=32)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--device", default="cpu")
    p.add_argument("--spaces", default="dinov2-vitb14,clip-vitb32")
    p.add_argument("--one", help=argparse.SUPPRESS)
    a = p.parse_args()
    torch.set_num_threads(torch.get_num_threads())
    if a.one:
        print(json.dumps(one_space(a.one, a.n, a.size, a.device, a.batch)))
        return
    print(f"# {platform.processor() or platform.machine()}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    for s in a.spaces.split(","):
        out = subprocess.run([sys.executable, __file__, "--one", s, "--n", str(a.n), "--size", str(a.size),
                              "--device", a.device, "--batch", str(a.batch)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{s:18s} {r['images_per_s']:8.2f} images/s   peak {r['peak_mib']:8.0f} MiB")
    r = decode_passes(a.spaces.split(","), a.n, a.size, a.device)
    print(f"one decode pass: {r['one_pass_s']:.1f} s   separate runs: {r['separate_runs_s']:.1f} s   "
          f"({len(r['spaces'])} spaces, {r['n_per_input']} images per input)")


if __name__ == "__main__":
    main()
