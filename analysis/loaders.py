"""Reading a run directory (results/<experiment>/<profile>/<timestamp>/).

Every problem with the input raises InputError with a message that names the
file; the CLI turns it into exit code 2.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REQUEST_COLUMNS = ("start_ms", "latency_ms", "status", "ok", "error")
VUS_COLUMNS = ("t_s", "vus", "target_rate", "started", "completed", "failed")
SAMPLE_COLUMNS = ("t_s", "kind", "name", "field", "value")
# --usage simulated: the CPU the runner gave each Deployment's pods over time.
USAGE_COLUMNS = ("t_s", "target_rate", "app", "serving_pods", "millicores_per_pod")

_TRUE = {"1", "true", "True", "TRUE"}
_FALSE = {"0", "false", "False", "FALSE"}


class InputError(Exception):
    """Bad or missing input; the message names the offending path."""


@dataclass
class Requests:
    """One row per request, in file order."""

    start_ms: np.ndarray  # float64, since trial start
    latency_ms: np.ndarray  # float64
    status: np.ndarray  # int64, 0 = transport error
    ok: np.ndarray  # bool, as written by the load generator
    error: list[str]

    def __len__(self) -> int:
        return int(self.start_ms.size)

    @classmethod
    def from_columns(cls, start_ms, latency_ms, status, ok, error=None) -> Requests:
        start = np.asarray(start_ms, dtype=np.float64)
        n = start.size
        return cls(
            start_ms=start,
            latency_ms=np.asarray(latency_ms, dtype=np.float64),
            status=np.asarray(status, dtype=np.int64),
            ok=np.asarray(ok, dtype=bool),
            error=list(error) if error is not None else [""] * n,
        )


@dataclass
class Sample:
    t_s: float
    kind: str
    name: str
    field: str
    value: float


@dataclass
class Trial:
    number: int
    dir: str
    path: Path
    valid: bool
    invalid_reasons: list[str]
    aborted: bool
    abort_reason: str | None
    requests: Requests | None
    vus: dict[str, np.ndarray] | None
    samples: list[Sample]
    loadgen: dict
    problems: list[str] = field(default_factory=list)  # e.g. missing files of an invalid trial
    # --usage simulated: per Deployment, usage.csv's columns (t_s, target_rate,
    # serving_pods, millicores_per_pod); None for a trial that sent requests.
    usage: dict[str, dict[str, np.ndarray]] | None = None


@dataclass
class Run:
    path: Path
    summary: dict
    trials: list[Trial]


def read_json(path: Path) -> object:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise InputError(f"missing file: {path}") from None
    except json.JSONDecodeError as e:
        raise InputError(f"not valid JSON: {path}: {e}") from None
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror}") from None


def _read_csv(path: Path, required: tuple[str, ...]) -> tuple[list[str], list[list[str]]]:
    """Returns (header, rows); rows have exactly len(header) cells."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            try:
                header = [h.strip() for h in next(reader)]
            except StopIteration:
                raise InputError(f"empty file (no header): {path}") from None
            missing = [c for c in required if c not in header]
            if missing:
                raise InputError(
                    f"{path}: header lacks {', '.join(missing)} (expected {','.join(required)}; got {','.join(header)})"
                )
            rows = []
            for row in reader:
                if not row:
                    continue
                if len(row) != len(header):
                    raise InputError(f"{path}:{reader.line_num}: {len(row)} fields, header has {len(header)}")
                rows.append(row)
            return header, rows
    except FileNotFoundError:
        raise InputError(f"missing file: {path}") from None
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text: {e}") from None
    except csv.Error as e:
        raise InputError(f"{path}: malformed CSV: {e}") from None
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror}") from None


def _column(path: Path, header: list[str], rows: list[list[str]], name: str, dtype) -> np.ndarray:
    i = header.index(name)
    cells = [r[i] for r in rows]
    try:
        return np.array(cells, dtype=np.float64).astype(dtype, copy=False)
    except ValueError:
        for line, cell in enumerate(cells, start=2):
            try:
                float(cell)
            except ValueError:
                raise InputError(f"{path}:{line}: column {name}: not a number: {cell!r}") from None
        raise


def read_requests(path: Path) -> Requests:
    header, rows = _read_csv(path, REQUEST_COLUMNS)
    start = _column(path, header, rows, "start_ms", np.float64)
    latency = _column(path, header, rows, "latency_ms", np.float64)
    status = _column(path, header, rows, "status", np.float64)
    if not np.all(np.isfinite(start)) or not np.all(np.isfinite(latency)):
        raise InputError(f"{path}: start_ms and latency_ms must be finite numbers")
    if np.any(status != np.round(status)):
        raise InputError(f"{path}: status must be an integer")
    i_ok = header.index("ok")
    ok = np.empty(len(rows), dtype=bool)
    for j, r in enumerate(rows):
        cell = r[i_ok].strip()
        if cell in _TRUE:
            ok[j] = True
        elif cell in _FALSE:
            ok[j] = False
        else:
            raise InputError(f"{path}:{j + 2}: column ok: expected 1 or 0, got {cell!r}")
    i_err = header.index("error")
    return Requests(
        start_ms=start,
        latency_ms=latency,
        status=status.astype(np.int64),
        ok=ok,
        error=[r[i_err] for r in rows],
    )


def read_vus(path: Path) -> dict[str, np.ndarray] | None:
    """Columns of vus.csv as float arrays (empty cells -> NaN); None when absent."""
    if not path.exists():
        return None
    header, rows = _read_csv(path, VUS_COLUMNS)
    out = {}
    for name in VUS_COLUMNS:
        i = header.index(name)
        vals = []
        for line, r in enumerate(rows, start=2):
            cell = r[i].strip()
            if cell == "":
                vals.append(math.nan)
                continue
            try:
                vals.append(float(cell))
            except ValueError:
                raise InputError(f"{path}:{line}: column {name}: not a number: {cell!r}") from None
        out[name] = np.array(vals, dtype=np.float64)
    return out


