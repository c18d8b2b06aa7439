import math

import numpy as np
import pytest

from analysis import metrics as m
from analysis.loaders import Requests, Sample


def req(start, latency, status, ok=None, error=None):
    if ok is None:
        ok = [200 <= s < 300 for s in status]
    return Requests.from_columns(start, latency, status, ok, error)


# --- latency statistics -----------------------------------------------------


def test_percentiles_linear_interpolation_exact():
    s = m.latency_stats([50, 10, 40, 20, 30])
    # sorted 10..50, rank h = (n-1)p: p90 -> 3.6 -> 40 + 0.6*10
    assert s == {
        "p50Ms": 30.0,
        "p90Ms": 46.0,
        "p95Ms": 48.0,
        "p99Ms": pytest.approx(49.6, abs=1e-12),
        "meanMs": 30.0,
        "maxMs": 50.0,
    }


def test_latency_stats_empty_is_none():
    assert m.latency_stats([]) == dict.fromkeys(["p50Ms", "p90Ms", "p95Ms", "p99Ms", "meanMs", "maxMs"])


def test_failed_and_redirected_requests_are_excluded_from_latency():
    r = req(
        start=[0, 1, 2, 3, 4, 5, 6, 7],
        latency=[10, 20, 30, 40, 50, 9999, 1, 30000],
        status=[200, 200, 201, 204, 200, 500, 302, 0],
    )
    ok = m.successful(r)
    assert ok.tolist() == [True] * 5 + [False] * 3
    assert m.latency_stats(r.latency_ms[ok])["p99Ms"] == pytest.approx(49.6, abs=1e-12)
    assert m.latency_stats(r.latency_ms[ok])["maxMs"] == 50.0


def test_ok_flag_on_a_redirect_does_not_make_it_a_success():
    # the load generator should never do this, but a 3xx is a failure either way
    r = req(start=[0, 1], latency=[10, 1], status=[200, 302], ok=[True, True])
    assert m.successful(r).tolist() == [True, False]
    assert m.error_stats(r)["failed"] == 1


def test_ok_flag_zero_on_a_2xx_is_a_failure():
    r = req(start=[0, 1], latency=[10, 20], status=[200, 200], ok=[True, False])
    assert m.error_stats(r)["errorRate"] == 0.5
    assert m.latency_stats(r.latency_ms[m.successful(r)])["maxMs"] == 10.0


# --- EWMA -------------------------------------------------------------------


def test_ewma_first_value_seeds_it():
    assert m.ewma([10, 20, 30], alpha=0.5).tolist() == [10.0, 15.0, 22.5]
    assert m.ewma([100, 200]).tolist() == [100.0, 110.0]  # default alpha 0.1
    assert m.ewma([7.0], 0.3).tolist() == [7.0]
    assert m.ewma([], 0.3).size == 0


def test_ewma_alpha_one_is_identity_and_bad_alpha_rejected():
    assert m.ewma([3, 1, 2], 1.0).tolist() == [3.0, 1.0, 2.0]
    for bad in (0, -0.1, 1.5):
        with pytest.raises(ValueError):
            m.ewma([1], bad)


def test_ewma_series_is_in_start_order_over_successes_only():
    r = req(
        start=[2000, 0, 1000, 500, 1500],
        latency=[30, 10, 20, 9999, 5],
        status=[200, 200, 200, 503, 301],
    )
    t, e = m.ewma_series(r, alpha=0.5)
    assert t.tolist() == [0.0, 1.0, 2.0]
    assert e.tolist() == [10.0, 15.0, 22.5]


def test_ewma_series_ties_keep_file_order():
    r = req(start=[0, 0], latency=[10, 30], status=[200, 200])
    assert m.ewma_series(r, 0.5)[1].tolist() == [10.0, 20.0]


# --- throughput and errors ---------------------------------------------------


def test_throughput_over_active_duration():
    r = req(start=[0, 500, 1000, 1500], latency=[100, 100, 100, 500], status=[200, 302, 200, 200])
    # first start 0, last completion 1500 + 500 = 2000 ms; 3 successes
    assert m.throughput(r) == {"activeDurationS": 2.0, "okPerS": 1.5, "arrivalRatePerS": 2.0}


def test_throughput_window_starts_at_first_start_and_counts_failed_completions():
    r = req(start=[1000, 2000], latency=[100, 3000], status=[200, 0])
    # window 1000 .. 5000 ms (the failed request completes last)
    assert m.throughput(r) == {"activeDurationS": 4.0, "okPerS": 0.25, "arrivalRatePerS": 1.0}


def test_throughput_degenerate():
    assert m.throughput(req([], [], [])) == {"activeDurationS": None, "okPerS": None, "arrivalRatePerS": None}
    one = m.throughput(req([0], [250], [200]))
    assert one == {"activeDurationS": 0.25, "okPerS": 4.0, "arrivalRatePerS": None}


