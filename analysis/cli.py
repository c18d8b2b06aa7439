"""python -m analysis report RUN_DIR | compare RUN_DIR... --out OUT_DIR

Exit codes: 0 ok, 2 bad input (or bad arguments), 1 other I/O failure (e.g. cannot write output).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import DEFAULT_ALPHA, compare, metrics, report
from .loaders import InputError, load_run

EXIT_OK, EXIT_OUTPUT, EXIT_INPUT = 0, 1, 2


def _alpha(text: str) -> float:
    try:
        a = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 < a <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {a:g}")
    return a


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m analysis", description="Numbers and plots from load-test runs.")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("report", help="analyse one run: RUN_DIR/analysis.json and RUN_DIR/plots/*.png")
    r.add_argument("run_dir", metavar="RUN_DIR", type=Path)
    r.add_argument("--alpha", type=_alpha, default=DEFAULT_ALPHA, help="EWMA smoothing factor (default 0.1)")
    r.add_argument("--no-plots", action="store_true", help="write analysis.json only")
    c = sub.add_parser("compare", help="compare runs: OUT_DIR/comparison.{md,csv,png}, comparison-latency.png")
    c.add_argument("run_dirs", metavar="RUN_DIR", type=Path, nargs="+")
    c.add_argument("--out", required=True, type=Path, metavar="OUT_DIR")
    c.add_argument("--title", default="Run comparison")
    c.add_argument("--alpha", type=_alpha, default=DEFAULT_ALPHA, help="EWMA smoothing factor (default 0.1)")
    return p


def cmd_report(run_dir: Path, alpha: float, plots: bool) -> int:
    run = load_run(run_dir)
    analysis = report.analyse_run(run, alpha)
    out_json = run_dir / "analysis.json"
    written = [out_json]
    if plots:
        from . import plots as pl  # matplotlib only when drawing

        plot_dir = run_dir / "plots"
        plot_dir.mkdir(exist_ok=True)
        title = report.label(analysis)
        for trial, data in zip(analysis["trials"], run.trials):
            path = plot_dir / f"trial-{trial['trial']}.png"
            if data.usage is not None:
                pl.plot_simulated_trial(trial, path, title)
            elif data.requests is not None:
                pl.plot_trial(trial, metrics.ewma_series(data.requests, alpha), data.vus, path, title, alpha)
            else:
                continue
            written.append(path)
        if run.summary.get("usage") != "simulated":  # run.png overlays latency: none was measured
            path = plot_dir / "run.png"
            pl.plot_run(analysis["trials"], analysis["averaged"]["series"], path, title, alpha)
            written.append(path)
    report.write_json(out_json, analysis)  # last: its mtime marks it current for `compare`
    print(report.summary_text(analysis))
    print("wrote " + ", ".join(str(p) for p in written))
    if analysis["trialsValid"] == 0:
        print(f"analysis: warning: {run_dir}: no valid trial", file=sys.stderr)
    return EXIT_OK


def cmd_compare(run_dirs: list[Path], out: Path, title: str, alpha: float) -> int:
    analyses = [report.load_or_analyse(d, alpha) for d in run_dirs]
    rows = compare.rows_for(analyses)
    out.mkdir(parents=True, exist_ok=True)
    (out / "comparison.md").write_text(compare.markdown(rows, analyses, title, alpha), encoding="utf-8")
    (out / "comparison.csv").write_text(compare.csv_text(rows), encoding="utf-8")

    from . import plots as pl

    pl.plot_comparison(rows, out / "comparison.png", title)
    pl.plot_comparison_latency(
        [(r["variant"], report.averaged_series(a)) for r, a in zip(rows, analyses)],
        out / "comparison-latency.png",
        title,
        alpha,
    )
    for r in rows:
        f = {k: r.get(k) for k in ("p50Ms", "p95Ms", "p99Ms", "okPerS", "errorRate")}
        if r["valid_trials"] == 0:
            print(f"{r['variant']}: no valid trial ({r['run_dir']})")
            continue
        er = f["errorRate"]
        print(
            f"{r['variant']}: p50 {report._fmt(f['p50Ms'], ' ms')}  p95 {report._fmt(f['p95Ms'], ' ms')}  "
            f"p99 {report._fmt(f['p99Ms'], ' ms')}  {report._fmt(f['okPerS'], ' ok/s', 2)}  "
            f"errors {report._fmt(None if er is None else er * 100, ' %', 2)}  "
            f"({r['valid_trials']} valid, {r['invalid_trials']} invalid)"
        )
    print(f"wrote {out / 'comparison.md'}, comparison.csv, comparison.png, comparison-latency.png")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "report":
            return cmd_report(args.run_dir, args.alpha, not args.no_plots)
        return cmd_compare(args.run_dirs, args.out, args.title, args.alpha)
    except InputError as e:
        print(f"analysis: error: {e}", file=sys.stderr)
        return EXIT_INPUT
    except OSError as e:
        print(f"analysis: error: {e}", file=sys.stderr)
        return EXIT_OUTPUT