def read_samples(path: Path) -> list[Sample]:
    """samples.csv rows; a missing or header-only file gives []. Rows whose
    value or time is not a number are skipped (a metric the runner could not read)."""
    if not path.exists() or path.stat().st_size == 0:
        return []
    header, rows = _read_csv(path, SAMPLE_COLUMNS)
    idx = [header.index(c) for c in SAMPLE_COLUMNS]
    out = []
    for r in rows:
        t, kind, name, fld, value = (r[i] for i in idx)
        try:
            tf, vf = float(t), float(value)
        except ValueError:
            continue
        if math.isfinite(tf) and math.isfinite(vf):
            out.append(Sample(tf, kind.strip(), name.strip(), fld.strip(), vf))
    return out


def read_usage(path: Path) -> dict[str, dict[str, np.ndarray]]:
    """usage.csv by Deployment: arrays of t_s, target_rate, serving_pods, millicores_per_pod."""
    header, rows = _read_csv(path, USAGE_COLUMNS)
    numeric = [c for c in USAGE_COLUMNS if c != "app"]
    cols = {c: _column(path, header, rows, c, np.float64) for c in numeric}
    apps = [r[header.index("app")].strip() for r in rows]
    out: dict[str, dict[str, np.ndarray]] = {}
    for app in dict.fromkeys(apps):
        mask = np.array([a == app for a in apps])
        out[app] = {c: cols[c][mask] for c in numeric}
    return out


def _trial_entry(summary_path: Path, i: int, entry: object) -> tuple[int, str, bool, list, bool, object]:
    if not isinstance(entry, dict):
        raise InputError(f"{summary_path}: trials[{i}] is not an object")
    number = entry.get("trial", i + 1)
    if not isinstance(number, int) or isinstance(number, bool):
        raise InputError(f"{summary_path}: trials[{i}].trial is not an integer")
    tdir = entry.get("dir") or f"trial-{number}"
    if not isinstance(tdir, str) or "/" in tdir or tdir in (".", ".."):
        raise InputError(f"{summary_path}: trials[{i}].dir is not a directory name: {tdir!r}")
    valid = entry.get("valid", False) is True
    reasons = entry.get("invalidReasons") or []
    if not isinstance(reasons, list):
        reasons = [str(reasons)]
    return number, tdir, valid, [str(r) for r in reasons], entry.get("aborted") is True, entry.get("abortReason")


def _load_trial_files(tpath: Path):
    req_path = tpath / "requests.csv"
    requests = read_requests(req_path) if req_path.is_file() else None
    if requests is None:
        raise InputError(f"no requests.csv: {req_path}")
    loadgen = {}
    lg_path = tpath / "loadgen-summary.json"
    if lg_path.is_file():
        lg = read_json(lg_path)
        loadgen = lg if isinstance(lg, dict) else {}
    return requests, read_vus(tpath / "vus.csv"), read_samples(tpath / "samples.csv"), loadgen


def load_run(run_dir: Path | str) -> Run:
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise InputError(f"not a run directory: {run_dir}")
    summary_path = run_dir / "summary.json"
    if not summary_path.is_file():
        raise InputError(f"missing summary.json: {summary_path}")
    summary = read_json(summary_path)
    if not isinstance(summary, dict):
        raise InputError(f"{summary_path}: expected a JSON object")
    entries = summary.get("trials", [])
    if not isinstance(entries, list):
        raise InputError(f"{summary_path}: trials is not a list")

    trials = []
    simulated = summary.get("usage") == "simulated"
    for i, entry in enumerate(entries):
        number, tdir, valid, reasons, aborted, abort_reason = _trial_entry(summary_path, i, entry)
        tpath = run_dir / tdir
        data = _simulated_files(number, tpath, valid) if simulated else _request_files(number, tpath, valid)
        trials.append(
            Trial(
                number=number,
                dir=tdir,
                path=tpath,
                valid=valid,
                invalid_reasons=reasons,
                aborted=aborted,
                abort_reason=None if abort_reason is None else str(abort_reason),
                **data,
            )
        )
    return Run(path=run_dir, summary=summary, trials=trials)


def _request_files(number: int, tpath: Path, valid: bool) -> dict:
    """A trial that sent requests: requests.csv (required when valid), vus.csv, samples.csv."""
    req_path = tpath / "requests.csv"
    if valid and not req_path.is_file():
        raise InputError(f"trial {number} is marked valid but has no requests.csv: {req_path}")
    data = {"requests": None, "vus": None, "samples": [], "loadgen": {}, "problems": []}
    try:
        data["requests"], data["vus"], data["samples"], data["loadgen"] = _load_trial_files(tpath)
    except InputError as e:
        if valid:
            raise
        # An invalid (e.g. aborted) trial may have partial files: list it, don't fail the run.
        data["problems"].append(str(e))
    return data


def _simulated_files(number: int, tpath: Path, valid: bool) -> dict:
    """A --usage simulated trial: no request was sent; usage.csv (required when valid) and samples.csv."""
    usage_path = tpath / "usage.csv"
    data = {"requests": None, "vus": None, "samples": read_samples(tpath / "samples.csv"), "loadgen": {}, "problems": [], "usage": None}
    if usage_path.is_file():
        data["usage"] = read_usage(usage_path)
    elif valid:
        raise InputError(f"trial {number} is marked valid but has no usage.csv: {usage_path}")
    else:
        data["problems"].append(f"no usage.csv: {usage_path}")
    return data
