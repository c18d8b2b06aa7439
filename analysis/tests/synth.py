"""Deterministic synthetic run directories in the runner's layout."""

from __future__ import annotations

import csv
import json
from pathlib import Path

RATE = 10  # requests per second
DURATION_S = 20


def trial_requests(base_ms: float, n: int = RATE * DURATION_S) -> list[dict]:
    """n requests at RATE/s. Latency base_ms + 10*(i % 10) for successes; every
    25th is a 500, request 7 a 302 redirect, request 13 a transport error."""
    rows = []
    for i in range(n):
        start = i * 1000.0 / RATE
        status, ok, err, lat = 200, 1, "", base_ms + 10.0 * (i % 10)
        if i % 25 == 24:
            status, ok, err, lat = 500, 0, "HTTP 500", 50.0
        elif i == 7:
            status, ok, err, lat = 302, 0, "redirect to /login", 2.0
        elif i == 13:
            status, ok, err, lat = 0, 0, "dial tcp: connection refused, retry", 3000.0
        rows.append({"start_ms": start, "latency_ms": lat, "status": status, "ok": ok, "error": err})
    return rows


def write_csv(path: Path, header: list[str], rows: list[dict]) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header)
        w.writeheader()
        w.writerows(rows)


def write_trial(tdir: Path, requests: list[dict], samples: bool = True) -> None:
    tdir.mkdir(parents=True, exist_ok=True)
    write_csv(tdir / "requests.csv", ["start_ms", "latency_ms", "status", "ok", "error"], requests)
    vus, started, completed = [], 0, 0
    for t in range(DURATION_S + 1):
        started = min(len(requests), t * RATE)
        completed = max(0, started - 2)
        vus.append(
            {
                "t_s": float(t),
                "vus": 5 + t % 3,
                "target_rate": RATE,
                "started": started,
                "completed": completed,
                "failed": completed // 25,
            }
        )
    write_csv(tdir / "vus.csv", ["t_s", "vus", "target_rate", "started", "completed", "failed"], vus)
    srows = []
    if samples:
        for t in range(0, DURATION_S + 1, 2):
            ready = 2 if t < 8 else 3
            srows += [
                {"t_s": float(t), "kind": "deployment", "name": "django", "field": "readyReplicas", "value": ready},
                {"t_s": float(t), "kind": "deployment", "name": "idaes", "field": "readyReplicas", "value": 1},
                {
                    "t_s": float(t),
                    "kind": "hpa",
                    "name": "django",
                    "field": "desiredReplicas",
                    "value": 2 if t < 6 else 3,
                },
                {
                    "t_s": float(t),
                    "kind": "hpa",
                    "name": "django",
                    "field": "currentCPUUtilizationPercentage",
                    "value": 60 + t,
                },
                {"t_s": float(t), "kind": "pod", "name": "django-abc", "field": "cpuMillicores", "value": 400 + t},
                {"t_s": float(t), "kind": "pod", "name": "django-abc", "field": "memoryBytes", "value": 123456789},
                {"t_s": float(t), "kind": "client", "name": "loadgen", "field": "cpuPercent", "value": 30 + t / 2},
                {"t_s": float(t), "kind": "client", "name": "loadgen", "field": "memPercent", "value": 12.5},
            ]
    write_csv(tdir / "samples.csv", ["t_s", "kind", "name", "field", "value"], srows)
    ok = sum(r["ok"] for r in requests)
    (tdir / "loadgen-summary.json").write_text(
        json.dumps(
            {
                "requests": len(requests),
                "ok": ok,
                "failed": len(requests) - ok,
                "droppedIterations": 3,
                "maxVUs": 7,
                "durationS": DURATION_S,
                "aborted": False,
                "abortReason": None,
                "plannedDurationS": DURATION_S,
            }
        )
    )


