"""PNG figures with matplotlib's Agg backend (no display needed).

Uses matplotlib.figure.Figure directly (no pyplot state), so figures are freed
as soon as they are saved.
"""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from .report import invalid_reasons  # noqa: E402

MAX_LINE_POINTS = 5000
DPI = 110


def _thin(t: np.ndarray, v: np.ndarray, limit: int = MAX_LINE_POINTS):
    if t.size <= limit:
        return t, v
    idx = np.unique(np.linspace(0, t.size - 1, limit).astype(np.int64))
    return t[idx], v[idx]


def _steps(ax, t, v, **kw):
    """Per-second bucket values drawn as steps over [t, t+1)."""
    if t.size == 0:
        return
    ax.step(np.r_[t, t[-1] + 1], np.r_[v, v[-1]], where="post", **kw)


def _note(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="0.4", fontsize=9)


def _headroom(ax, factor: float = 1.3) -> None:
    """Room above the data for the legend (upper left)."""
    bottom, top = ax.get_ylim()
    ax.set_ylim(bottom, bottom + (top - bottom) * factor)


def _finish_ewma_over_time(ax, title: str, empty: str) -> None:
    """Axes, legend (or a note when nothing was drawn) and title of an EWMA-over-time plot."""
    ax.set_ylim(bottom=0)
    if ax.get_legend_handles_labels()[0]:
        _headroom(ax)
        ax.legend(loc="upper left", fontsize=8)
    else:
        _note(ax, empty)
    ax.set_title(title, fontsize=11)
    ax.set_xlabel("time since trial start (s)")
    ax.set_ylabel("EWMA response time (ms)")
    ax.grid(True, alpha=0.3)


def _save(fig: Figure, path) -> None:
    fig.savefig(path, dpi=DPI, format="png")


def _replica_panel(ax_rep, trial: dict) -> None:
    """Ready replicas per Deployment (solid) and its HPA's desired count (dashed)."""
    colours = matplotlib.colormaps["tab10"]
    drawn = False
    for i, (name, rs) in enumerate(sorted(trial["replicaSeries"].items())):
        if rs["t_s"].size:
            ax_rep.step(
                rs["t_s"], rs["readyReplicas"], where="post", color=colours(i % 10), lw=1.6, label=f"{name} ready"
            )
            drawn = True
        hs = trial["hpaSeries"].get(name)
        if hs is not None and hs["t_s"].size:
            ax_rep.step(
                hs["t_s"],
                hs["desiredReplicas"],
                where="post",
                color=colours(i % 10),
                lw=1,
                ls="--",
                label=f"{name} HPA desired",
            )
    for name, hs in sorted(trial["hpaSeries"].items()):
        if name not in trial["replicaSeries"] and hs["t_s"].size:
            ax_rep.step(hs["t_s"], hs["desiredReplicas"], where="post", lw=1, ls="--", label=f"{name} HPA desired")
            drawn = True
    if not drawn:
        _note(ax_rep, "no replica samples (e.g. --target local)")
    ax_rep.set_ylabel("replicas")
    ax_rep.set_ylim(bottom=0)
    ax_rep.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax_rep.set_title("Replica count per deployment", fontsize=10, loc="left")


