"""Every command and configuration shown in README.md and docs/*.md runs as written (issue 21 item 17).

The commands are EXTRACTED from the Markdown, so the docs cannot drift from the code:

* every line of a ```bash block (``\\`` continuations joined, ``&&`` chains split, trailing
  ``# comments`` dropped) and every ``run:`` line of a ```yaml block that calls ganmetrics is run,
  in document order, in a sandbox folder that holds the names the docs use (real/, fake/,
  real.npz, samples/..., runs/..., sweep.csv, a.npy, mypkg/, ...; tiny 32x32 images; the random
  Inception weights of tests/helpers.py through GANMETRICS_INCEPTION_WEIGHTS). Each document gets
  its own copy, from which the outputs it writes itself are removed first. A command passes when it
  exits 0, or with the exit code the document states (the gate: 0 pass, 1 fail; 2 is never
  accepted, and gate.xml must be written).
* the first ```toml block is the gate configuration of the command beside it: written to the sandbox
  as ganmetrics.toml and run by that command; later blocks (variants, e.g. several feature spaces
  whose weights are not here) are validated by the gate's own config check.
* every inline `ganmetrics ...` span is parsed by the real click command (options, choices and
  required arguments checked, nothing run), except the spans in INLINE_NOT_COMMANDS.

Only sizes are shrunk, by the SHRINK table below. Lines that cannot run here are in CANNOT_RUN,
each with its reason. The documents are one test case each: `pytest -k README`.
"""
from __future__ import annotations

import glob
import os
import re
import tomllib
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ganmetrics.report.gate import validate_config
import torch

from helpers import smooth_images, write_folder, write_random_weights

ROOT = Path(__file__).parents[1]
DOCS = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))

# (pattern, replacement) applied in order to each command line: sizes only.
SHRINK = [
    (r"--n \d+", "--n 12"),                                      # images sampled / made: 10000, 5000, 200 -> 12
    (r"(^ganmetrics train .*)--steps \d+", r"\1--steps 2"),      # generator updates: 5000, 20000 -> 2
    (r"^(ganmetrics train (?!.*--resume).*)$", r"\1 --steps 2 --eval-every 1 --eval-samples 10"),
    (r"^(ganmetrics train .*--resume.*)$", r"\1 --steps 3"),      # resume continues to a larger --steps
    (r"^(ganmetrics (eval|is|kid|prdc|budget) .*--ci [0-9.]+.*)$", r"\1 --n-boot 10"),  # bootstrap 100 -> 10 (P/R/D/C need 10)
    (r"^(ganmetrics compare .*)$", r"\1 --n-boot 10"),            # compare always bootstraps: 100 -> 10
    (r"^(ganmetrics (wasserstein|reproduce critic-vs-discriminator) .*)$", r"\1 --steps 5"),  # critic steps 3000
    (r"^(ganmetrics reproduce distances .*)$", r"\1 --points 5 --steps 5"),  # theta grid 21 -> 5, critic steps 2000 -> 5
    (r"--ref shapes32:test", "--ref real/"),                      # the 2,000-image bundled split -> 12 images
    (r"^(ganmetrics eval (?=.*(fid_inf|is_inf)).*?) fake/", r"\1 fake40/"),  # FID_inf/IS_inf: >= 20 (40 with --ci)
]
# A later --steps wins over an earlier one in click, so the appended sizes above take effect.
TOML_SHRINK = [(r"min_n = \d+", "min_n = 10"), (r"n_boot = \d+", "n_boot = 10")]


def gate_config(text: str) -> str:
    for pattern, replacement in TOML_SHRINK:
        text = re.sub(pattern, replacement, text)
    return text

# Lines that are shown but cannot run in a unit test on a CPU without network, with the reason.
CANNOT_RUN = {
    r"^pip install": "installs the package (the session already has it; tests/test_packaging.py builds and "
                     "installs the wheel in a fresh virtual environment)",
    r"^pytest": "the test suite itself",
    r"^python3? -m pytest": "the test suite itself",
    r"^python3? -m venv|^\. |^source ": "virtual-environment set-up (shell state; the session already runs in one)",
    r"^torchrun ": "several processes over GPUs or nodes (tests/test_distributed.py runs stats/fid under torchrun "
                   "--nproc_per_node 2 on the CPU)",
    r"--ref cifar10-train|refs fetch cifar10": "downloads CIFAR-10's reference statistics (no network in tests)",
    r"cifar10:train": "reads a torchvision CIFAR-10 copy from ~/data (170 MB download; tests/test_sources.py "
                      "covers named datasets on a stand-in)",
    r"^python3? benchmarks/(?!make_images)": "a benchmark: a long measurement whose output docs/benchmarks.md "
                                              "and docs/training.md quote",
    r"^python3? sample\.py": "the user's own generator script in the CI example",
    r"--features [^ ]*(dinov2|clip)": "needs the official DINOv2 / CLIP weights (hundreds of MB, no network here); "
                                      "tests/features/test_vit.py runs the same paths on random weights in the "
                                      "official file formats",
}

