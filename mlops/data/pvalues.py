"""p-values of the KS and chi-square tests without scipy (a dev-only dependency here).

Kolmogorov's limiting distribution (what scipy's `kstwobign.sf` computes) and the chi-square survival
function through the regularised upper incomplete gamma function (Numerical Recipes' series and continued
fraction); both agree with scipy to ~1e-12 (tested).
"""

from __future__ import annotations

import math


def kolmogorov_sf(x: float) -> float:
    """P(K > x) for Kolmogorov's distribution."""
    if x <= 0:
        return 1.0
    if x < 1.18:  # the theta-function form converges fast for small x
        y = math.exp(-(math.pi**2) / (8 * x * x))
        total = sum(y ** ((2 * k - 1) ** 2) for k in range(1, 8))
        return max(0.0, min(1.0, 1.0 - math.sqrt(2 * math.pi) / x * total))
    total = 0.0
    for k in range(1, 101):
        term = (-1) ** (k - 1) * math.exp(-2 * k * k * x * x)
        total += term
        if abs(term) < 1e-18:
            break
    return max(0.0, min(1.0, 2 * total))


def chi2_sf(stat: float, dof: int) -> float:
    """P(X > stat) for a chi-square variable with `dof` degrees of freedom."""
    if stat <= 0:
        return 1.0
    return _gammaq(dof / 2.0, stat / 2.0)


def _gammaq(a: float, x: float) -> float:
    if x < a + 1:
        return max(0.0, 1.0 - _gser(a, x))
    return _gcf(a, x)


def _gser(a: float, x: float) -> float:
    term = total = 1.0 / a
    ap = a
    for _ in range(10_000):
        ap += 1
        term *= x / ap
        total += term
        if abs(term) < abs(total) * 1e-16:
            break
    return total * math.exp(-x + a * math.log(x) - math.lgamma(a))


def _gcf(a: float, x: float) -> float:
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-16:
            break
    return math.exp(-x + a * math.log(x) - math.lgamma(a)) * h


def ks_pvalue(d: float, n: int, m: int) -> float:
    """Two-sample KS p-value for samples of n and m values, with Stephens' finite-sample correction
    (lambda = (en + 0.12 + 0.11/en) * D, en = sqrt(nm/(n+m))). Exact for continuous data; ties (discrete
    columns) only make it conservative."""
    if n <= 0 or m <= 0:
        return 1.0
    en = math.sqrt(n * m / (n + m))
    return kolmogorov_sf((en + 0.12 + 0.11 / en) * d)


def count_test(
    k_current: float, n_current: float, k_reference: float, n_reference: float, alternative: str = "two-sided"
) -> float:
    """p-value that a share (nulls, one category) is the same in both samples (`alternative`: two-sided, or
    greater: the batch's share is higher).

    Conditional on the total T = k_current + k_reference, k_current is Binomial(T, n_current / (n_current +
    n_reference)) under the null (the Poisson-conditional test). Its variance is at least the hypergeometric
    one of Fisher's exact test, so it is exact for rare events and conservative otherwise: it never pages more
    often than alpha, whatever the sizes."""
    total = k_current + k_reference
    if total <= 0 or n_current <= 0 or n_reference <= 0:
        return 1.0
    q = n_current / (n_current + n_reference)
    k = round(k_current)
    t = round(total)
    upper = binomial_sf(k, t, q)  # P(X >= k)
    if alternative == "greater":
        return upper
    lower = 1.0 - binomial_sf(k + 1, t, q)  # P(X <= k)
    return max(0.0, min(1.0, 2 * min(upper, lower)))


def binomial_sf(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), through the regularised incomplete beta function I_p(k, n-k+1)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    if p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    return _betai(float(k), float(n - k + 1), p)


def _betai(a: float, b: float, x: float) -> float:
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1) / (a + b + 2):
        return max(0.0, min(1.0, front * _betacf(a, b, x) / a))
    return max(0.0, min(1.0, 1.0 - front * _betacf(b, a, 1 - x) / b))


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz, as in Numerical Recipes)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1, a - 1
    c, d = 1.0, 1 - qab * x / qap
    d = 1 / (tiny if abs(d) < tiny else d)
    h = d
    for m in range(1, 100_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + aa * d
        d = 1 / (tiny if abs(d) < tiny else d)
        c = 1 + aa / c
        c = tiny if abs(c) < tiny else c
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + aa * d
        d = 1 / (tiny if abs(d) < tiny else d)
        c = 1 + aa / c
        c = tiny if abs(c) < tiny else c
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return h
