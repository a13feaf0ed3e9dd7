"""Inputs: files and arrays -> uint8 N x 3 x H x W batches. Knows nothing of networks or metrics.

``sources`` decodes and batches, ``datasets`` names standard datasets (``cifar10:train``, the
bundled ``shapes32``), ``open`` turns any input into an ``ImageSource``."""
