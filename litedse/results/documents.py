"""The versioned JSON documents litedse prints: ``solve`` (README "Solve JSON schema") and the
Pareto front of one class. Documents hold plain JSON-able values only."""

from __future__ import annotations

from typing import Any

import numpy as np

from litedse.jsonable import jsonable
from litedse.optimize.pareto import ParetoFront
from litedse.optimize.problem import CRITERIA
from litedse.inputs.instance import Instance
from litedse.results.metrics import breakdowns
from litedse.results.provenance import provenance
from litedse.solve import SolveResult
from litedse.tech.sku import DESIGN_AXES
from litedse.workload.performance import MAPPING_KEYS
from litedse.workload.placement import PLACEMENTS

SOLVE_SCHEMA_VERSION = 6       # 2: objective.sense, topology and hosts in designs, totals and breakdown;
                               # 3: solver.method_requested and solver.method_reason (--method auto); 4: provenance;
                               # 5: memory tiers (designs' memory and tier2_*, workloads' memory placement);
                               # 6: solver.skus_not_searched (design.md, Proposition 12)
PARETO_SCHEMA_VERSION = 2      # 2: provenance
EVALUATE_SCHEMA_VERSION = 2    # 2: workloads[].memory (the placement), sku.memory and tier2_*
SENSITIVITY_SCHEMA_VERSION = 1  # README "Sensitivity JSON schema"
UNCERTAINTY_SCHEMA_VERSION = 1  # README "Uncertainty JSON schema"
# per parameter of the sensitivity document, in this order (the keys first)
SENSITIVITY_KEYS = ("key", "default", "low", "high", "source", "ratio_low", "ratio_high", "break_even",
                    "winner_below", "winner_above", "unit", "distribution", "default_source", "swing", "winner_low",
                    "winner_high", "method", "tolerance", "certified", "infeasible", "break_evens", "solves")
# scalar figures of a SKU card that the solve document carries per design, after the axes
DESIGN_METRICS = ("unit_cost_usd", "tdp_w", "peak_tflops_bf16", "peak_tflops_fp8", "hbm_capacity_gb",
                  "hbm_bandwidth_gb_s", "offpackage_bandwidth_gb_s", "die_yield", "die_cost_usd",
                  "dies_per_wafer", "failures_per_year", "shoreline_mm", "shoreline_used_mm", "packages_per_host",
                  "host_cost_usd", "scaleout_gbps", "scaleout_gbps_per_host", "network_cost_usd",
                  "scaleout_gbps_per_tflops", "tier2", "tier2_devices", "tier2_capacity_gb",
                  "tier2_read_bandwidth_gb_s", "tier2_write_bandwidth_gb_s", "tier2_cost_usd", "tier2_w",
                  "memory_capacity_gb")
SOLVER_KEYS = ("name", "version", "method", "method_requested", "method_reason", "wall_s", "build_s", "solve_s",
               "columns_enumerated", "columns_kept", "skus_not_searched", "variables", "constraints")
# a workload's memory placement (weights and KV: hbm, tier2 or striped) and these figures
MEMORY_FIGURES = ("weights_tier2_share", "kv_tier2_share", "tier1_gb", "tier2_gb", "kv_write_gb_s", "tier2_write_cycles")
WORKLOAD_FIGURES = ("ttft_s", "tpot_s", "tokens_per_s", "requests_per_s", "iteration_s", "memory_gb_per_package",
                    "mfu", "availability")


def solve_document(res: SolveResult) -> dict[str, Any]:
    """The ``litedse solve --format json`` document (README: "Solve JSON schema")."""
    p, s = res.problem, res.solution
    doc: dict[str, Any] = {
        "schema_version": SOLVE_SCHEMA_VERSION,
        "instance": res.instance.name,
        "status": s.status,
        "objective": {"name": s.objective_name, "sense": s.objective_sense,
                      "value": jsonable(s.objective_value) if s.feasible else None, "unit": s.objective_unit},
        "gap": jsonable(s.gap) if s.feasible else None,
        "designs": [], "workloads": [], "totals": {}, "breakdown": None, "binding_constraints": list(s.binding),
        "explanation": s.explanation or None,
        "solver": {k: jsonable(s.solver.get(k)) for k in SOLVER_KEYS},
        "provenance": provenance(res.instance),
    }
    if not s.feasible:
        return doc
    skus_used = [int(k) for k in np.unique(p.col_sku[s.column])]
    design_of_sku = {k: i for i, k in enumerate(skus_used)}
    table = p.sku_table
    for k in skus_used:
        row = table.iloc[k]
        card = {f: jsonable(row[f]) for f in DESIGN_AXES}
        card["die_design"] = p.die_labels[int(p.sku_die[k])]
        card["packages"] = int(s.packages[k])
        card.update({f: jsonable(row[f]) for f in DESIGN_METRICS if f in row})
        card["capex_usd_per_package"] = float(p.sku_capex_usd[k])
        card["it_w_per_package"] = float(p.sku_it_w[k])
        doc["designs"].append(card)
    ct = p.col_table
    for w, name in enumerate(p.workload_names):
        c = int(s.column[w])
        n = int(s.replicas[w])
        row = ct.iloc[c]
        wl = res.instance.workloads[w]
        entry = {
            "name": name, "kind": wl.kind, "design": design_of_sku[int(p.col_sku[c])],
            "mapping": {k: int(row[k]) for k in MAPPING_KEYS if k in row},
            "replicas": n, "packages": int(p.col_packages[c]) * n,
            "throughput": float(p.col_throughput[c]) * n, "throughput_per_replica": float(p.col_throughput[c]),
            "demand": float(p.demand[w]) * float(s.demand_scale), "unit": p.demand_unit[w],
        }
        for key in WORKLOAD_FIGURES:
            entry[key] = jsonable(float(row[key])) if key in row else None
        weights, kv = PLACEMENTS[int(row["placement"])] if "placement" in row else PLACEMENTS[0]
        entry["memory"] = {"weights": weights, "kv": kv,
                           **{k: jsonable(float(row[k])) if k in row else None for k in MEMORY_FIGURES}}
        doc["workloads"].append(entry)
    switches = dict(zip(p.fabric_names, (int(v) for v in s.fabric_switches)))
    bought = np.flatnonzero(s.packages)          # (a sum that does not depend on the unused SKUs)
    ocs_ports = float(s.packages[bought] @ table["ocs_ports"].to_numpy(float)[bought]) if "ocs_ports" in table else 0.0
    doc["totals"] = {"capex_usd": s.capex_usd, "it_power_w": s.it_power_w, "facility_power_w": s.facility_power_w,
                     "packages": int(np.sum(s.packages)), "switches": int(np.sum(s.fabric_switches)),
                     "racks": int(s.racks), "tco_usd": s.tco_usd, "demand_scale": s.demand_scale,
                     "hosts": int(np.sum(s.hosts)),
                     # the photonic fabric carries scale-up (and the scale-out of switched CPO packages);
                     # the electrical fabric is the NICs' scale-out network
                     "switches_scaleup": switches.get("cpo", 0), "switches_scaleout": switches.get("electrical", 0),
                     "ocs_ports": ocs_ports}
    cost, power = breakdowns(res)
    doc["breakdown"] = {"capex_usd": cost, "power_w": power}
    return doc


