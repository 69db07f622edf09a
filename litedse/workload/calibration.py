"""Calibration rows (shared/reference/hardware.md, "Calibration data") and the model's prediction of
each. Used by benchmarks/calibration.py (the printed table) and tests/test_calibration.py.

C1: Korthikanti et al. 2022 (arXiv 2205.05198) Tables 3 and 5: iteration time on Selene (catalog
A100, one 200 Gb/s HDR NIC per GPU), s = 2048, no data parallelism; "full" is full activation
recompute without sequence parallelism, "selective" is selective recompute with sequence parallelism;
plus the paper's 530B point at 8-way data parallelism (39.15 s, gradient all-reduce not overlapped).
C2: TensorRT-LLM v0.5.0 static batching at a fixed batch: (b) performance.md, H100 FP8 Llama 70B;
(c) H200 launch blog; (d) H100-vs-A100 blog, GPT-J 6B. Output tok/s = batch * OSL / (prefill time
+ OSL * step time).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources

import numpy as np

from litedse import presets
from litedse.tech.sku import catalog_sku
from litedse.workload.models import catalog_names, resolve_model
from litedse.workload.performance import evaluate_columns
from litedse.workload.spec import WorkloadSpec


@dataclass(frozen=True)
class Row:
    table: str          # calibration table of hardware.md
    label: str
    sku: str
    model: str
    kind: str           # "training" or "serving"
    precision: str
    tp: int
    pp: int
    batch: int          # global batch (training) or fixed serving batch
    microbatch: int
    seq_in: int         # training sequence length or input tokens
    seq_out: int        # output tokens (serving)
    recompute: str      # training: "full" or "selective"
    measured: float     # iteration s (training), output tok/s (serving), first-token s (ttft rows)
    metric: str         # "iteration_s", "tokens_per_s" or "ttft_s"
    bound: float        # accepted relative error
    dp: int = 1         # data parallelism (training)
    stack: str = "trtllm-2023"   # serving stack of the measurement (litedse/presets/serving)


KORTHIKANTI = [  # (model, heads.., tp, pp, gbs, mbs, full s, selective s)
    ("korthikanti-22b", 8, 1, 4, 4, 1.42, 1.10),
    ("korthikanti-175b", 8, 8, 64, 1, 18.13, 13.75),
    ("korthikanti-530b", 8, 35, 280, 1, 49.05, 37.83),
    ("korthikanti-1t", 8, 64, 512, 1, 94.42, 71.49),
]

ROWS: list[Row] = []
for _name, _tp, _pp, _gb, _mb, _full, _sel in KORTHIKANTI:
    for _rc, _t in (("full", _full), ("selective", _sel)):
        ROWS.append(Row("C1 Korthikanti 2022 Table 5", f"{_name.split('-')[1].upper()} {_rc}", "a100", _name,
                        "training", "bf16", _tp, _pp, _gb, _mb, 2048, 0, _rc, _t, "iteration_s", 0.15))

ROWS.append(Row("C1 Korthikanti 2022 s.6 (DP point)", "530B selective DP8", "a100", "korthikanti-530b", "training",
                "bf16", 8, 35, 280 * 8, 1, 2048, 0, "selective", 39.15, "iteration_s", 0.15, dp=8))

for _isl, _osl, _tps in ((128, 128, 3317), (128, 2048, 2616), (2048, 128, 843), (2048, 2048, 1583)):
    ROWS.append(Row("C2(b) TRT-LLM v0.5 performance.md", f"H100 FP8 llama-70B TP4 b64 {_isl}/{_osl}", "h100",
                    "llama2-70b", "serving", "fp8", 4, 1, 64, 1, _isl, _osl, "", _tps, "tokens_per_s", 0.25))
for _b, _tp, _isl, _osl, _tps in ((512, 1, 128, 128, 3014), (512, 4, 128, 2048, 6616), (64, 2, 2048, 128, 682),
                                  (32, 1, 2048, 128, 303)):
    ROWS.append(Row("C2(c) TRT-LLM v0.5 H200 launch", f"H200 FP8 llama-70B TP{_tp} b{_b} {_isl}/{_osl}", "h200",
                    "llama2-70b", "serving", "fp8", _tp, 1, _b, 1, _isl, _osl, "", _tps, "tokens_per_s", 0.25))
ROWS += [
    Row("C2(d) TRT-LLM H100 vs A100 blog", "GPT-J H100 FP8 b64 128/128", "h100", "gpt-j-6b", "serving", "fp8",
        1, 1, 64, 1, 128, 128, "", 10907, "tokens_per_s", 0.25),
    Row("C2(d) TRT-LLM H100 vs A100 blog", "GPT-J H100 FP8 b64 first token", "h100", "gpt-j-6b", "serving", "fp8",
        1, 1, 64, 1, 128, 128, "", 0.102, "ttft_s", 0.25),
    Row("C2(d) TRT-LLM H100 vs A100 blog", "GPT-J H100 FP8 b1 first token", "h100", "gpt-j-6b", "serving", "fp8",
        1, 1, 1, 1, 128, 128, "", 0.0071, "ttft_s", 0.25),
    Row("C2(d) TRT-LLM H100 vs A100 blog", "GPT-J A100 FP16 b64 128/128", "a100", "gpt-j-6b", "serving", "bf16",
        1, 1, 64, 1, 128, 128, "", 3679, "tokens_per_s", 0.25),
]


def workload_of(row: Row) -> WorkloadSpec:
    if row.kind == "training":
        return WorkloadSpec(name=row.model, kind="training", precision=row.precision, model=row.model,
                            sequence_length=row.seq_in, global_batch=row.batch, recompute=row.recompute,
                            sequence_parallel=row.recompute == "selective", zero_stage=1, demand_tokens_per_s=1.0)
    return WorkloadSpec(name=row.model, kind="serving", precision=row.precision, model=row.model,
                        input_tokens=row.seq_in, output_tokens=row.seq_out, batching="static",
                        demand_tokens_per_s=1.0)


def stacks() -> dict[str, dict]:
    """Every shipped serving stack's values, by name (fresh copies: a fit may change them)."""
    return {name: presets.load("serving", name)[0] for name in presets.available("serving")}


