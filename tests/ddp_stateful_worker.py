"""One rank of a user's DDP loop (run by tests/test_distributed.py under torchrun, gloo, 2 ranks).

Each rank feeds its strided share of the images to the stateful metrics in two batches and calls
compute(); every rank writes what it got, so the test can check they agree with each other and
with one process fed the ranks' images in rank order.
"""
import json
import sys

import numpy as np
import torch.distributed as dist

import ganmetrics

data, weights, out = sys.argv[1:4]
dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
arrays = np.load(data)
real, fake = arrays["real"][rank::world], arrays["fake"][rank::world]  # uneven: 4 and 3 images

fid = ganmetrics.FID(weights=weights, device="cpu")
kid = ganmetrics.KID(subsets=4, subset_size=5, weights=weights, device="cpu")
inception_score = ganmetrics.InceptionScore(splits=2, weights=weights, device="cpu")
for half in np.array_split(np.arange(len(real)), 2):
    fid.update(real[half], real=True)
    kid.update(real[half], real=True)
for half in np.array_split(np.arange(len(fake)), 2):
    fid.update(fake[half])
    kid.update(fake[half])
    inception_score.update(fake[half])
results = {m: r.value for m, r in (("fid", fid.compute()), ("kid", kid.compute()), ("is", inception_score.compute()))}
results["fid_n"] = fid.compute().n
with open(f"{out}.rank{rank}.json", "w") as f:
    json.dump(results, f)
dist.destroy_process_group()
