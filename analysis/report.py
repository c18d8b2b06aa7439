"""Per-trial and per-run analysis, analysis.json, and the printed summary."""

from __future__ import annotations

import json
import math
import re
import uuid
from pathlib import Path

import numpy as np

from . import DEFAULT_ALPHA, SCHEMA_VERSION
from . import metrics as m
from .loaders import Run, Trial, load_run

META_KEYS = (
    "experiment",
    "endpoint",
    "profile",
    "target",
    "usage",
    "stack",
    "gitCommit",
    "experimentValues",
    "loadgenVersion",
    "timeScale",
    "startedAt",
)
LOADGEN_KEYS = (
    "requests",
    "ok",
    "failed",
    "droppedIterations",
    "maxVUs",
    "durationS",
    "aborted",
    "abortReason",
    "plannedDurationS",
)
SIGNIFICANT_DIGITS = 6


def _series_from_json(series: dict[str, list]) -> dict[str, np.ndarray]:
    return {k: np.array([np.nan if x is None else x for x in v], dtype=np.float64) for k, v in series.items()}


def analyse_trial(trial: Trial, alpha: float = DEFAULT_ALPHA) -> dict:
    """Everything about one trial, as plain Python (numpy arrays in 'series',
    converted by to_jsonable)."""
    out: dict = {
        "trial": trial.number,
        "dir": trial.dir,
        "valid": trial.valid,
        "invalidReasons": trial.invalid_reasons,
        "aborted": trial.aborted,
        "abortReason": trial.abort_reason,
        "problems": trial.problems,
        "loadgen": {k: trial.loadgen[k] for k in LOADGEN_KEYS if k in trial.loadgen},
    }
    req = trial.requests
    replicas = m.sample_series(trial.samples, "deployment", "readyReplicas")
    hpa = m.sample_series(trial.samples, "hpa", "desiredReplicas")
    replica_series = {k: {"t_s": t, "readyReplicas": v} for k, (t, v) in replicas.items()}
    hpa_series = {k: {"t_s": t, "desiredReplicas": v} for k, (t, v) in hpa.items()}
    if req is None and trial.usage is not None:
        # --usage simulated: what the controllers did under the CPU the runner played.
        cpu = m.sample_series(trial.samples, "hpa", "currentCPUUtilizationPercentage")
        out["figures"] = {
            "peakRatePerS": max((float(u["target_rate"].max()) for u in trial.usage.values() if u["target_rate"].size), default=None),
            "readyReplicas": m.step_stats(replicas),
            "hpaDesiredReplicas": m.step_stats(hpa),
            "hpaCpuUtilizationPercent": m.step_stats(cpu),
        }
        out.update(topErrors=[], series=None, replicaSeries=replica_series, hpaSeries=hpa_series)
        out["usageSeries"] = trial.usage
        out["hpaCpuSeries"] = {k: {"t_s": t, "percent": v} for k, (t, v) in cpu.items()}
        return out
    if req is None:
        out.update(figures=None, topErrors=[], series=None, replicaSeries={}, hpaSeries={})
        return out

    ok = m.successful(req)
    _, e = m.ewma_series(req, alpha)
    errors = m.error_stats(req)
    dropped = trial.loadgen.get("droppedIterations")
    figures = {
        "requests": errors["requests"],
        "ok": errors["ok"],
        "failed": errors["failed"],
        "errorRate": errors["errorRate"],
        "statusClasses": errors["statusClasses"],
        **m.latency_stats(req.latency_ms[ok]),
        "ewmaMs": float(e[-1]) if e.size else None,
        **m.throughput(req),
        "droppedIterations": dropped if isinstance(dropped, (int, float)) and not isinstance(dropped, bool) else None,
        "clientCpuMaxPercent": m.client_max(trial.samples, "cpuPercent"),
        "clientMemMaxPercent": m.client_max(trial.samples, "memPercent"),
        "readyReplicas": m.step_stats(replicas),
        "hpaDesiredReplicas": m.step_stats(hpa),
    }
    out["figures"] = figures
    out["topErrors"] = m.top_errors(req)
    out["series"] = m.per_second(req, alpha)
    out["replicaSeries"] = replica_series
    out["hpaSeries"] = hpa_series
    return out


def invalid_reasons(t: dict) -> list[str]:
    reasons = list(t["invalidReasons"])
    if t["aborted"]:
        abort = f"aborted: {t['abortReason'] or 'no reason given'}"
        if abort not in reasons:
            reasons.append(abort)
    return reasons + t.get("problems", [])


def analyse_run(run: Run, alpha: float = DEFAULT_ALPHA) -> dict:
    trials = [analyse_trial(t, alpha) for t in run.trials]
    valid = [t for t in trials if t["valid"]]  # a valid trial always has requests.csv (load_run checks)
    meta = {k: run.summary.get(k) for k in META_KEYS}
    return {
        "schemaVersion": SCHEMA_VERSION,
        "runDir": str(run.path),
        **meta,
        "method": {
            "latency": "successful requests only (ok and 2xx); redirects, 4xx, 5xx and transport errors are failures",
            "percentiles": "numpy.percentile, method=linear",
            "ewmaAlpha": alpha,
            "throughput": "successful responses / (last completion - first start)",
            "arrivalRate": "(requests - 1) / (last start - first start)",
            "averaged": "mean over valid trials of each per-trial figure (values that are null are skipped)",
            "series": "per start second; ewmaMs = EWMA after the last successful request started by the end of that second",
        },
        "trialsValid": len(valid),
        "trialsInvalid": len(trials) - len(valid),
        "invalidTrials": [
            {"trial": t["trial"], "dir": t["dir"], "reasons": invalid_reasons(t)} for t in trials if not t["valid"]
        ],
        "averaged": {
            "figures": m.mean_figures([t["figures"] for t in valid]) if valid else None,
            "series": m.mean_series([t["series"] for t in valid]) if valid and valid[0]["series"] is not None else None,
        },
        "trials": trials,
    }