_STACKS: dict[str, dict] = {}


def _shipped_stacks() -> dict[str, dict]:
    """The shipped stacks, read once (the rows' default when a caller passes none)."""
    if not _STACKS:
        _STACKS.update(stacks())
    return _STACKS


def evaluate_row(row: Row, perf: dict, stack_values: dict[str, dict] | None = None) -> dict[str, np.ndarray]:
    """The model's figures for one row, with the row's serving stack (from ``stack_values`` if given,
    else the shipped preset) in place of ``perf``'s."""
    perf = {**perf, "stack": (stack_values or _shipped_stacks())[row.stack]}
    w = workload_of(row)
    model = resolve_model(row.model, row.model)
    mapping = {"tp": np.array([row.tp]), "pp": np.array([row.pp]), "dp": np.array([row.dp]), "ep": np.array([1]),
               "batch": np.array([row.batch]), "microbatch": np.array([row.microbatch])}
    return evaluate_columns(catalog_sku(row.sku), mapping, w, model, perf)


def predict(row: Row, perf: dict, stack_values: dict[str, dict] | None = None) -> float:
    return float(evaluate_row(row, perf, stack_values)[row.metric][0])


def table(perf: dict, stack_values: dict[str, dict] | None = None, rows: list[Row] | None = None) -> list[dict]:
    """Every row with predicted, measured and relative error."""
    result = []
    for row in ROWS if rows is None else rows:
        pred = predict(row, perf, stack_values)
        result.append({"table": row.table, "row": row.label, "metric": row.metric, "predicted": pred,
                       "measured": row.measured, "error": pred / row.measured - 1.0, "bound": row.bound})
    return result


HEADER = (f"{'source':34s} {'row':40s} {'metric':12s} {'predicted':>11s} {'measured':>11s} {'error':>8s} "
          f"{'bound':>6s}")


def within_bound(row: dict) -> bool:
    """Whether a ``table`` row's relative error is within its bound."""
    return abs(row["error"]) <= row["bound"]