# Inline spans that name a command or an option rather than show one to run.
INLINE_NOT_COMMANDS = {
    "ganmetrics ...", "python3 -m ganmetrics ...",
    "ganmetrics sample --generator", "ganmetrics sample --checkpoint",   # name the option
    "ganmetrics eval real/ fake/ --metrics fid,mean_gap",           # needs docs/architecture.md's registration;
                                                                    # tests/test_docs.py runs that block
}


def _strip_comment(line: str) -> str:
    return re.sub(r"\s+#.*$", "", line).strip() if not line.lstrip().startswith("#") else ""


def doc_commands(path: Path) -> list[str]:
    """The shell commands of a document's ```bash blocks and ```yaml `run:` lines, in order."""
    text = path.read_text()
    commands = []
    for lang, body in re.findall(r"```(\w*)\n(.*?)```", text, flags=re.S):
        if lang == "bash":
            lines = body.replace("\\\n", " ").splitlines()
        elif lang == "yaml":
            lines = [m for m in re.findall(r"^\s*- run: (.*)$", body, flags=re.M)]
        else:
            continue
        for line in lines:
            line = _strip_comment(line)
            commands += [part.strip() for part in line.split("&&") if part.strip()]
    return commands


def doc_configs(path: Path) -> list[str]:
    return re.findall(r"```toml\n(.*?)```", path.read_text(), flags=re.S)


def inline_commands(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S).replace("\n", " ")
    spans = re.findall(r"`((?:python3? -m )?ganmetrics [^`]*)`", text)
    spans = [" ".join(s.split()) for s in spans]
    return [s for s in spans if len(s.split()) > 2 or s.split()[1].startswith("-")]


def shrink(command: str) -> str:
    for pattern, replacement in SHRINK:
        command = re.sub(pattern, replacement, command)
    return command


def reason_not_run(command: str) -> str | None:
    return next((why for pattern, why in CANNOT_RUN.items() if re.search(pattern, command)), None)


def test_every_shown_command_is_run_or_listed():
    """The extraction finds the docs' commands, and everything it skips is listed with a reason."""
    all_commands = [c for doc in DOCS for c in doc_commands(doc)]
    assert len(all_commands) > 40
    run_here = [c for c in all_commands if reason_not_run(c) is None]
    for c in run_here:
        assert re.match(r"(python3? -m )?ganmetrics |python3? benchmarks/make_images\.py ", c), c
    assert any("gate --config ganmetrics.toml" in c for c in run_here)
    assert shrink("ganmetrics sample --checkpoint c.pt --n 10000 -o s/") == "ganmetrics sample --checkpoint c.pt --n 12 -o s/"
    assert "--steps 2 --eval-every 1" in shrink("ganmetrics train --algo gan --data lines --steps 5000 --out r")


# ---------------------------------------------------------------------------------------------
# the sandbox

# the `mypkg.models:make_generator` of docs/cli.md and docs/compare.md: z (N x 8) -> N x 3 x 32 x 32
MYPKG = '''import torch


def make_generator(z_dim: int = 8):
    g = torch.nn.Sequential(torch.nn.Linear(z_dim, 3 * 32 * 32), torch.nn.Tanh(), torch.nn.Unflatten(1, (3, 32, 32)))
    g.z_dim = z_dim
    return g
'''


def _cli(*args) -> None:
    from helpers import run
    r = run(*args)
    assert r.exit_code == 0, r.output


