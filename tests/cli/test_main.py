"""The command group: explicit registration, a command list that matches the commands, usage
errors in one line, and a start-up that does not import torch."""
import subprocess
import sys

import click

from ganmetrics.cli import main
from ganmetrics.cli.main import COMMANDS

from helpers import run


def first_paragraph(cmd: click.Command) -> str:
    return " ".join((cmd.help or "").split("\n\n")[0].split())


def test_every_listed_help_line_is_the_commands_own():
    ctx = click.Context(main)
    for name, (_, line) in COMMANDS.items():
        cmd = main.get_command(ctx, name)
        assert cmd is not None, name
        assert first_paragraph(cmd).startswith(line.rstrip("…")), (name, line, first_paragraph(cmd))


def test_help_and_version_do_not_import_torch():
    code = ("import sys; from ganmetrics.cli import main\n"
            "for args in (['--help'], ['--version']):\n"
            "    try:\n        main.main(args, prog_name='ganmetrics')\n    except SystemExit:\n        pass\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "False"


def test_no_commands_help_imports_torch():
    """Every command's and subcommand's `--help` answers in a fraction of a second (torch takes
    about 2 s to import): option choices come from ganmetrics.config, the work's imports are in
    the command bodies."""
    commands = [[name] for name in COMMANDS] + [["reproduce", "distances"], ["reproduce", "critic-vs-discriminator"],
                                                ["refs", "list"], ["refs", "fetch"]]
    code = ("import sys; from ganmetrics.cli import main\n"
            f"for args in {commands!r}:\n"
            "    try:\n        main.main([*args, '--help'], prog_name='ganmetrics')\n    except SystemExit:\n        pass\n"
            "    print('torch' in sys.modules, args)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    for words in ("Fréchet Inception Distance", "Kernel Inception Distance", "--algo [gan|nsgan|wgan|wgan-gp]",
                  "--method [critic-gp|critic-clip|exact|sliced]", "--output-range [-1,1|0,1|0,255]"):
        assert words in out, words    # the helps were printed, with their choices
    flags = [line for line in out.splitlines() if line.startswith(("True [", "False ["))]
    assert len(flags) == len(commands) and all(line.startswith("False") for line in flags), flags


def test_the_choices_offered_are_the_implementations():
    """The CLI offers the names in ganmetrics.config; the tables that implement them match."""
    from ganmetrics import config, generators, transport
    from ganmetrics.inputs import sources
    from ganmetrics.train import data
    from ganmetrics.train.algorithms import ALGORITHMS, PRESETS
    assert tuple(ALGORITHMS) == config.TRAIN_ALGORITHMS and tuple(PRESETS) == config.TRAIN_PRESETS
    assert transport.METHODS == config.W1_METHODS and sources.OUTPUT_RANGES is config.OUTPUT_RANGES
    assert generators.STATE_DICT_KEYS == config.STATE_DICT_KEYS and data.TOYS == config.TOYS
    import torch
    for toy in config.TOYS:
        assert tuple(data.sample_toy(toy, 4, torch.Generator().manual_seed(0)).shape) == (4, 2), toy


def test_usage_errors_are_one_line_with_exit_code_2():
    for args in (["fid"], ["fid", "a", "b", "--no-such-option"], ["nosuchcommand"], ["eval", "a", "b", "--ci", "2"]):
        r = run(*args)
        assert r.exit_code == 2, (args, r.output)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and "Usage:" not in r.stderr, (args, r.stderr)


def test_train_options_are_validated_before_any_work(tmp_path):
    for flag, value, fragment in [("--lr", "nan", "finite"), ("--lr", "-0.001", "not in"), ("--beta1", "1.5", "not in"),
                                  ("--gp-lambda", "inf", "finite"), ("--clip", "0", "not in")]:
        r = run("train", "--algo", "wgan-gp", "--data", "8gaussians", "--out", tmp_path / "run", flag, value)
        assert r.exit_code == 2 and fragment in r.stderr and flag in r.stderr, (flag, value, r.output)
        assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()
