"""Closed-form divergences for the WGAN paper's examples (Arjovsky, Chintala, Bottou 2017, §2).

Parallel lines: P0 = (0, Z), Pθ = (θ, Z) with Z ~ U[0, 1] (Example 1):

    W(P0, Pθ) = |θ|,  JS = log 2 (θ ≠ 0) else 0,  KL = +∞ (θ ≠ 0) else 0,  TV = 1 (θ ≠ 0) else 0.

Two 1-D Gaussians: KL in closed form; TV and JS by quadrature of the densities; W1 by quadrature
of |F⁻¹ - G⁻¹| (the 1-D quantile formula), which for equal variances is |μ1 - μ2|.
"""
from __future__ import annotations

import math

from scipy import integrate, stats


def parallel_lines(theta: float) -> dict[str, float]:
    """Analytic TV, KL, JS and W between P0 and Pθ (natural logarithms)."""
    if theta == 0:
        return {"tv": 0.0, "kl": 0.0, "js": 0.0, "w": 0.0}
    return {"tv": 1.0, "kl": math.inf, "js": math.log(2), "w": abs(theta)}


def gaussians_1d(mu1: float, s1: float, mu2: float, s2: float) -> dict[str, float]:
    """TV, KL(P||Q), JS and W1 between N(mu1, s1²) and N(mu2, s2²)."""
    p, q = stats.norm(mu1, s1), stats.norm(mu2, s2)
    lo = min(mu1 - 12 * s1, mu2 - 12 * s2)
    hi = max(mu1 + 12 * s1, mu2 + 12 * s2)
    kl = math.log(s2 / s1) + (s1 ** 2 + (mu1 - mu2) ** 2) / (2 * s2 ** 2) - 0.5
    tv = 0.5 * integrate.quad(lambda t: abs(p.pdf(t) - q.pdf(t)), lo, hi, limit=200)[0]

    def js_term(t):
        a, b = p.pdf(t), q.pdf(t)
        m = 0.5 * (a + b)
        return 0.5 * ((a * math.log(a / m) if a > 0 else 0.0) + (b * math.log(b / m) if b > 0 else 0.0))
    js = integrate.quad(js_term, lo, hi, limit=200)[0]
    w = integrate.quad(lambda u: abs(p.ppf(u) - q.ppf(u)), 0, 1, limit=200)[0]
    return {"tv": tv, "kl": kl, "js": js, "w": w}


__all__ = ["parallel_lines", "gaussians_1d"]
