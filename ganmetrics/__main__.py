"""``python -m ganmetrics`` = the ``ganmetrics`` console script (torchrun needs the module form)."""
from ganmetrics.cli import main

if __name__ == "__main__":
    main(prog_name="ganmetrics")
