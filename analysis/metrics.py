"""Pure functions from loaded data to figures. No I/O, no plotting.

Conventions (also in analysis/README.md):
- A request is *successful* when the load generator marked it ok AND its status
  is 2xx. Redirects (3xx), 4xx, 5xx and transport errors (status 0) are
  failures. Every latency figure uses successful requests only.
- Percentiles: numpy.percentile with method="linear" (the default; type 7 of
  Hyndman & Fan: rank h = (n-1)p, interpolated between neighbours).
- EWMA: e_1 = x_1, e_i = alpha*x_i + (1-alpha)*e_{i-1}, over successful
  requests' latencies in request-start order (stable: ties keep file order).
- Empty inputs give None (serialised as null), never NaN or an exception.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter

import numpy as np

from .loaders import Requests, Sample

PERCENTILES = (50, 90, 95, 99)
STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx", "transport", "other")


def _f(x) -> float | None:
    """numpy scalar -> float, NaN/inf -> None."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def successful(req: Requests) -> np.ndarray:
    """Mask of successful requests: ok flag set and a 2xx status."""
    return req.ok & (req.status >= 200) & (req.status < 300)


def latency_stats(latencies_ms) -> dict:
    """p50/p90/p95/p99 (linear interpolation), mean and max of the given
    latencies (pass successful requests' only). All None when empty."""
    x = np.asarray(latencies_ms, dtype=np.float64)
    keys = [f"p{p}Ms" for p in PERCENTILES] + ["meanMs", "maxMs"]
    if x.size == 0:
        return dict.fromkeys(keys)
    ps = np.percentile(x, PERCENTILES, method="linear")
    out = {f"p{p}Ms": _f(v) for p, v in zip(PERCENTILES, ps)}
    out["meanMs"] = _f(x.mean())
    out["maxMs"] = _f(x.max())
    return out


def ewma(values, alpha: float = 0.1) -> np.ndarray:
    """Exponentially weighted moving average; the first value seeds it."""
    if not 0.0 < alpha <= 1.0:
        raise ValueError(f"alpha must be in (0, 1], got {alpha}")
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        return np.empty(0)
    keep = 1.0 - alpha
    return np.fromiter(
        itertools.accumulate(x.tolist(), lambda e, v: alpha * v + keep * e),
        dtype=np.float64,
        count=x.size,
    )


