"""One command that checks ganmetrics on a GPU and prints a single Markdown table (issue 18).

    python benchmarks/gpu_check.py                     # on a GPU machine, a few minutes
    python benchmarks/gpu_check.py --device cpu --n 4 --size 32 --batch-sizes 2 --fr-dim 64
                                                       # end to end on the CPU (a test runs this)

Rows, all in one process (plus the torchrun runs) on the same synthetic folder and weights:

* pool3 features on the device vs the CPU (NCHW, float32; the peers' layout), max |Δ| / max |f|,
  for NCHW and channels_last, TF32 off (the default) and on;
* FID between two folders with TF32 off vs on;
* images/s of ganmetrics (channels_last and NCHW; cudnn.benchmark on a GPU), pytorch-fid and
  torch-fidelity on the same folder and weights, at batch 50 and at the best of --batch-sizes;
* the Fréchet step (Cholesky route, float64) on the device vs the CPU: seconds and agreement;
* peak GPU memory (peak RSS on the CPU);
* ``ganmetrics stats`` under torchrun over every visible GPU (NCCL; gloo and --nproc processes on
  the CPU) vs one process: wall time and agreement of the statistics.

Weights: a seeded random file in pytorch-fid's format unless --weights gives the real one (the
differences and speeds do not depend on it; FID values do).
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))


def max_rel(a: torch.Tensor | np.ndarray, ref: torch.Tensor | np.ndarray) -> float:
    a, ref = np.asarray(a, np.float64), np.asarray(ref, np.float64)
    return float(np.abs(a - ref).max() / max(np.abs(ref).max(), 1e-300))


def sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def best_of(repeats: int, fn, dev: torch.device) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        sync(dev)
        start = time.perf_counter()
        out = fn()
        sync(dev)
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> None:  # noqa: C901 - one linear script
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda")
    p.add_argument("--n", type=int, default=1000, help="images per folder")
    p.add_argument("--size", type=int, default=64, help="image side in pixels")
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[50, 100, 200, 500])
    p.add_argument("--workers", type=int, default=min(8, os.cpu_count() or 1))
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--fr-dim", type=int, default=2048, help="dimension of the Fréchet-step statistics")
    p.add_argument("--nproc", type=int, default=None,
                   help="torchrun processes [default: every visible GPU; 2 on the CPU]; 0 skips the row")
    p.add_argument("--weights", default=None, help="Inception weights file [default: seeded random weights]")
    args = p.parse_args()
    dev = torch.device(args.device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        sys.exit("gpu_check: CUDA is not available here; use --device cpu for the CPU run")
    started = time.perf_counter()
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats(dev)

    from ganmetrics.config import Extraction
    from ganmetrics.features.registry import get_extractor
    from ganmetrics.features.runner import FeatureRunner
    from ganmetrics.inputs.open import open_images
    from ganmetrics.metrics.bootstrap import prdc_replicates
    from ganmetrics.metrics.frechet import frechet_distance_info
    from ganmetrics.metrics.infinity import fid_infinity
    from helpers import write_random_weights
    from make_images import smooth_images
    from PIL import Image

    work = Path(tempfile.mkdtemp(prefix="gpu_check_"))
    for name, seed, shift in (("real", 0, 0.0), ("fake", 1, 0.1)):
        (work / name).mkdir()
        for i, img in enumerate(smooth_images(args.n, args.size, seed, shift)):
            Image.fromarray(img).save(work / name / f"{i:06d}.png")
    real, fake = work / "real", work / "fake"
    weights = Path(args.weights) if args.weights else write_random_weights(work / "w.pth")
    rows: list[tuple[str, str, str]] = []

    # -- features on the device vs the CPU --------------------------------------------------
    x = torch.from_numpy(smooth_images(min(args.n, 64), args.size, 7)).permute(0, 3, 1, 2).contiguous()
    ref = get_extractor(weights=str(weights), device="cpu", channels_last=False)(x)["pool3"].double().numpy()
    for channels_last in (False, True):
        ext = get_extractor(weights=str(weights), device=str(dev), channels_last=channels_last)
        for tf32 in (False, True):
            ext.tf32 = tf32
            f = ext(x)["pool3"].double().cpu().numpy()
            layout = "channels_last" if channels_last else "NCHW"
            rows.append((f"pool3 on {dev} vs cpu NCHW: {layout}, TF32 {'on' if tf32 else 'off'}",
                         f"{max_rel(f, ref):.1e}", f"max abs diff / max abs; {len(x)} images"))
        del ext

    # -- FID with TF32 off vs on ------------------------------------------------------------
    import ganmetrics
    fids = {}
    for tf32 in (False, True):
        fids[tf32] = ganmetrics.fid(real, fake, weights=str(weights), device=str(dev), workers=args.workers,
                                    tf32=tf32).value
    rows.append(("FID TF32 off / on", f"{fids[False]:.6f} / {fids[True]:.6f}",
                 f"relative difference {abs(fids[True] - fids[False]) / max(abs(fids[False]), 1e-300):.1e}"))

    # -- throughput ---------------------------------------------------------------------------
    files = sorted(str(f) for f in real.iterdir())
    batch_sizes = sorted(set([50] + args.batch_sizes))

    def ours(channels_last=True, benchmark=False):
        def make(b):
            opts = FeatureRunner(Extraction(weights=str(weights), device=str(dev), batch_size=b,
                                            workers=args.workers, channels_last=channels_last))
            opts.extractor  # load before timing

            def go():
                torch.backends.cudnn.benchmark = benchmark
                try:
                    return sum(len(f["pool3"]) for f in opts.run(open_images(real)))
                finally:
                    torch.backends.cudnn.benchmark = False
            return go
        return make

    def pytorch_fid(b):
        from pytorch_fid import inception
        from pytorch_fid.fid_score import get_activations
        inception.load_state_dict_from_url = lambda *a, **k: torch.load(weights, weights_only=True)
        model = inception.InceptionV3([3]).to(dev).eval()
        return lambda: len(get_activations(files, model, b, 2048, dev, args.workers))

    def torch_fidelity(b):
        from torch_fidelity.datasets import ImagesPathDataset
        from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3
        model = FeatureExtractorInceptionV3("inception-v3-compat", ["2048"],
                                            feature_extractor_weights_path=str(weights)).to(dev)

        def go():
            loader = torch.utils.data.DataLoader(ImagesPathDataset(files), batch_size=b, num_workers=args.workers)
            with torch.no_grad():
                return sum(len(model(batch.to(dev))[0]) for batch in loader)
        return go

    tools = [("ganmetrics (channels_last)", ours()), ("ganmetrics (NCHW)", ours(channels_last=False))]
    if dev.type == "cuda":
        tools.append(("ganmetrics (channels_last, cudnn.benchmark)", ours(benchmark=True)))
    tools += [("pytorch-fid", pytorch_fid), ("torch-fidelity", torch_fidelity)]
    for name, make in tools:
        try:
            speed = {}
            for b in batch_sizes:
                seconds, count = best_of(args.repeats, make(b), dev)
                assert count == len(files), (name, count)
                speed[b] = count / seconds
        except ImportError as e:
            rows.append((f"images/s {name}", "not installed", str(e).splitlines()[0]))
            continue
        best = max(speed, key=speed.get)
        rows.append((f"images/s {name}: batch 50 / best", f"{speed[50]:.1f} / {speed[best]:.1f}",
                     f"best at batch {best}; {len(files)} PNGs {args.size}px, {args.workers} workers"))

    # -- the Fréchet step on the device vs the CPU -------------------------------------------
    d = args.fr_dim
    mix = np.random.default_rng(99).normal(size=(d, d)) * (np.arange(1, d + 1) ** -0.7)[None, :]
    stats = []
    for seed, shift in ((1, 0.0), (2, 0.05)):
        f = np.abs(np.random.default_rng(seed).normal(size=(5 * d, d)) @ mix.T + shift)
        stats += [f.mean(0), np.cov(f, rowvar=False)]
    kw = dict(method="cholesky", n1=5 * d, n2=5 * d)
    t_cpu, (v_cpu, _) = best_of(args.repeats, lambda: frechet_distance_info(*stats, **kw), torch.device("cpu"))
    t_dev, (v_dev, info) = best_of(args.repeats, lambda: frechet_distance_info(*stats, **kw, device=dev), dev)
    rows.append((f"Fréchet step (Cholesky, float64, d={d}): {dev} / cpu seconds", f"{t_dev:.3f} / {t_cpu:.3f}",
                 f"relative difference {abs(v_dev - v_cpu) / abs(v_cpu):.1e}; ran on {info['sqrtm_device']}"))

    # -- FID_inf: 15 subset covariances + Fréchet steps, on the device vs the CPU -----------------
    t_cpu, v_cpu = best_of(1, lambda: fid_infinity(stats[0], stats[1], f)[0], torch.device("cpu"))
    t_dev, v_dev = best_of(1, lambda: fid_infinity(stats[0], stats[1], f, device=dev)[0], dev)
    rows.append((f"FID_inf ({len(f)} x {d} features): {dev} / cpu seconds", f"{t_dev:.3f} / {t_cpu:.3f}",
                 f"relative difference {abs(v_dev - v_cpu) / abs(v_cpu):.1e}"))

    # -- P/R/D/C interval replicates: the whole samples' distances on the device vs the CPU ----------
    g = f[: min(len(f), 4000)]
    h = np.abs(np.random.default_rng(3).normal(size=g.shape) @ mix.T + 0.05)
    t_cpu, r_cpu = best_of(1, lambda: prdc_replicates(g, h, n_rep=10), torch.device("cpu"))
    t_dev, r_dev = best_of(1, lambda: prdc_replicates(g, h, n_rep=10, device=str(dev)), dev)
    same = all(np.array_equal(r_cpu[m], r_dev[m]) for m in r_cpu)
    rows.append((f"P/R/D/C, 10 half-samples of {len(g)} x {d}: {dev} / cpu seconds", f"{t_dev:.3f} / {t_cpu:.3f}",
                 f"replicates {'identical' if same else 'differ (float32 distances on the device)'}"))

    # -- memory ----------------------------------------------------------------------------
    if dev.type == "cuda":
        rows.append(("peak GPU memory", f"{torch.cuda.max_memory_allocated(dev) / 2**20:.0f} MiB",
                     "torch.cuda.max_memory_allocated over the whole check"))
    else:
        rows.append(("peak RSS (no GPU)", f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB",
                     "this process"))

    # -- torchrun vs one process --------------------------------------------------------------
    nproc = args.nproc if args.nproc is not None else (torch.cuda.device_count() if dev.type == "cuda" else 2)
    if nproc > 0:
        common = ["stats", str(real), "--weights", str(weights), "--device", "auto" if dev.type == "cuda" else "cpu",
                  "--workers", str(args.workers), "-q"]
        runs = {}
        for k in (1, nproc):
            out = work / f"stats_{k}.npz"
            launcher = ([sys.executable, "-m", "ganmetrics"] if k == 1 else
                        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(k),
                         "-m", "ganmetrics"])
            start = time.perf_counter()
            done = subprocess.run(launcher + common + ["-o", str(out)], capture_output=True, text=True)
            if done.returncode != 0:
                sys.exit(f"gpu_check: {' '.join(launcher)} failed:\n{done.stderr[-2000:]}")
            runs[k] = (time.perf_counter() - start, ganmetrics.GaussianStats.load(out))
        (t1, s1), (tk, sk) = runs[1], runs[nproc]
        backend = "NCCL" if dev.type == "cuda" else "gloo"
        rows.append((f"torchrun {nproc} x {backend} / 1 process: stats wall s", f"{tk:.1f} / {t1:.1f}",
                     f"mu {max_rel(sk.mu, s1.mu):.1e}, sigma {max_rel(sk.sigma, s1.sigma):.1e} max rel diff; "
                     f"n {sk.n} / {s1.n}"))
    else:
        rows.append(("torchrun vs 1 process", "skipped", "--nproc 0"))

    name = (torch.cuda.get_device_name(dev) if dev.type == "cuda"
            else f"{os.cpu_count()} CPU cores ({platform.machine()})")
    print(f"gpu_check: {name}, torch {torch.__version__}, device {dev}; {args.n} + {args.n} PNGs of "
          f"{args.size}px; {time.perf_counter() - started:.0f} s in all")
    print("| check | result | note |")
    print("|---|---:|---|")
    for check, result, note in rows:
        print(f"| {check} | {result} | {note} |")


if __name__ == "__main__":
    main()
