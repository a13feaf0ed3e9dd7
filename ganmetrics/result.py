"""One result type for every metric: the value, its spread or interval, the sample counts and
what produced it. The API returns it; the CLI formats it."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

@dataclass
class Result:
    metric: str
    value: float
    n: dict[str, int] = field(default_factory=dict)          # samples per input, e.g. {"a": 50000, "b": 10000}
    std: float | None = None                                  # spread over splits / subsets, where defined
    interval: tuple[float, float] | None = None               # confidence interval, where requested
    metadata: dict = field(default_factory=dict)              # extractor, weights hash, resize, seed, version

    def __float__(self) -> float:
        return float(self.value)

    def to_dict(self) -> dict:
        d = asdict(self)
        if d["interval"] is not None:
            d["interval"] = list(d["interval"])
        return d
