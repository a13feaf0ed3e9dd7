"""Feature-extraction throughput: ganmetrics vs pytorch-fid vs torch-fidelity, side by side.

Same folder of PNGs, same weights file, same device, batch size and worker count; each tool's
model is loaded first and only the pass over the images is timed (best of `--repeats`).

    python benchmarks/bench_extract.py --n 200 --size 64 --device cpu
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))


def best_of(repeats, fn):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--device", default="cpu")
    p.add_argument("--batch-size", type=int, default=50)
    p.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1))
    p.add_argument("--repeats", type=int, default=2)
    args = p.parse_args()

    from helpers import write_random_weights
    work = Path(tempfile.mkdtemp(prefix="bench_extract_"))
    subprocess.run([sys.executable, str(HERE / "make_images.py"), str(work), "--n", str(args.n), "--size",
                    str(args.size)], check=True, stdout=subprocess.DEVNULL)
    folder = work / "real"
    files = sorted(str(f) for f in folder.iterdir())
    weights = write_random_weights(work / "w.pth")

    from ganmetrics.evaluation import make_runner
    from ganmetrics.inputs.open import open_images
    layouts = {}
    for channels_last in (False, True):
        layouts[channels_last] = make_runner(weights=str(weights), device=args.device, resize="pytorch-fid",
                                             batch_size=args.batch_size, workers=args.workers,
                                             channels_last=channels_last)[0]
        layouts[channels_last].extractor  # load before timing

    def ours(channels_last=True):
        return torch.cat([f["pool3"].cpu() for f in layouts[channels_last].run(open_images(folder))])

    from pytorch_fid import inception
    from pytorch_fid.fid_score import get_activations
    inception.load_state_dict_from_url = lambda *a, **k: torch.load(weights, weights_only=True)
    pfid = inception.InceptionV3([3]).to(args.device).eval()

    def theirs_pfid():
        return torch.from_numpy(get_activations(files, pfid, args.batch_size, 2048, args.device, args.workers))

    from torch_fidelity.datasets import ImagesPathDataset
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3
    tfid = FeatureExtractorInceptionV3("inception-v3-compat", ["2048"], feature_extractor_weights_path=str(weights))
    tfid = tfid.to(args.device)

    def theirs_tfid():
        loader = torch.utils.data.DataLoader(ImagesPathDataset(files), batch_size=args.batch_size,
                                             num_workers=args.workers)
        with torch.no_grad():
            return torch.cat([tfid(b.to(args.device))[0].cpu() for b in loader])

    rows = []
    for name, fn in (("pytorch-fid 0.3.0", theirs_pfid), ("torch-fidelity 0.4.0", theirs_tfid),
                     ("ganmetrics --no-channels-last (NCHW, as the peers)", lambda: ours(False)),
                     ("ganmetrics (default: channels_last)", ours)):
        seconds, feats = best_of(args.repeats, fn)
        rows.append((name, seconds, len(feats) / seconds))
    print(f"machine: {os.cpu_count()} CPU cores ({platform.machine()}), device={args.device}, torch "
          f"{torch.__version__}, {torch.get_num_threads()} threads; {args.n} PNGs {args.size}x{args.size}, "
          f"batch {args.batch_size}, {args.workers} workers, best of {args.repeats}")
    print("| tool | seconds | images/s | ganmetrics speed-up |")
    print("|---|---:|---:|---:|")
    ours_ips = rows[-1][2]
    for name, seconds, ips in rows:
        print(f"| {name} | {seconds:.1f} | {ips:.1f} | {ours_ips / ips:.2f}x |")


if __name__ == "__main__":
    main()
