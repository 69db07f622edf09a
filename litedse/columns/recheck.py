"""The re-check that re-runs the models: every chosen (design, mapping) is evaluated again from
scratch through the public technology and performance functions, not read from the column arrays
the solver saw, and compared with what the solver used (throughput, packages, memory fit, SLOs,
and the package's cost and power). ``optimize.verify`` re-checks the arithmetic on the arrays;
this re-checks the arrays themselves.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from litedse.columns.build import Built, demand_of
from litedse.inputs.instance import Instance
from litedse.optimize.problem import Problem
from litedse.optimize.solution import Solution
from litedse.optimize.verify import VERIFY_REL_TOL, close
from litedse.tech.economics import sku_economics
from litedse.tech.sku import evaluate_skus
from litedse.workload.models import resolve_model
from litedse.workload.performance import MAPPING_KEYS, evaluate_columns

def recheck(inst: Instance, built: Built, problem: Problem, solution: Solution) -> list[str]:
    """Every disagreement between the solution's columns and a fresh evaluation of the models
    (empty: the figures the solver optimised are the models' own)."""
    p, s = problem, solution
    errors: list[str] = []
    if not s.feasible:
        return errors
    fresh: dict[int, dict] = {}
    for w, workload in enumerate(inst.workloads):
        c = int(s.column[w])
        k = int(p.col_sku[c])
        if k not in fresh:
            design = built.skus.design_of(int(p.sku_table["sku_set_index"].iloc[k]))
            row = evaluate_skus(design, inst.technology)
            econ = sku_economics(pd.DataFrame({key: np.asarray(v) for key, v in row.items()}), inst.technology)
            if not bool(row["feasible"][0]):
                errors.append(f"design {k}: infeasible when evaluated again")
            for label, mine, theirs in (("capex per package", econ["capex_usd"][0], p.sku_capex_usd[k]),
                                        ("IT power per package", econ["it_w"][0], p.sku_it_w[k])):
                if not close(float(mine), float(theirs)):
                    errors.append(f"design {k}: {label} {float(theirs):.9g} used, {float(mine):.9g} evaluated")
            fresh[k] = row
        col = p.col_table.iloc[c]
        mapping = {key: np.array([int(col[key])]) for key in MAPPING_KEYS}
        model = resolve_model(workload.model, workload.name)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = evaluate_columns(fresh[k], mapping, workload, model, inst.performance)
        _, _, metric = demand_of(workload)
        r = float(out[metric][0] * out["availability"][0])
        name = workload.name
        if not bool(out["fits"][0]):
            errors.append(f"workload {name}: the chosen mapping does not fit in HBM when evaluated again")
        if not bool(out["tier_ok"][0]):
            errors.append(f"workload {name}: the chosen mapping fails a memory-tier check when evaluated again")
        if not bool(out["slo_ok"][0]):
            errors.append(f"workload {name}: the chosen mapping misses an SLO when evaluated again")
        for label, limit, value in (("ttft_s", workload.ttft_s, float(out["ttft_s"][0])),
                                    ("tpot_s", workload.tpot_s, float(out["tpot_s"][0]))):
            if limit is not None and math.isfinite(value) and value > limit * (1.0 + VERIFY_REL_TOL):
                errors.append(f"workload {name}: {label} {value:.6g} s > limit {limit:g} s")
        if not close(r, float(p.col_throughput[c])):
            errors.append(f"workload {name}: throughput per replica {float(p.col_throughput[c]):.9g} used, "
                          f"{r:.9g} evaluated")
        if int(out["packages"][0]) != int(p.col_packages[c]):
            errors.append(f"workload {name}: {int(p.col_packages[c])} packages per replica used, "
                          f"{int(out['packages'][0])} evaluated")
    return errors