@pytest.fixture(scope="module")
def base_sandbox(tmp_path_factory):
    """The inputs the docs name, made once; each document runs in a copy."""
    root = tmp_path_factory.mktemp("docs-sandbox")
    weights = write_random_weights(tmp_path_factory.mktemp("w") / "pt_inception-random.pth")
    env = {"GANMETRICS_INCEPTION_WEIGHTS": str(weights), "GANMETRICS_CACHE": str(root.parent / "cache")}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    cwd = os.getcwd()
    os.chdir(root)
    try:
        write_folder(root / "real", smooth_images(12, seed=1))
        write_folder(root / "fake", smooth_images(12, seed=2, shift=0.1))
        write_folder(root / "fake40", smooth_images(40, seed=5, shift=0.1))
        write_folder(root / "reference" / "real", smooth_images(12, seed=3))
        write_folder(root / "samples" / "000500", smooth_images(12, seed=4, shift=0.05))
        _cli("stats", "real/", "-o", "real.npz")
        _cli("stats", "reference/real/", "-o", "reference/real.npz")
        from helpers import run
        r = run("eval", "reference/real/", "samples/", "--metrics", "fid,kid,prdc", "--json")
        assert r.exit_code == 0, r.output
        (root / "baseline.json").write_text(r.stdout)
        rng = np.random.default_rng(0)
        np.save(root / "a.npy", rng.normal(size=(30, 2)))
        np.save(root / "b.npy", rng.normal(1.0, size=(30, 2)))
        lines = ["model,name,fid"] + [f"{m},{m}-{i},{rng.uniform(20, 40):.1f}" for m in ("dcgan", "wgan") for i in range(5)]
        (root / "sweep.csv").write_text("\n".join(lines) + "\n")
        # the README's gate line runs the configuration docs/gate.md shows
        (root / "ganmetrics.toml").write_text(gate_config(doc_configs(ROOT / "docs" / "gate.md")[0]))
        (root / "mypkg").mkdir()
        (root / "mypkg" / "__init__.py").write_text("")
        (root / "mypkg" / "models.py").write_text(MYPKG)
        exec(MYPKG, namespace := {})
        state = namespace["make_generator"]().state_dict()
        for name in ("ckpt.pt", "ckpt_010000.pt"):
            torch.save({"generator": state}, root / name)
        toy = ["--steps", "2", "--eval-every", "1", "--eval-samples", "10"]
        _cli("train", "--algo", "wgan-gp", "--data", "8gaussians", "--out", "runs/wgangp-8g", *toy)
        _cli("train", "--algo", "nsgan", "--data", "8gaussians", "--out", "runs/nsgan-8g", *toy)
        _cli("train", "--algo", "wgan", "--data", "shapes32", "--arch", "dcgan", "--out", "runs/wgan-shapes", *toy)
        last = sorted((root / "runs" / "wgan-shapes").glob("ckpt_*.pt"))[-1]
        shutil.copy(last, last.with_name("ckpt_0020000.pt"))   # the name the README's 20,000-step run has
    finally:
        os.chdir(cwd)
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    return root, env


def _outputs_of(command: str) -> list[str]:
    """Folders/files a command creates that must not exist before it runs (train --out, sample -o)."""
    if re.match(r"ganmetrics train ", command) and "--resume" not in command:
        return re.findall(r"--out (\S+)", command)
    if re.match(r"ganmetrics sample ", command):
        return re.findall(r"-o (\S+)", command)
    return []


def _argv(command: str, cwd: Path) -> list[str]:
    """Shell words with ~ and globs expanded as bash would (relative to cwd); redirections dropped."""
    words = []
    for word in shlex.split(re.sub(r"\s*2>/dev/null", "", command)):
        word = os.path.expanduser(word)
        matches = sorted(glob.glob(word, root_dir=cwd)) if any(ch in word for ch in "*?[") else []
        words += matches or [word]
    return words


def _run_line(command: str, cwd: Path, monkeypatch) -> tuple[int, str]:
    """Run one line; a trailing `> file` / `>> file` writes / appends its stdout as the shell would."""
    from helpers import run
    redirect = re.search(r"\s+(>>?)\s*(\S+)$", command)
    if redirect:
        command = command[:redirect.start()]
    argv = _argv(command, cwd)
    if argv[0].startswith("python"):
        if argv[1:3] == ["-m", "ganmetrics"]:
            argv = ["ganmetrics"] + argv[3:]
        else:   # a script of the repository (benchmarks/make_images.py), run as the docs say
            p = subprocess.run([sys.executable, str(ROOT / argv[1]), *argv[2:]], cwd=cwd, capture_output=True,
                               text=True, timeout=600)
            return p.returncode, p.stdout + p.stderr
    assert argv[0] == "ganmetrics", command
    monkeypatch.syspath_prepend(str(cwd))   # --generator mypkg.models:...: the working directory is on the path
    r = run(*argv[1:])
    if redirect:
        with open(cwd / redirect.group(2), "a" if redirect.group(1) == ">>" else "w") as f:
            f.write(r.stdout)
    return r.exit_code, r.output