def make_run(
    root: Path,
    experiment: str = "uor-replicas-2",
    profile: str = "average",
    base_ms: tuple[float, ...] = (100.0, 120.0, 900.0),
    valid: tuple[bool, ...] = (True, True, False),
    target: str = "cluster",
    stamp: str = "2025-01-01T00-00-00Z",
) -> Path:
    """A run directory with one trial per base latency; the returned path holds
    summary.json. Trials marked invalid get an abort reason."""
    run = root / experiment / profile / stamp
    run.mkdir(parents=True)
    trials = []
    for i, (b, v) in enumerate(zip(base_ms, valid), start=1):
        write_trial(run / f"trial-{i}", trial_requests(b), samples=target == "cluster")
        trials.append(
            {
                "trial": i,
                "dir": f"trial-{i}",
                "valid": v,
                "invalidReasons": [] if v else ["loadgen CPU above 90 %"],
                "aborted": not v,
                "abortReason": None if v else "error rate above threshold",
            }
        )
    summary = {
        "experiment": experiment,
        "endpoint": "uor",
        "profile": profile,
        "target": target,
        "stack": "dev",
        "gitCommit": "abc1234",
        "experimentValues": {"replicas": 2},
        "loadgenVersion": "0.1.0",
        "timeScale": 1,
        "startedAt": "2025-01-01T00:00:00Z",
        "trials": trials,
        "someFutureKey": {"ignored": True},
    }
    (run / "summary.json").write_text(json.dumps(summary, indent=2))
    return run


def make_simulated_run(root: Path, stamp: str = "2025-01-02T00-00-00Z", with_usage: bool = True) -> Path:
    """A --usage simulated run of one trial: a 0 -> 80 -> 0 req/s spike played as
    CPU over 30 s, and an HPA taking django-api from 1 to 4 replicas."""
    run = root / "scaleup-limit-2" / "spike" / stamp
    tdir = run / "trial-1"
    tdir.mkdir(parents=True)
    if with_usage:
        urows = []
        for t in range(31):
            rate = 80 * t / 20 if t <= 20 else 80 * (30 - t) / 10
            pods = 1 if t < 10 else 3 if t < 20 else 4
            urows.append({"t_s": float(t), "target_rate": rate, "app": "django-api", "serving_pods": pods, "millicores_per_pod": round(5 + rate * 30 / pods)})
        write_csv(tdir / "usage.csv", ["t_s", "target_rate", "app", "serving_pods", "millicores_per_pod"], urows)
    srows = []
    for t in range(0, 31, 2):
        ready = 1 if t < 10 else 3 if t < 20 else 4
        srows += [
            {"t_s": float(t), "kind": "deployment", "name": "django-api", "field": "readyReplicas", "value": ready},
            {"t_s": float(t), "kind": "deployment", "name": "frontend", "field": "readyReplicas", "value": 1},
            {"t_s": float(t), "kind": "hpa", "name": "django-api", "field": "desiredReplicas", "value": min(4, ready + 2)},
            {"t_s": float(t), "kind": "hpa", "name": "django-api", "field": "currentCPUUtilizationPercentage", "value": 40 + 5 * t},
            {"t_s": float(t), "kind": "client", "name": "loadgen", "field": "cpuPercent", "value": 97.0},
        ]
    write_csv(tdir / "samples.csv", ["t_s", "kind", "name", "field", "value"], srows)
    summary = {
        "experiment": "scaleup-limit-2",
        "endpoint": "uor",
        "profile": "spike",
        "target": "cluster",
        "usage": "simulated",
        "stack": "dev",
        "gitCommit": "abc1234",
        "timeScale": 0.125,
        "startedAt": "2025-01-02T00:00:00Z",
        "trials": [{"trial": 1, "dir": "trial-1", "valid": True, "invalidReasons": [], "aborted": False, "abortReason": None, "requests": 0, "failed": 0}],
    }
    (run / "summary.json").write_text(json.dumps(summary, indent=2))
    return run