def ewma_series(req: Requests, alpha: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """(start time in s, EWMA in ms) at each successful request, in start order."""
    ok = successful(req)
    start = req.start_ms[ok]
    order = np.argsort(start, kind="stable")
    return start[order] / 1000.0, ewma(req.latency_ms[ok][order], alpha)


def throughput(req: Requests) -> dict:
    """Active duration = first start .. last completion (start + latency) over all
    requests. okPerS = successful / active duration. arrivalRatePerS = (n-1) /
    (last start - first start), the mean rate of arrivals (None for n < 2)."""
    n = len(req)
    if n == 0:
        return {"activeDurationS": None, "okPerS": None, "arrivalRatePerS": None}
    first = req.start_ms.min()
    duration_s = (np.max(req.start_ms + req.latency_ms) - first) / 1000.0
    span_s = (req.start_ms.max() - first) / 1000.0
    n_ok = int(successful(req).sum())
    return {
        "activeDurationS": _f(duration_s),
        "okPerS": _f(n_ok / duration_s) if duration_s > 0 else None,
        "arrivalRatePerS": _f((n - 1) / span_s) if n >= 2 and span_s > 0 else None,
    }


def status_class(status: np.ndarray) -> np.ndarray:
    """Status class label per request."""
    s = np.asarray(status)
    out = np.full(s.shape, "other", dtype=object)
    out[s == 0] = "transport"
    for c in (2, 3, 4, 5):
        out[(s >= c * 100) & (s < c * 100 + 100)] = f"{c}xx"
    return out


def error_stats(req: Requests) -> dict:
    """Counts, error rate = failed / total (0 when there are none), and counts
    by status class (transport = status 0; other = 1xx or out of range)."""
    total = len(req)
    n_ok = int(successful(req).sum())
    failed = total - n_ok
    counts = Counter(status_class(req.status).tolist())
    return {
        "requests": total,
        "ok": n_ok,
        "failed": failed,
        "errorRate": failed / total if total else 0.0,
        "statusClasses": {c: int(counts.get(c, 0)) for c in STATUS_CLASSES},
    }


def top_errors(req: Requests, limit: int = 5) -> list[dict]:
    """Most frequent failure descriptions (error text, else 'HTTP <status>')."""
    fail = ~successful(req)
    labels = [(e.strip() or f"HTTP {s}") for e, s, f in zip(req.error, req.status.tolist(), fail.tolist()) if f]
    return [{"error": e, "count": c} for e, c in Counter(labels).most_common(limit)]


def per_second(req: Requests, alpha: float = 0.1) -> dict[str, np.ndarray]:
    """Series bucketed by start second (floor(start_ms / 1000)), every second
    from 0 (or the earliest bucket, if negative) to the last, empty seconds
    included. requests/ok/failed: counts of requests *started* in the second;
    p95Ms: of the successful ones (NaN when none); ewmaMs: the per-request EWMA
    after the last successful request started in or before that second (it
    carries over seconds without one; NaN before the first)."""
    if len(req) == 0:
        return {k: np.empty(0) for k in ("t_s", "requests", "ok", "failed", "p95Ms", "ewmaMs")}
    bucket = np.floor(req.start_ms / 1000.0).astype(np.int64)
    lo = min(0, int(bucket.min()))
    nb = int(bucket.max()) - lo + 1
    idx = bucket - lo
    ok = successful(req)
    n_req = np.bincount(idx, minlength=nb)
    n_ok = np.bincount(idx[ok], minlength=nb)

    p95 = np.full(nb, np.nan)
    ok_idx = idx[ok]
    ok_lat = req.latency_ms[ok]
    if ok_idx.size:
        order = np.argsort(ok_idx, kind="stable")
        sidx, slat = ok_idx[order], ok_lat[order]
        cuts = np.flatnonzero(np.diff(sidx)) + 1
        for b, group in zip(sidx[np.r_[0, cuts]], np.split(slat, cuts)):
            p95[b] = np.percentile(group, 95, method="linear")

    t_ok, e = ewma_series(req, alpha)
    ewma_b = np.full(nb, np.nan)
    if e.size:
        ok_buckets = np.floor(t_ok).astype(np.int64) - lo  # sorted (start order)
        last = np.searchsorted(ok_buckets, np.arange(nb), side="right") - 1
        have = last >= 0
        ewma_b[have] = e[last[have]]

    return {
        "t_s": np.arange(lo, lo + nb, dtype=np.float64),
        "requests": n_req.astype(np.float64),
        "ok": n_ok.astype(np.float64),
        "failed": (n_req - n_ok).astype(np.float64),
        "p95Ms": p95,
        "ewmaMs": ewma_b,
    }


def sample_series(samples: list[Sample], kind: str, field: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{name: (t_s, values)} for one kind/field, sorted by time."""
    grouped: dict[str, list[tuple[float, float]]] = {}
    for s in samples:
        if s.kind == kind and s.field == field:
            grouped.setdefault(s.name, []).append((s.t_s, s.value))
    out = {}
    for name in sorted(grouped):
        pts = sorted(grouped[name], key=lambda p: p[0])
        out[name] = (np.array([p[0] for p in pts]), np.array([p[1] for p in pts]))
    return out


def time_weighted_mean(t: np.ndarray, v: np.ndarray) -> float | None:
    """Mean of a step function (each value holds until the next sample) over
    [first sample, last sample]; the plain value for a single sample."""
    if v.size == 0:
        return None
    if v.size == 1 or t[-1] <= t[0]:
        return _f(v.mean())
    return _f(np.sum(v[:-1] * np.diff(t)) / (t[-1] - t[0]))


def step_stats(series: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, dict]:
    """min/max/final/time-weighted mean per name."""
    return {
        name: {
            "min": _f(v.min()),
            "max": _f(v.max()),
            "final": _f(v[-1]),
            "mean": time_weighted_mean(t, v),
        }
        for name, (t, v) in series.items()
        if v.size
    }


def client_max(samples: list[Sample], field: str) -> float | None:
    vals = [s.value for s in samples if s.kind == "client" and s.field == field]
    return max(vals) if vals else None


def mean_figures(figures: list[dict]) -> dict:
    """Element-wise mean of (nested) dicts of numbers. Each leaf is the mean of
    the values present and not None; None when no input has it."""
    keys: list[str] = []
    for f in figures:
        for k in f:
            if k not in keys:
                keys.append(k)
    out = {}
    for k in keys:
        vals = [f.get(k) for f in figures]
        present = [v for v in vals if v is not None]
        if present and all(isinstance(v, dict) for v in present):
            out[k] = mean_figures(present)
        else:
            nums = [float(v) for v in present if isinstance(v, (int, float)) and not isinstance(v, bool)]
            nums = [v for v in nums if math.isfinite(v)]
            out[k] = sum(nums) / len(nums) if nums else None
    return out


def mean_series(
    series: list[dict[str, np.ndarray]], keys=("requests", "ok", "failed", "p95Ms", "ewmaMs")
) -> dict[str, np.ndarray]:
    """Per-second mean across trials, aligned on t_s; at each second the mean of
    the trials that have a (non-NaN) value there."""
    series = [s for s in series if s["t_s"].size]
    if not series:
        return {k: np.empty(0) for k in ("t_s", *keys)}
    lo = int(min(s["t_s"][0] for s in series))
    hi = int(max(s["t_s"][-1] for s in series))
    n = hi - lo + 1
    out = {"t_s": np.arange(lo, hi + 1, dtype=np.float64)}
    for k in keys:
        total = np.zeros(n)
        count = np.zeros(n)
        for s in series:
            off = int(s["t_s"][0]) - lo
            v = s[k]
            have = ~np.isnan(v)
            total[off : off + v.size][have] += v[have]
            count[off : off + v.size][have] += 1
        with np.errstate(invalid="ignore", divide="ignore"):
            out[k] = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return out