def _expected_exit(command: str) -> set[int]:
    return {0, 1} if re.match(r"ganmetrics gate ", command) else {0}


@pytest.mark.slow
@pytest.mark.parametrize("doc", [d for d in DOCS if doc_commands(d) or doc_configs(d)], ids=lambda d: d.name)
def test_doc_commands_run(doc, base_sandbox, tmp_path, monkeypatch):
    base, env = base_sandbox
    sandbox = tmp_path / "sandbox"
    shutil.copytree(base, sandbox)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.chdir(sandbox)
    configs = doc_configs(doc)
    if configs:  # the first block is the configuration the doc's gate commands run
        (sandbox / "ganmetrics.toml").write_text(gate_config(configs[0]))
    for config in configs[1:]:  # later blocks (variants such as several feature spaces) must at least validate
        validate_config(tomllib.loads(gate_config(config)), sandbox / "variant.toml")
    commands = [c for c in doc_commands(doc) if reason_not_run(c) is None]
    for c in commands:
        for out in _outputs_of(c):
            shutil.rmtree(sandbox / out, ignore_errors=True)
    failures = []
    for command in commands:
        code, output = _run_line(shrink(command), sandbox, monkeypatch)
        if code not in _expected_exit(command):
            failures.append(f"{doc.name}: `{command}` -> exit {code}\n{output[-1500:]}")
        elif "gate" in command and "--junit" in command:
            junit = re.search(r"--junit (\S+)", command).group(1)
            if not (sandbox / junit).is_file():
                failures.append(f"{doc.name}: `{command}` wrote no {junit}")
    if (sandbox / "results.csv").exists():   # docs/cli.md appends eval rows: one CSV of numbers
        import pandas as pd
        table = pd.read_csv(sandbox / "results.csv")
        if not (len(table) >= 2 and pd.api.types.is_numeric_dtype(table["fid"])):
            failures.append(f"{doc.name}: results.csv does not read back as rows of numbers:\n{table}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("doc", [d for d in DOCS if inline_commands(d)], ids=lambda d: d.name)
def test_inline_commands_parse(doc):
    """Inline `ganmetrics ...` spans name real commands, options and choices (parsed, not run)."""
    import click
    from ganmetrics.cli import main
    failures = []
    for span in inline_commands(doc):
        if span in INLINE_NOT_COMMANDS or reason_not_run(span):
            continue
        words = shlex.split(span)
        words = words[3:] if words[0].startswith("python") else words[1:]
        try:
            if words[0].startswith("-"):
                continue   # --help / --version: top-level flags, run by the suite's CLI tests
            ctx = click.Context(main, info_name="ganmetrics")
            cmd, name = main, "ganmetrics"
            while isinstance(cmd, click.Group):
                name, words = words[0], words[1:]
                sub = cmd.get_command(ctx, name)
                if sub is None:
                    raise click.UsageError(f"no such command {name!r}")
                ctx = click.Context(sub, info_name=name, parent=ctx)
                cmd = sub
            cmd.make_context(name, list(words), parent=ctx.parent)
        except click.exceptions.Exit:
            pass       # `... --help`: parsed, and click stops there as it should
        except click.ClickException as e:
            failures.append(f"{doc.name}: `{span}`: {e.format_message()}")
    assert not failures, "\n".join(failures)


def test_output_folders_are_created(tmp_path):
    """`-o samples/0000200/` and friends: missing parents are made; a file in the way is one error."""
    from ganmetrics.errors import InputError
    from ganmetrics.io import atomic_write, check_writable
    check_writable(tmp_path / "a" / "b" / "out.npz")
    assert (tmp_path / "a" / "b").is_dir()
    with atomic_write(tmp_path / "c" / "d" / "x.txt", "w") as f:
        f.write("ok")
    assert (tmp_path / "c" / "d" / "x.txt").read_text() == "ok"
    (tmp_path / "file").write_text("")
    with pytest.raises(InputError, match="cannot create the output folder"):
        check_writable(tmp_path / "file" / "sub" / "out.npz")
