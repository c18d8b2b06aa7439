"""Comparison of several runs (variants): Markdown + CSV table, bar charts."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from . import report

# (csv column, markdown header, key in averaged figures or None, kind)
COLUMNS = [
    ("variant", "variant", None, "text"),
    ("experiment", "experiment", None, "text"),
    ("endpoint", "endpoint", None, "text"),
    ("profile", "profile", None, "text"),
    ("target", "target", None, "text"),
    ("valid_trials", "valid trials", None, "int"),
    ("invalid_trials", "invalid", None, "int"),
    ("p50_ms", "p50 (ms)", "p50Ms", "ms"),
    ("p90_ms", "p90 (ms)", "p90Ms", "ms"),
    ("p95_ms", "p95 (ms)", "p95Ms", "ms"),
    ("p99_ms", "p99 (ms)", "p99Ms", "ms"),
    ("ewma_ms", "EWMA (ms)", "ewmaMs", "ms"),
    ("throughput_ok_per_s", "throughput (ok/s)", "okPerS", "rate"),
    ("error_rate", "error rate", "errorRate", "fraction"),
    ("run_dir", "run", None, "text"),
]
PLOT_KEYS = ("p95Ms", "okPerS", "errorRate")


def variant_labels(analyses: list[dict]) -> list[str]:
    """The experiment name, made unique by adding profile, endpoint, target, then
    the run directory's name (its timestamp) where needed."""
    labels = [str(a.get("experiment") or Path(a["runDir"]).name) for a in analyses]
    for extra in ("profile", "endpoint", "target", None):
        dup = {lbl for lbl in labels if labels.count(lbl) > 1}
        if not dup:
            break
        labels = [
            (f"{lbl}/{a.get(extra)}" if extra else f"{lbl}@{Path(a['runDir']).name}") if lbl in dup else lbl
            for lbl, a in zip(labels, analyses)
        ]
    # Still duplicated (the same directory given twice): number them.
    seen: dict[str, int] = {}
    out = []
    for lbl in labels:
        seen[lbl] = seen.get(lbl, 0) + 1
        out.append(lbl if labels.count(lbl) == 1 else f"{lbl} #{seen[lbl]}")
    return out


def rows_for(analyses: list[dict]) -> list[dict]:
    rows = []
    for lbl, a in zip(variant_labels(analyses), analyses):
        fig = (a.get("averaged") or {}).get("figures") or {}
        valid = [t for t in a.get("trials", []) if t.get("valid") and t.get("figures")]
        row = {
            "variant": lbl,
            "label": lbl,
            "experiment": a.get("experiment"),
            "endpoint": a.get("endpoint"),
            "profile": a.get("profile"),
            "target": a.get("target"),
            "valid_trials": a.get("trialsValid", 0),
            "invalid_trials": a.get("trialsInvalid", 0),
            "run_dir": a.get("runDir"),
            "trialValues": {k: [t["figures"].get(k) for t in valid] for k in PLOT_KEYS},
        }
        for col, _, key, _ in COLUMNS:
            if key is not None:
                row[col] = fig.get(key)
                row[key] = fig.get(key)
        rows.append(row)
    return rows


def _md_cell(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "ms":
        return f"{value:.1f}"
    if kind == "rate":
        return f"{value:.2f}"
    if kind == "fraction":
        return f"{value * 100:.2f} %"
    if kind == "int":
        return str(int(value))
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown(rows: list[dict], analyses: list[dict], title: str, alpha: float) -> str:
    out = [f"# {title}", ""]
    out.append(
        f"Means over each run's valid trials. Latency figures use successful (2xx) requests only; "
        f"redirects, 4xx, 5xx and transport errors count as failures. Percentiles by linear "
        f"interpolation; EWMA with α = {alpha:g}, its final value. Throughput = successful "
        f"responses / (last completion − first start). Error rate = failed / all requests."
    )
    out.append("")
    out.append("| " + " | ".join(h for _, h, _, _ in COLUMNS) + " |")
    out.append("|" + "|".join("---" if kind == "text" else "---:" for _, _, _, kind in COLUMNS) + "|")
    for r in rows:
        cells = []
        for col, _, _, kind in COLUMNS:
            v = r.get(col)
            cells.append(f"`{_md_cell(v, kind)}`" if col == "run_dir" and v else _md_cell(v, kind))
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    notes = []
    for r, a in zip(rows, analyses):
        details = []
        if a.get("experimentValues"):
            details.append("values " + json.dumps(a["experimentValues"], sort_keys=True))
        if a.get("gitCommit"):
            details.append(f"commit {a['gitCommit']}")
        if a.get("startedAt"):
            details.append(f"started {a['startedAt']}")
        if r["valid_trials"] == 0:
            details.append("**no valid trial: no figures**")
        for t in a.get("invalidTrials", []):
            details.append(f"excluded {t['dir']} ({'; '.join(t['reasons']) or 'no reason given'})")
        if details:
            notes.append(f"- **{_md_cell(r['variant'], 'text')}**: " + "; ".join(details))
    if notes:
        out += ["## Runs", "", *notes, ""]
    return "\n".join(out)


def csv_text(rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([c for c, _, _, _ in COLUMNS])
    for r in rows:
        cells = []
        for col, _, _, kind in COLUMNS:
            v = r.get(col)
            cells.append("" if v is None else report.to_jsonable(v) if kind not in ("text", "int") else v)
        w.writerow(cells)
    return buf.getvalue()
