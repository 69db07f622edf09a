"""All uncertain parameters at once: from one optimal solve per (sample, class), the probability
that the first class beats the second, quantiles of their ratio, and which parameters explain it
(Spearman rank correlation of each parameter with the log ratio; its square is the share of the
rank variance a monotone effect of that parameter alone would explain).

``summarize`` takes the samples frame the batch layer assembles (``litedse.batch.uncertainty``):
one row per sample, the parameter values in columns named by key path, and ``metric:<class>`` (inf
where the class has no design, NaN where the solve failed). The ``litedse uncertainty --format
json`` document is ``litedse.results.documents.uncertainty_document``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def metric_column(cls: str) -> str:
    return f"metric:{cls}"


def summarize(samples: pd.DataFrame, keys: list[str], classes: tuple[str, str]) -> dict:
    """P(A beats B), the ratio's quantiles and the rank correlations of ``samples``."""
    A, B = classes
    a, b = samples[metric_column(A)].to_numpy(float), samples[metric_column(B)].to_numpy(float)
    solved = ~(np.isnan(a) | np.isnan(b))                     # no failed solve
    decided = solved & ~(np.isinf(a) & np.isinf(b))            # at least one class has a design
    both = solved & np.isfinite(a) & np.isfinite(b)
    ratio = np.where(both, a / np.where(both, b, 1.0), np.nan)
    n = int(decided.sum())
    p_a = float(np.mean(a[decided] < b[decided])) if n else math.nan
    p_tie = float(np.mean(a[decided] == b[decided])) if n else math.nan
    quantiles = {f"{q:g}": float(np.quantile(ratio[both], q)) if both.any() else math.nan for q in QUANTILES}
    attribution = []
    log_ratio = np.log(ratio[both])
    for key in keys:
        x = samples[key].to_numpy(float)[both]
        if len(x) < 3 or np.ptp(x) == 0 or np.ptp(log_ratio) == 0:
            rho, pval = math.nan, math.nan
        else:
            res = stats.spearmanr(x, log_ratio)
            rho, pval = float(res.statistic), float(res.pvalue)
        attribution.append({"key": key, "spearman_rho": rho, "rho_squared": rho * rho, "p_value": pval})
    attribution.sort(key=lambda r: -abs(r["spearman_rho"]) if math.isfinite(r["spearman_rho"]) else 0.0)
    return {"samples": int(len(samples)), "decided": n, "failed": int((~solved).sum()),
            "both_feasible": int(both.sum()), "p_a_wins": p_a, "p_tie": p_tie,
            "ratio_mean": float(np.mean(ratio[both])) if both.any() else math.nan,
            "ratio_quantiles": quantiles, "attribution": attribution}
