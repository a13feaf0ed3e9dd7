"""``ganmetrics``: the command group. Every command is registered here, explicitly, by the
module that defines it; a command's module is imported only when that command runs or shows its
own ``--help``, so ``ganmetrics --help`` and ``--version`` answer at once. Command modules
import torch only when their command runs (option choices come from ``ganmetrics.config``), so
every ``--help`` answers at once too. Command modules never import this one."""
from __future__ import annotations

import importlib

import click

from ganmetrics._version import __version__

from .options import Group

#: name -> ("module:attribute", the one-line help shown by `ganmetrics --help`; a test checks it
#: against each command's own docstring)
COMMANDS = {
    "fid": ("fid:fid", "Fréchet Inception Distance between A and B (or between --ref NAME and B)."),
    "stats": ("fid:stats", "Save the feature statistics of PATH (a folder or image array) to an .npz."),
    "is": ("metrics:inception_score", "Inception Score of the images in PATH: mean ± std over --splits."),
    "kid": ("metrics:kid", "Kernel Inception Distance between A (real) and B: unbiased MMD² with the cubic kernel…"),
    "prdc": ("metrics:prdc", "Precision, recall (k-NN manifolds, --k-pr), density and coverage (--k-dc) of B…"),
    "eval": ("metrics:eval_command", "Every requested metric between A (real) and B (generated) from one…"),
    "compare": ("compare:compare", "Compare sample sets or checkpoints against one reference: values with…"),
    "budget": ("compare:budget", "Expected best score against the number of runs per model (Lucic et al.…"),
    "gate": ("gate:gate", "Check generated samples against thresholds and a baseline; exit 0 pass, 1 fail, 2…"),
    "refs": ("refs:refs", "Known reference statistics (reference_stats/manifest.toml): list and fetch them."),
    "sample": ("sample:sample", "Generate --n images from a generator checkpoint into a PNG folder or an .npz."),
    "train": ("train:train", "Train a reference GAN / WGAN and log its metric curves (curves.csv, samples/,…"),
    "curves": ("train:curves", "Plot the curves of one or several training runs side by side (PNG)."),
    "wasserstein": ("wasserstein:wasserstein", "Wasserstein-1 distance between A (real) and B."),
    "reproduce": ("wasserstein:reproduce", "Reproduce the WGAN paper's argument (PNG + CSV)."),
}


class Main(Group):
    def list_commands(self, ctx) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx, name: str):
        if name not in COMMANDS:
            return None
        module, attr = COMMANDS[name][0].split(":")
        return getattr(importlib.import_module(f"{__package__}.{module}"), attr)

    def format_commands(self, ctx, formatter) -> None:
        """The command list from COMMANDS, without importing a single command module."""
        width = formatter.width - 6 - max(len(n) for n in COMMANDS)
        rows = [(name, help_ if len(help_) <= width else help_[:width - 1].rstrip() + "…")
                for name, (_, help_) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ganmetrics")
def main():
    """Evaluate generative image models: FID and friends, with the standard Inception-v3.

    \b
    Examples:
      ganmetrics fid real/ fake/                 FID between two image folders
      ganmetrics stats real/ -o real.npz         save reference statistics once
      ganmetrics fid real.npz fake/ --json       reuse them; machine-readable output

    Inputs may be image folders (searched recursively), .npy/.npz image arrays, or .npz
    statistics files (ours, TTUR's, pytorch-fid's or clean-fid's). Bad input exits with code 2
    and a one-line message.
    """