def sensitivity_document(frame) -> dict[str, Any]:
    """The ``litedse sensitivity --format json`` document of a ``results.sensitivity.sensitivity``
    frame (README: "Sensitivity JSON schema"); NaN and infinities become null."""
    a = frame.attrs
    return {"schema_version": SENSITIVITY_SCHEMA_VERSION, "instance": a["instance"], "classes": list(a["classes"]),
            "metric": a["metric"], "unit": a["unit"], "ratio": jsonable(a["ratio"]), "winner": a["winner"],
            "values": {k: jsonable(v) for k, v in a["values"].items()}, "solves": a["solves"], "wall_s": a["wall_s"],
            "certify_step": a["certify_step"],
            "parameters": [{k: jsonable(rec[k]) for k in SENSITIVITY_KEYS} for rec in frame.to_dict("records")]}


def uncertainty_document(run) -> dict[str, Any]:
    """The ``litedse uncertainty --format json`` document of a ``batch.uncertainty.UncertaintyRun``
    (README: "Uncertainty JSON schema"): the statistics, then every sample (values and metrics)."""
    s = run.summary
    batch = run.batch
    return jsonable({
        "schema_version": UNCERTAINTY_SCHEMA_VERSION, "instance": run.instance, "classes": list(run.classes),
        "metric": run.metric, "seed": run.seed, "sampler": run.sampler, "parameters": run.keys,
        "samples": s["samples"], "decided": s["decided"], "both_feasible": s["both_feasible"], "failed": s["failed"],
        "p_a_wins": s["p_a_wins"], "p_tie": s["p_tie"], "ratio_mean": s["ratio_mean"],
        "ratio_quantiles": s["ratio_quantiles"], "attribution": s["attribution"],
        "store": run.store, "solves_run": batch.ran if batch else None, "solves_reused": batch.skipped if batch else None,
        "wall_s": run.timings.get("wall_s"),
        "points": [{"sample": int(i), "values": {k: row[k] for k in run.keys},
                    "metric": {c: row[f"metric:{c}"] for c in run.classes}, "ratio": row["ratio"], "winner": row["winner"]}
                   for i, row in run.samples.iterrows()],
    })


def front_document(front: ParetoFront) -> dict[str, Any]:
    """One class's front in ``litedse pareto --format json``: both criteria with sense and unit,
    the sweep's statistics, and every point's criteria, design and column choice."""
    def axis(name):
        return {"name": name, "sense": CRITERIA[name].sense, "unit": CRITERIA[name].unit}

    return {"x": axis(front.x), "y": axis(front.y), "mode": front.mode, "complete": front.complete,
            "status": front.status, "explanation": front.explanation, "solves": front.solves,
            "wall_s": front.wall_s, "build_s": front.build_s,
            "points": [{"values": pt.values, "epsilon": pt.epsilon, "design": pt.design,
                        "columns": pt.solution.column.tolist(), "replicas": pt.solution.replicas.tolist(),
                        "packages": int(np.sum(pt.solution.packages))} for pt in front.points]}


def pareto_document(inst: Instance, x: str, y: str, fronts: dict[str, dict], table) -> dict[str, Any]:
    """``litedse pareto --format json``: each class's front (``front_document``) and the table of
    every point (``litedse.pareto``'s DataFrame)."""
    return {"schema_version": PARETO_SCHEMA_VERSION, "instance": inst.name, "x": x, "y": y, "classes": fronts,
            "table": jsonable(table.to_dict(orient="records")), "provenance": provenance(inst)}


def evaluate_document(inst: Instance, sku: dict, workloads: list[dict], assumptions: list | None = None) -> dict:
    """``litedse evaluate --format json``: the SKU's figures and each workload's evaluation."""
    doc = {"schema_version": EVALUATE_SCHEMA_VERSION, "instance": inst.name,
           "serving_stack": inst.performance.get("serving_stack"), "sku": sku, "workloads": workloads}
    if assumptions is not None:
        doc["assumptions"] = assumptions
    doc["provenance"] = provenance(inst)
    return doc