def plot_trial(
    trial: dict, ewma_points: tuple[np.ndarray, np.ndarray], vus: dict | None, path, title: str, alpha: float
) -> None:
    """trial: analyse_trial() output (numpy series). Four stacked panels on a
    shared time axis: latency, throughput, errors, replicas."""
    s = trial["series"]
    fig = Figure(figsize=(12.5, 10.5), layout="constrained")
    ax_lat, ax_thr, ax_err, ax_rep = fig.subplots(4, 1, sharex=True)
    status = "" if trial["valid"] else "  [INVALID: " + ("; ".join(invalid_reasons(trial)) or "excluded") + "]"
    fig.suptitle(f"{title} — trial {trial['trial']}{status}", fontsize=12)

    t_e, e = _thin(*ewma_points)
    if e.size:
        ax_lat.plot(t_e, e, color="tab:blue", lw=1.4, label=f"EWMA of successful requests (α={alpha:g})")
    if np.any(~np.isnan(s["p95Ms"])):
        _steps(ax_lat, s["t_s"], s["p95Ms"], color="tab:orange", lw=1, alpha=0.85, label="p95 per second")
    if not e.size:
        _note(ax_lat, "no successful request")
    ax_lat.set_ylabel("response time (ms)")
    ax_lat.set_ylim(bottom=0)
    ax_lat.set_title("Response time (successful requests only)", fontsize=10, loc="left")

    _steps(ax_thr, s["t_s"], s["requests"], color="0.6", lw=1, label="requests started/s")
    _steps(ax_thr, s["t_s"], s["ok"], color="tab:green", lw=1.4, label="successful/s")
    if vus is not None and vus["t_s"].size and np.any(~np.isnan(vus["target_rate"])):
        ax_thr.plot(vus["t_s"], vus["target_rate"], color="black", ls="--", lw=1, label="target rate (vus.csv)")
    ax_thr.set_ylabel("requests per second")
    ax_thr.set_ylim(bottom=0)
    ax_thr.set_title("Throughput", fontsize=10, loc="left")

    if s["t_s"].size:
        # one filled step patch, not a bar per second (a 4 h soak has 14,400 seconds)
        ax_err.stairs(
            s["failed"],
            np.r_[s["t_s"], s["t_s"][-1] + 1],
            fill=True,
            color="tab:red",
            label="failed/s (non-2xx or transport)",
        )
    if not np.any(s["failed"] > 0):
        _note(ax_err, "no failed request")
    ax_err.set_ylabel("failed per second")
    ax_err.set_ylim(bottom=0)
    ax_err.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax_err.set_title("Errors", fontsize=10, loc="left")

    _replica_panel(ax_rep, trial)
    ax_rep.set_xlabel("time since trial start (s)")

    for ax in (ax_lat, ax_thr, ax_err, ax_rep):
        _headroom(ax, 1.08)
        ax.grid(True, alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize=8, borderaxespad=0)
    ax_rep.set_xlim(left=min(0.0, ax_rep.get_xlim()[0]))
    _save(fig, path)