def format_row(row: dict) -> str:
    """One ``table`` row as a line under ``HEADER`` (flagged when out of its bound)."""
    return (f"{row['table']:34s} {row['row']:40s} {row['metric']:12s} {row['predicted']:11.4g} "
            f"{row['measured']:11.4g} {100 * row['error']:+7.1f}% {100 * row['bound']:5.0f}%"
            + ("" if within_bound(row) else "  OUT OF BOUND"))


# ----------------------------------------------------------------------------------------------
# S: current serving engines (litedse/presets/calibration/serving_rows.toml)
# ----------------------------------------------------------------------------------------------
SERVING_FILE = "serving_rows.toml"
# the rows the serving-stack efficiencies are fitted on (the engine versions, by the version text
# of their source); the other versions are kept out of the fit and only predicted
FIT_VERSIONS = ("0.17", "0.20")
CATALOG_GPUS = ("a100", "h100", "h200", "b200")


@dataclass(frozen=True)
class ServingRow:
    """One measured max-throughput run of a current engine: output tok/s of one replica."""

    source: str
    version: str        # engine version ("0.17", "1.0", ...)
    model: str
    sku: str
    precision: str      # bf16 (16-bit rows), fp8, fp4
    tp: int
    pp: int
    ep: int
    isl: int
    osl: int
    measured: float     # output tokens/s of one tp x pp x ep replica
    fitted: bool        # in the fit (FIT_VERSIONS) or kept out
    stack: str = "trtllm-2025"

    @property
    def label(self) -> str:
        par = f"EP{self.ep}" if self.ep > 1 else f"TP{self.tp}" + (f"PP{self.pp}" if self.pp > 1 else "")
        return f"{self.sku} {self.precision} {self.model} {par} {self.isl}/{self.osl} v{self.version}"


def _version(engine: str) -> str:
    return engine.split()[1] if engine.startswith("TensorRT-LLM ") else ""


def serving_rows() -> list[ServingRow]:
    """The TensorRT-LLM perf-overview rows of catalog GPUs and models with stated parallelism and
    lengths (the MLPerf rows give no lengths, the online-serving rows are at a fixed request rate)."""
    text = resources.files("litedse.presets").joinpath("calibration", SERVING_FILE).read_text()
    models = set(catalog_names())
    rows = []
    for r in tomllib.loads(text)["row"]:
        version = _version(r["engine"])
        if (not version or "Triton" in r["engine"] or r["gpu"] not in CATALOG_GPUS or r["model"] not in models
                or r["isl"] <= 0 or r["osl"] <= 0 or r["tp"] <= 0
                or r["metric"] not in ("output_tokens_per_s_total", "output_tokens_per_s_per_gpu")):
            continue
        gpus = r["tp"] * max(r["pp"], 1)
        value = r["value"] * (gpus if r["metric"].endswith("per_gpu") else 1)
        ep = max(r["ep"], 1)
        # "DEP" rows: attention data-parallel over the expert-parallel ranks (litedse: tp 1, ep n)
        tp = 1 if ep > 1 else r["tp"]
        rows.append(ServingRow(source=r["source"], version=version.removesuffix(".0") if version.count(".") > 1
                               else version, model=r["model"], sku=r["gpu"],
                               precision="bf16" if r["precision"] in ("fp16", "bf16") else r["precision"],
                               tp=tp, pp=max(r["pp"], 1), ep=ep, isl=r["isl"], osl=r["osl"], measured=value,
                               fitted=any(version.startswith(v) for v in FIT_VERSIONS)))
    return rows