def test_error_rate_and_status_classes():
    r = req(
        start=range(8),
        latency=[1] * 8,
        status=[200, 201, 302, 404, 500, 0, 204, 101],
    )
    e = m.error_stats(r)
    assert e["requests"] == 8 and e["ok"] == 3 and e["failed"] == 5
    assert e["errorRate"] == 5 / 8
    assert e["statusClasses"] == {"2xx": 3, "3xx": 1, "4xx": 1, "5xx": 1, "transport": 1, "other": 1}


def test_error_rate_zero_without_requests():
    e = m.error_stats(req([], [], []))
    assert e["errorRate"] == 0.0 and e["requests"] == 0


def test_top_errors_use_text_then_status():
    r = req(start=range(5), latency=[1] * 5, status=[500, 500, 0, 302, 200], error=["", "", "timeout", "", ""])
    assert m.top_errors(r) == [
        {"error": "HTTP 500", "count": 2},
        {"error": "timeout", "count": 1},
        {"error": "HTTP 302", "count": 1},
    ]


# --- per-second series ---------------------------------------------------------


def test_per_second_buckets():
    r = req(start=[100, 900, 1500, 3200], latency=[10, 20, 30, 40], status=[200, 200, 500, 200])
    s = m.per_second(r, alpha=0.5)
    assert s["t_s"].tolist() == [0, 1, 2, 3]
    assert s["requests"].tolist() == [2, 1, 0, 1]
    assert s["ok"].tolist() == [2, 0, 0, 1]
    assert s["failed"].tolist() == [0, 1, 0, 0]
    np.testing.assert_array_equal(s["p95Ms"], [19.5, np.nan, np.nan, 40.0])
    # EWMA over successes 10, 20, 40 -> 10, 15, 27.5; value at the end of each second, carried over
    assert s["ewmaMs"].tolist() == [15.0, 15.0, 15.0, 27.5]


def test_per_second_ewma_is_nan_before_first_success():
    r = req(start=[0, 1200, 2100], latency=[5, 10, 30], status=[0, 200, 200])
    s = m.per_second(r, alpha=0.5)
    np.testing.assert_array_equal(s["ewmaMs"], [np.nan, 10.0, 20.0])
    np.testing.assert_array_equal(s["p95Ms"], [np.nan, 10.0, 30.0])


def test_per_second_empty():
    s = m.per_second(req([], [], []))
    assert all(v.size == 0 for v in s.values())


# --- samples -------------------------------------------------------------------


def test_replica_series_and_stats():
    samples = [
        Sample(30, "deployment", "django", "readyReplicas", 4),
        Sample(0, "deployment", "django", "readyReplicas", 2),
        Sample(10, "deployment", "django", "readyReplicas", 3),
        Sample(0, "deployment", "web", "readyReplicas", 1),
        Sample(0, "hpa", "django", "desiredReplicas", 5),
        Sample(0, "client", "loadgen", "cpuPercent", 35.2),
        Sample(5, "client", "loadgen", "cpuPercent", 71.5),
        Sample(5, "client", "loadgen", "memPercent", 12.1),
    ]
    series = m.sample_series(samples, "deployment", "readyReplicas")
    assert list(series) == ["django", "web"]
    t, v = series["django"]
    assert t.tolist() == [0, 10, 30] and v.tolist() == [2, 3, 4]
    stats = m.step_stats(series)
    # step function: 2 for 10 s, 3 for 20 s -> 80/30
    assert stats["django"] == {"min": 2.0, "max": 4.0, "final": 4.0, "mean": pytest.approx(80 / 30, abs=1e-12)}
    assert stats["web"] == {"min": 1.0, "max": 1.0, "final": 1.0, "mean": 1.0}
    assert m.client_max(samples, "cpuPercent") == 71.5
    assert m.client_max(samples, "memPercent") == 12.1
    assert m.client_max([], "cpuPercent") is None


# --- averaging ------------------------------------------------------------------


def test_mean_figures_nested_and_skips_none():
    a = {"p95Ms": 100.0, "ok": 10, "readyReplicas": {"django": {"max": 2}}, "x": None}
    b = {"p95Ms": 200.0, "ok": 20, "readyReplicas": {"django": {"max": 4}, "web": {"max": 1}}, "x": None}
    c = {"p95Ms": None, "ok": 30, "readyReplicas": {}}
    out = m.mean_figures([a, b, c])
    assert out == {
        "p95Ms": 150.0,
        "ok": 20.0,
        "readyReplicas": {"django": {"max": 3.0}, "web": {"max": 1.0}},
        "x": None,
    }


def test_mean_series_aligns_on_seconds_and_ignores_nan():
    s1 = {"t_s": np.array([0.0, 1.0, 2.0]), "ewmaMs": np.array([10.0, np.nan, 30.0])}
    s2 = {"t_s": np.array([0.0, 1.0]), "ewmaMs": np.array([20.0, 40.0])}
    out = m.mean_series([s1, s2], keys=("ewmaMs",))
    assert out["t_s"].tolist() == [0, 1, 2]
    assert out["ewmaMs"].tolist() == [15.0, 40.0, 30.0]
    assert math.isnan(
        m.mean_series([s1, {"t_s": np.array([5.0]), "ewmaMs": np.array([np.nan])}], keys=("ewmaMs",))["ewmaMs"][3]
    )
