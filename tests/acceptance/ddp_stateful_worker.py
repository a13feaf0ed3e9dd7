"""One rank of a user's DDP loop (run by tests/test_distributed.py under torchrun, gloo, 2 ranks).

Each rank feeds its strided share of the images to the stateful metrics in two batches and calls
compute(); every rank writes what it got, so the test can check they agree with each other and
with one process fed the ranks' images in rank order. Then the cases where one rank, or every
rank, saw no images.
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

# a rank that got no images still takes part in compute(): here rank 1 feeds nothing
only_rank0 = ganmetrics.FID(weights=weights, device="cpu")
if rank == 0:
    only_rank0.update(real, real=True)
    only_rank0.update(fake)
results["fid_rank0_only"] = only_rank0.compute().value
# and when no rank fed anything, every rank gets the same one-line error (none is left waiting)
try:
    ganmetrics.KID(weights=weights, device="cpu").compute()
except ganmetrics.InputError as e:
    results["empty_kid_error"] = str(e)
with open(f"{out}.rank{rank}.json", "w") as f:
    json.dump(results, f)
dist.destroy_process_group()
