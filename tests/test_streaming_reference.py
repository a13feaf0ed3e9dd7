"""StreamingMetric with a fixed reference (statistics or images) for the metrics that accept
statistics: equal to evaluate on the same features; refused for the others."""
import numpy as np
import pytest

import ganmetrics
from ganmetrics.errors import InputError

from helpers import smooth_images

TINY = '''
from helpers import tiny_extractor

def make(weights=None, device="cpu"):
    return tiny_extractor("tiny-net", device)
'''


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    (tmp_path / "tinynet3.py").write_text(TINY)
    monkeypatch.syspath_prepend(str(tmp_path))
    return dict(features="tinynet3:make", device="cpu")


def test_streaming_fid_inf_with_a_fixed_reference_equals_evaluate(tiny):
    real, fake = smooth_images(40, size=16, seed=1), smooth_images(40, size=16, seed=3, shift=0.2)
    expected = ganmetrics.evaluate(real, fake, ["fid_inf"], workers=0, **tiny)[0].value
    loop = ganmetrics.StreamingMetric("fid_inf", reference=real, **tiny)
    with pytest.raises(InputError, match="needs generated images"):
        loop.compute()
    loop.update(fake[:25])
    loop.update(fake[25:])
    result = loop.compute()
    assert result.value == pytest.approx(expected, rel=1e-8) and result.n["a"] == 40
    with pytest.raises(InputError, match="fixed reference"):
        loop.update(real, real=True)
    with pytest.raises(InputError, match="a fixed reference is supported for fid"):
        ganmetrics.StreamingMetric("kid", reference=real, **tiny)
    assert np.isfinite(result.value)