def plot_simulated_trial(trial: dict, path, title: str) -> None:
    """A --usage simulated trial: the rate played as CPU, each pod's share of it
    and the HPAs' measured utilisation, and the replicas the controllers chose."""
    fig = Figure(figsize=(12.5, 8.5), layout="constrained")
    ax_rate, ax_cpu, ax_rep = fig.subplots(3, 1, sharex=True)
    status = "" if trial["valid"] else "  [INVALID: " + ("; ".join(invalid_reasons(trial)) or "excluded") + "]"
    fig.suptitle(f"{title} — trial {trial['trial']} (simulated usage, no request sent){status}", fontsize=12)
    colours = matplotlib.colormaps["tab10"]
    usage = trial.get("usageSeries") or {}
    first = next(iter(usage.values()), None)
    if first is not None and first["t_s"].size:
        ax_rate.plot(first["t_s"], first["target_rate"], color="black", ls="--", lw=1, label="arrival rate played")
    else:
        _note(ax_rate, "no usage recorded")
    ax_rate.set_ylabel("requests per second")
    ax_rate.set_ylim(bottom=0)
    ax_rate.set_title("Load profile (as CPU, not requests)", fontsize=10, loc="left")
    names = sorted(set(usage) | set(trial["replicaSeries"]) | set(trial.get("hpaCpuSeries") or {}))
    colour = {n: colours(i % 10) for i, n in enumerate(names)}
    for name, u in sorted(usage.items()):
        _steps(ax_cpu, u["t_s"], u["millicores_per_pod"], color=colour[name], lw=1.4, label=f"{name} CPU per pod (m)")
    ax_cpu.set_ylabel("millicores per pod")
    ax_cpu.set_ylim(bottom=0)
    ax_cpu.set_title("CPU per serving pod (played) and HPA utilisation (measured)", fontsize=10, loc="left")
    hpa_cpu = trial.get("hpaCpuSeries") or {}
    if hpa_cpu:
        ax_util = ax_cpu.twinx()
        for name, c in sorted(hpa_cpu.items()):
            ax_util.step(c["t_s"], c["percent"], where="post", color=colour.get(name, "0.4"), lw=1, ls=":", label=f"{name} HPA CPU (% of request)")
        ax_util.set_ylabel("% of request")
        ax_util.set_ylim(bottom=0)
        ax_util.legend(loc="lower left", bbox_to_anchor=(1.06, 0.0), fontsize=8, borderaxespad=0)
    _replica_panel(ax_rep, trial)
    ax_rep.set_xlabel("time since trial start (s)")
    for ax in (ax_rate, ax_cpu, ax_rep):
        _headroom(ax, 1.08)
        ax.grid(True, alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper left", bbox_to_anchor=(1.06 if ax is ax_cpu else 1.005, 1.0), fontsize=8, borderaxespad=0)
    ax_rep.set_xlim(left=min(0.0, ax_rep.get_xlim()[0]))
    _save(fig, path)


def plot_run(trials: list[dict], averaged: dict | None, path, title: str, alpha: float) -> None:
    """Each trial's per-second EWMA overlaid; invalid trials dashed; the mean of
    valid trials in black."""
    fig = Figure(figsize=(11, 5), layout="constrained")
    ax = fig.subplots()
    colours = matplotlib.colormaps["tab10"]
    for i, t in enumerate(trials):
        s = t.get("series")
        if s is None or not s["t_s"].size:
            continue
        lbl = f"trial {t['trial']}" + ("" if t["valid"] else " (invalid, excluded)")
        ax.plot(
            s["t_s"],
            s["ewmaMs"],
            color=colours(i % 10),
            lw=1.2,
            ls="-" if t["valid"] else ":",
            alpha=1 if t["valid"] else 0.7,
            label=lbl,
        )
    if averaged is not None and averaged["t_s"].size:
        ax.plot(averaged["t_s"], averaged["ewmaMs"], color="black", lw=2, label="mean of valid trials")
    _finish_ewma_over_time(ax, f"{title} — EWMA response time per trial (α={alpha:g}, successful requests)", "no data")
    _save(fig, path)


def plot_comparison(rows: list[dict], path, title: str) -> None:
    """rows: {label, p95Ms, okPerS, errorRate, trialValues: {key: [..]}}. Bars
    are the means over valid trials (value on top); dots are the valid trials' own values."""
    panels = [
        ("p95Ms", "p95 response time (ms)", 1.0),
        ("okPerS", "throughput (successful/s)", 1.0),
        ("errorRate", "error rate (%)", 100.0),
    ]
    n = len(rows)
    fig = Figure(figsize=(max(10, 1.2 * n * 3), 4.8), layout="constrained")
    axes = fig.subplots(1, 3)
    fig.suptitle(title, fontsize=12)
    x = np.arange(n)
    colours = matplotlib.colormaps["tab10"]
    for ax, (key, ylabel, scale) in zip(axes, panels):
        labelled = False
        vals = np.array([np.nan if r.get(key) is None else r[key] * scale for r in rows], dtype=float)
        ax.bar(x, np.nan_to_num(vals), color=[colours(i % 10) for i in range(n)], width=0.65)
        for i, r in enumerate(rows):
            pts = [v * scale for v in r.get("trialValues", {}).get(key, []) if v is not None]
            if pts:
                ax.plot(
                    np.full(len(pts), x[i]),
                    pts,
                    "o",
                    color="black",
                    ms=3.5,
                    label=None if labelled else "each valid trial",
                )
                labelled = True
            if np.isnan(vals[i]):
                ax.text(x[i], 0, "n/a", ha="center", va="bottom", fontsize=8, color="0.3")
            else:
                top = max([vals[i], *pts])  # above the trial dots, not on them
                ax.annotate(
                    f"{vals[i]:.3g}",
                    (x[i], top),
                    ha="center",
                    va="bottom",
                    fontsize=8,
                    xytext=(0, 4),
                    textcoords="offset points",
                )
        ax.set_xticks(
            x, [r["label"] for r in rows], rotation=30 if n > 3 else 0, ha="right" if n > 3 else "center", fontsize=8
        )
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0)
        ax.margins(y=0.12)
        ax.grid(True, axis="y", alpha=0.3)
    h, lbl = axes[0].get_legend_handles_labels()
    if h:
        # Below the panels, where it cannot cover a bar's value.
        fig.legend(h, lbl, loc="outside lower center", fontsize=8, frameon=False)
    _save(fig, path)


def plot_comparison_latency(variants: list[tuple[str, dict | None]], path, title: str, alpha: float) -> None:
    """Each variant's EWMA (mean over its valid trials) over time."""
    fig = Figure(figsize=(11, 5), layout="constrained")
    ax = fig.subplots()
    colours = matplotlib.colormaps["tab10"]
    for i, (lbl, s) in enumerate(variants):
        if s is None or not s["t_s"].size:
            continue
        ax.plot(s["t_s"], s["ewmaMs"], color=colours(i % 10), lw=1.5, label=lbl)
    _finish_ewma_over_time(ax, f"{title} — EWMA response time, mean of valid trials (α={alpha:g})", "no valid trial in any run")
    _save(fig, path)