def predict_serving(rows: list[ServingRow], perf: dict, stack_values: dict[str, dict] | None = None) -> np.ndarray:
    """Predicted output tok/s of every row, one vectorised evaluation per (model, precision,
    lengths) group with every row's catalog SKU and mapping as a column."""
    stack_values = stack_values or _shipped_stacks()
    skus = {}
    pred = np.zeros(len(rows))
    groups: dict[tuple, list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault((r.model, r.precision, r.isl, r.osl, r.stack), []).append(i)
    for (model_name, precision, isl, osl, stack_name), idx in groups.items():
        for i in idx:
            if rows[i].sku not in skus:
                skus[rows[i].sku] = catalog_sku(rows[i].sku)
        table = {k: np.concatenate([skus[rows[i].sku][k] for i in idx]) for k in skus[rows[idx[0]].sku]}
        run_perf = {**perf, "stack": stack_values[stack_name]}
        limit = int(run_perf["stack"]["batching"]["max_batch"])
        mapping = {"tp": np.array([rows[i].tp for i in idx]), "pp": np.array([rows[i].pp for i in idx]),
                   "ep": np.array([rows[i].ep for i in idx]), "dp": np.ones(len(idx), dtype=int),
                   "batch": np.full(len(idx), limit), "microbatch": np.ones(len(idx), dtype=int)}
        w = WorkloadSpec(name=model_name, kind="serving", precision=precision, model=model_name, input_tokens=isl,
                         output_tokens=osl, demand_tokens_per_s=1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = evaluate_columns(table, mapping, w, resolve_model(model_name, model_name), run_perf)
        pred[idx] = out["tokens_per_s"]
    return pred


def serving_errors(rows: list[ServingRow], perf: dict, stack_values: dict[str, dict] | None = None) -> np.ndarray:
    """Relative error predicted / measured - 1 of every row."""
    return predict_serving(rows, perf, stack_values) / np.array([r.measured for r in rows]) - 1.0


def serving_summary(perf: dict, stack_values: dict[str, dict] | None = None) -> dict:
    """The S rows' errors: mean absolute error on the rows fitted and kept out, and per (GPU,
    precision, engine version) group (what ``litedse calibrate`` and benchmarks/calibration.py print)."""
    rows = serving_rows()
    errors = serving_errors(rows, perf, stack_values)
    fitted = np.array([r.fitted for r in rows])
    groups: dict[tuple, list[float]] = {}
    for r, e in zip(rows, errors):
        groups.setdefault((r.sku, r.precision, r.version, "fit" if r.fitted else "kept out"), []).append(float(e))
    return {
        "rows": len(rows), "fitted_rows": int(fitted.sum()), "kept_out_rows": int((~fitted).sum()),
        "models": sorted({r.model for r in rows}), "gpus": sorted({r.sku for r in rows}),
        "fit_versions": list(FIT_VERSIONS),
        "mae_fitted": float(np.mean(np.abs(errors[fitted]))), "mae_kept_out": float(np.mean(np.abs(errors[~fitted]))),
        "groups": [{"gpu": k[0], "precision": k[1], "version": k[2], "set": k[3], "rows": len(v),
                    "mean_error": float(np.mean(v)), "mae": float(np.mean(np.abs(v)))} for k, v in sorted(groups.items())],
        "bound_fitted": SERVING_BOUND_FITTED, "bound_kept_out": SERVING_BOUND_KEPT_OUT,
    }


# issue 12's acceptance bars on the S rows (mean absolute error)
SERVING_BOUND_FITTED = 0.15
SERVING_BOUND_KEPT_OUT = 0.20


def format_serving_summary(summary: dict) -> list[str]:
    """The summary as text lines."""
    lines = [f"{'S: gpu':8s} {'precision':9s} {'version':8s} {'set':9s} {'rows':>5s} {'mean err':>9s} {'MAE':>7s}"]
    for g in summary["groups"]:
        lines.append(f"{g['gpu']:8s} {g['precision']:9s} {g['version']:8s} {g['set']:9s} {g['rows']:5d} "
                     f"{100 * g['mean_error']:+8.1f}% {100 * g['mae']:6.1f}%")
    lines.append(f"S: {summary['rows']} rows ({summary['fitted_rows']} fitted on TRT-LLM "
                 f"{', '.join(summary['fit_versions'])}, {summary['kept_out_rows']} kept out), models "
                 f"{', '.join(summary['models'])}, GPUs {', '.join(summary['gpus'])}")
    lines.append(f"S: mean absolute error {100 * summary['mae_fitted']:.1f}% on the fitted rows (bound "
                 f"{100 * summary['bound_fitted']:.0f}%), {100 * summary['mae_kept_out']:.1f}% on the rows kept out "
                 f"(bound {100 * summary['bound_kept_out']:.0f}%)")
    return lines


def serving_within_bounds(summary: dict) -> bool:
    return summary["mae_fitted"] <= summary["bound_fitted"] and summary["mae_kept_out"] <= summary["bound_kept_out"]
