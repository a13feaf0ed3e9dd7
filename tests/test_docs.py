"""The worked examples of docs/architecture.md run as written (so the docs cannot drift)."""
import re
from pathlib import Path

import pytest

from ganmetrics.features import registry as extractors
from ganmetrics.metrics import registry as metrics

DOC = Path(__file__).parents[1] / "docs" / "architecture.md"


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


def test_architecture_examples_run(capsys):
    blocks = python_blocks(DOC)
    assert len(blocks) == 2
    try:
        namespace: dict = {}
        exec(compile(blocks[0], f"{DOC}:metric", "exec"), namespace)
        assert "mean_gap" in metrics.metric_names()
        exec(compile(blocks[1], f"{DOC}:network", "exec"), namespace)
        fid_value = float(capsys.readouterr().out.strip())
        assert fid_value > 0
        import ganmetrics
        import torch
        real = (torch.rand(40, 3, 32, 32, generator=torch.Generator().manual_seed(1)) * 255).to(torch.uint8)
        gap = ganmetrics.evaluate(real, real, ["mean_gap"], features="tiny-net", device="cpu")[0]
        assert gap.value == pytest.approx(0.0, abs=1e-9) and gap.metadata["extractor"] == "tiny-net"
    finally:
        metrics._SPECS.pop("mean_gap", None)
        extractors._FACTORIES.pop("tiny-net", None)