def _round(x: float) -> float | int:
    if x == 0:
        return 0
    r = float(f"{x:.{SIGNIFICANT_DIGITS}g}")
    return int(r) if r.is_integer() and abs(r) < 2**53 else r


def to_jsonable(obj):
    """numpy -> Python, floats to 6 significant digits (integral ones as int),
    NaN/inf -> None."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [to_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        x = float(obj)
        return _round(x) if math.isfinite(x) else None
    return obj


def dumps(data: dict) -> str:
    """Indented JSON, but lists of numbers (the series) on one line each."""
    inline: list[str] = []
    mark = f"inline-{uuid.uuid4().hex}-"

    def pack(obj):
        if isinstance(obj, dict):
            return {k: pack(v) for k, v in obj.items()}
        if isinstance(obj, list):
            if obj and all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in obj):
                inline.append(json.dumps(obj, allow_nan=False, separators=(",", ":")))
                return f"{mark}{len(inline) - 1}"
            return [pack(v) for v in obj]
        return obj

    text = json.dumps(pack(to_jsonable(data)), indent=2, allow_nan=False, ensure_ascii=False)
    return re.sub(f'"{mark}(\\d+)"', lambda mt: inline[int(mt.group(1))], text) + "\n"


def write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(dumps(data), encoding="utf-8")
    tmp.replace(path)


def _inputs_newest_mtime(run_dir: Path) -> float:
    newest = (run_dir / "summary.json").stat().st_mtime
    for p in run_dir.glob("*/*.csv"):
        newest = max(newest, p.stat().st_mtime)
    for p in run_dir.glob("*/*.json"):
        newest = max(newest, p.stat().st_mtime)
    return newest


def load_or_analyse(run_dir: Path | str, alpha: float = DEFAULT_ALPHA) -> dict:
    """The run's analysis.json when it is current (same schema and alpha, newer
    than every input); otherwise analyse now (without writing anything)."""
    run_dir = Path(run_dir)
    cached = run_dir / "analysis.json"
    if cached.is_file() and (run_dir / "summary.json").is_file():
        try:
            data = json.loads(cached.read_text(encoding="utf-8"))
            fresh = (
                data.get("schemaVersion") == SCHEMA_VERSION
                and data.get("method", {}).get("ewmaAlpha") == alpha
                and cached.stat().st_mtime >= _inputs_newest_mtime(run_dir)
            )
        except (OSError, ValueError, AttributeError):
            fresh = False
        if fresh:
            data["runDir"] = str(run_dir)
            return data
    return to_jsonable(analyse_run(load_run(run_dir), alpha))


def averaged_series(analysis: dict) -> dict[str, np.ndarray] | None:
    s = (analysis.get("averaged") or {}).get("series")
    return _series_from_json(s) if s else None


def _fmt(x, unit: str = "", nd: int = 1) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return f"{x:.{nd}f}{unit}"


def label(analysis: dict) -> str:
    parts = [
        str(analysis.get(k)) for k in ("experiment", "endpoint", "profile", "target") if analysis.get(k) is not None
    ]
    # The local baseline's experiment is "local" already: say it once.
    parts = [p for i, p in enumerate(parts) if p not in parts[:i]]
    return " · ".join(parts) or str(analysis.get("runDir"))


def summary_text(analysis: dict) -> str:
    lines = [f"{label(analysis)}  ({analysis.get('runDir')})"]
    nv, ni = analysis["trialsValid"], analysis["trialsInvalid"]
    lines.append(f"trials: {nv} valid, {ni} invalid")
    for t in analysis.get("invalidTrials", []):
        why = "; ".join(t["reasons"]) or "no reason given"
        lines.append(f"  excluded {t['dir']}: {why}")
    f = (analysis.get("averaged") or {}).get("figures")
    if not f:
        lines.append("no valid trial: nothing to average")
        return "\n".join(lines)
    avg = f" (mean of {nv} valid trials)" if nv > 1 else ""
    if analysis.get("usage") == "simulated":
        lines.append(f"simulated usage (no request sent), peak {_fmt(f.get('peakRatePerS'), ' req/s', 1)}{avg}:")
        hpa = f.get("hpaDesiredReplicas") or {}
        for name, r in sorted((f.get("readyReplicas") or {}).items()):
            h = hpa.get(name)
            extra = f"; HPA desired max {_fmt(h.get('max'), '', 0)}" if h else ""
            lines.append(
                f"  {name}: ready replicas {_fmt(r.get('min'), '', 0)}..{_fmt(r.get('max'), '', 0)}, "
                f"time-weighted mean {_fmt(r.get('mean'), '', 2)}{extra}"
            )
        return "\n".join(lines)
    lines.append(
        f"latency{avg}: p50 {_fmt(f.get('p50Ms'), ' ms')}  p95 {_fmt(f.get('p95Ms'), ' ms')}  "
        f"p99 {_fmt(f.get('p99Ms'), ' ms')}  EWMA {_fmt(f.get('ewmaMs'), ' ms')}"
    )
    er = f.get("errorRate")
    lines.append(
        f"throughput {_fmt(f.get('okPerS'), ' ok/s', 2)} (arrivals {_fmt(f.get('arrivalRatePerS'), ' req/s', 2)})  "
        f"error rate {_fmt(None if er is None else er * 100, ' %', 2)}"
    )
    return "\n".join(lines)
