"""Design solver on instance-derived problems: the MILP equals the exhaustive enumeration over the
same columns (hypothesis over generated small instances, multi-workload and K = 2 included), every
solution passes the independent re-check, and the CLI's exit codes, JSON schema and infeasibility
explanations behave as documented."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from litedse.cli import main
from litedse.inputs.instance import instance_from_dict, load_instance
from litedse.optimize.verify import verify
from litedse.results.documents import SOLVE_SCHEMA_VERSION as SCHEMA_VERSION
from litedse.results.documents import solve_document
from litedse.solve import solve_instance

MAIN_JOB = "instances/llama3-70b-serving.toml"

SMALL_MAPPING = {"tp": [1, 2, 4, 8], "pp": [1, 2], "batch": [16, 64]}
WORKLOAD_POOL = [
    {"name": "llama3-8b", "kind": "serving", "precision": "fp8", "input_tokens": 1024, "output_tokens": 256,
     "ttft_s": 1.0, "tpot_s": 0.05, "mapping": SMALL_MAPPING},
    {"name": "llama3-70b", "kind": "serving", "precision": "fp8", "input_tokens": 2048, "output_tokens": 256,
     "ttft_s": 2.0, "tpot_s": 0.1, "mapping": SMALL_MAPPING},
    {"name": "mixtral-8x7b", "kind": "serving", "precision": "bf16", "input_tokens": 1024, "output_tokens": 128,
     "mapping": {**SMALL_MAPPING, "ep": [1, 2]}},
    {"name": "llama3-8b-train", "model": "llama3-8b", "kind": "training", "precision": "bf16", "sequence_length": 2048,
     "global_batch": 256, "mapping": {"tp": [1, 2, 4], "pp": [1, 2], "dp": [8, 16, 32, 64], "microbatch": [1]}},
]


@st.composite
def small_instances(draw):
    n_workloads = draw(st.integers(1, 3))
    picks = draw(st.lists(st.integers(0, len(WORKLOAD_POOL) - 1), min_size=n_workloads, max_size=n_workloads,
                          unique=True))
    workloads = []
    for i in picks:
        w = dict(WORKLOAD_POOL[i])
        if w["kind"] == "training":
            w["train_tokens"] = draw(st.sampled_from([2e10, 5e10, 1e11]))
            w["time_budget_days"] = 10
        else:
            w["demand_requests_per_s"] = draw(st.sampled_from([5, 20, 80, 300]))
        workloads.append(w)
    design_space = {
        # {"values": [...]}: explicit lists, never read as range notation
        "die_area_mm2": {"values": draw(st.lists(st.sampled_from([150, 250, 400, 600, 800]), min_size=1, max_size=3,
                                                 unique=True))},
        "dies_per_package": {"values": draw(st.sampled_from([[1], [1, 2]]))},
        "hbm_stacks": {"values": draw(st.lists(st.integers(1, 8), min_size=1, max_size=3, unique=True))},
        "hbm": ["hbm3e-12hi"],
        "links": {"values": draw(st.lists(st.sampled_from([0, 8, 16]), min_size=1, max_size=2, unique=True))},
        "interconnect": draw(st.lists(st.sampled_from(["cpo", "electrical"]), min_size=1, max_size=2, unique=True)),
        "clock": [1.0],
        "topology": draw(st.lists(st.sampled_from(["switched", "direct", "ocs"]), min_size=1, max_size=3, unique=True)),
        "max_designs": draw(st.integers(1, 2)),
    }
    objective = draw(st.sampled_from(["cost", "power", "tco", "demand_scale"]))
    if objective == "demand_scale":
        # no exact column pruning applies to demand scale, and exhaustive enumeration of it grows as
        # (columns)^W: keep the reference solver's work to one workload
        workloads = workloads[:1]
    # hosts of different sizes: the lane rule gives small packages up to max_packages per host
    data = {"technology": {"host": {"max_packages": draw(st.sampled_from([4, 8, 16]))}},
            "design_space": design_space, "workload": workloads,
            "objective": ({"maximize": "demand_scale"} if objective == "demand_scale" else {"minimize": objective})
            | {"include_nre": draw(st.booleans())}}
    budget = draw(st.sampled_from([None, 2e7, 1e8, 1e9]))
    if objective == "demand_scale" and budget is None:
        budget = 1e8
    if budget is not None:
        data["constraints"] = {"budget_usd": budget}
    return data


@settings(max_examples=32, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_instances())
def test_milp_equals_enumeration_on_generated_instances(data):
    """32 generated instances mixing topologies (switched, direct, OCS) and host sizes."""
    inst = instance_from_dict(data)
    milp = solve_instance(inst, method="milp")
    enum = solve_instance(inst, method="enumerate")
    assert milp.solution.status == enum.solution.status
    assert milp.problem.n_columns == enum.problem.n_columns  # the same column set
    if milp.solution.feasible:
        a, b = milp.solution.objective_value, enum.solution.objective_value
        assert abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b)), (a, b)
        assert verify(milp.problem, milp.solution) == []
        assert verify(enum.problem, enum.solution) == []


def test_main_job_json_schema_and_recheck():
    res = CliRunner().invoke(main, ["solve", MAIN_JOB, "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["schema_version"] == SCHEMA_VERSION
    assert doc["status"] == "optimal" and doc["gap"] <= 1e-6
    assert set(doc["objective"]) == {"name", "sense", "value", "unit"} and doc["objective"]["name"] == "cost"
    assert doc["objective"]["sense"] == "min"
    for key in ("die_area_mm2", "dies_per_package", "hbm_stacks", "hbm", "links", "interconnect", "clock",
                "packages", "unit_cost_usd", "tdp_w", "peak_tflops_bf16"):
        assert key in doc["designs"][0]
    w = doc["workloads"][0]
    for key in ("name", "design", "mapping", "replicas", "packages", "throughput", "demand", "ttft_s", "tpot_s"):
        assert key in w
    assert set(w["mapping"]) >= {"tp", "pp", "ep", "batch"}
    assert w["throughput"] >= w["demand"] * (1 - 1e-9)
    assert w["ttft_s"] <= 1.0 and w["tpot_s"] <= 0.05            # the instance's SLOs
    assert w["packages"] == doc["designs"][w["design"]]["packages"]
    for key in ("capex_usd", "it_power_w", "facility_power_w", "packages", "switches", "tco_usd"):
        assert key in doc["totals"]
    assert doc["objective"]["value"] == pytest.approx(doc["totals"]["capex_usd"], rel=1e-9)
    # a min-cost optimum has exactly the fewest replicas that meet demand (design.md, Proposition 1)
    assert w["replicas"] == int(np.ceil(w["demand"] / w["throughput_per_replica"]))
    for key in ("name", "version", "method", "wall_s", "build_s", "solve_s", "columns_enumerated", "columns_kept",
                "skus_not_searched", "variables", "constraints"):
        assert key in doc["solver"]
    assert doc["solver"]["columns_enumerated"] >= doc["solver"]["columns_kept"] > 0
    assert doc["solver"]["skus_not_searched"] == 0        # 3,816 SKUs: below bounded.MIN_SKUS, all searched


def test_infeasible_power_budget_exits_3_and_says_by_how_much(tmp_path):
    text = open(MAIN_JOB).read() + "\n[constraints]\npower_budget_w = 50000\n"
    path = tmp_path / "tight.toml"
    path.write_text(text)
    res = CliRunner().invoke(main, ["solve", str(path)])
    assert res.exit_code == 3
    err = res.stderr.strip()
    assert "\n" not in err and "power_budget_w" in err and "W" in err, err


def test_infeasible_memory_explained(tmp_path):
    inst = load_instance(MAIN_JOB)
    data = {"design_space": {"die_area_mm2": [200], "dies_per_package": [1], "hbm_stacks": [1], "links": [0],
                             "interconnect": ["cpo"]},
            "workload": [{"name": "llama3-405b", "kind": "serving", "precision": "bf16", "input_tokens": 1024,
                          "output_tokens": 128, "demand_requests_per_s": 1, "mapping": {"tp": [1], "pp": [1]}}]}
    res = solve_instance(instance_from_dict(data))
    assert res.solution.status == "infeasible"
    assert "fits in HBM" in res.solution.explanation and "GB" in res.solution.explanation
    assert inst.name == "llama3-70b-serving"


def test_catalog_sku_class_is_a_fixed_design():
    inst = load_instance(MAIN_JOB)
    doc = solve_document(solve_instance(inst, sku="h100"))
    assert doc["status"] == "optimal"
    (design,) = doc["designs"]
    assert design["die_area_mm2"] == 814.0 and design["hbm_stacks"] == 5
    assert design["peak_tflops_bf16"] == pytest.approx(989.4, rel=0.02)   # H100 datasheet [S4]
    w = doc["workloads"][0]
    assert w["throughput"] >= 1000 * (1 - 1e-9)
    assert design["packages"] == w["replicas"] * (w["mapping"]["tp"] * w["mapping"]["pp"] * w["mapping"]["ep"])


def test_bad_method_and_objective_need_budget():
    inst = load_instance(MAIN_JOB)
    from litedse.errors import InputError

    with pytest.raises(InputError, match="method"):
        solve_instance(inst, method="simplex")
    with pytest.raises(InputError, match="budget"):
        solve_instance(inst, objective="demand_scale")


def test_solve_out_file_matches_stdout(tmp_path):
    out = tmp_path / "sol.json"
    res = CliRunner().invoke(main, ["solve", MAIN_JOB, "--format", "json", "--out", str(out)])
    assert res.exit_code == 0
    a, b = json.loads(res.stdout), json.loads(out.read_text())
    a["solver"].pop("wall_s"), b["solver"].pop("wall_s")
    assert a["objective"] == b["objective"] and a["designs"] == b["designs"]
    assert np.isclose(a["totals"]["capex_usd"], b["totals"]["capex_usd"])


@pytest.mark.parametrize("args, needle", [
    (["--time-limit", "0"], "--time-limit"), (["--time-limit", "-5"], "--time-limit"),
    (["--threads", "-1"], "--threads"), (["--threads", "0"], "--threads"),
    (["--gap", "-1"], "--gap"), (["--gap", "2"], "--gap"),
    (["--out", "no/such/dir/x.json"], "no such directory"), (["--bogus"], "--bogus"),
])
def test_bad_solver_options_exit_2_with_one_line_before_any_work(args, needle):
    res = CliRunner().invoke(main, ["solve", MAIN_JOB, *args])
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and lines[0].startswith("error:"), res.stderr
    assert res.stdout == ""                       # nothing printed, nothing solved


def test_a_relaxed_gap_is_feasible_not_optimal():
    inst = load_instance("instances/fleet.toml")
    res = solve_instance(inst, mip_gap=0.5, threads=1)
    # on one thread HiGHS stops at a gap of about 6e-3 here: a design, but no proven optimum
    assert res.solution.gap > 1e-6 and res.solution.status == "feasible"
    assert verify(res.problem, res.solution) == []
    res = CliRunner().invoke(main, ["solve", "instances/fleet.toml", "--gap", "0.5", "--threads", "1"])
    assert res.exit_code == 0 and res.stdout.startswith("fleet: feasible,"), res.output


def test_a_rack_smaller_than_any_package_is_infeasible_and_says_by_how_much():
    """Issue 14: rack_power_w = 100 bought thousands of racks for a few hundred packages and
    reported 'optimal'. A package cannot be split over racks."""
    from litedse.inputs.instance import read_instance_toml

    data = read_instance_toml(MAIN_JOB)
    data["constraints"] = {"rack_power_w": 100}
    res = solve_instance(instance_from_dict(data), threads=1)
    assert res.solution.status == "infeasible"
    assert "no package fits a rack" in res.solution.explanation and "rack_power_w 100 W" in res.solution.explanation


def test_the_recheck_reruns_the_models_and_catches_a_corrupted_column(monkeypatch):
    """Issue 14: `verify` re-sums the arrays the MILP was built from and misses an error in them.
    Doubling every column's throughput where the columns are built (not where the re-check
    evaluates) must be caught, with exit 1 and one line from the CLI."""
    import litedse.columns.build
    from litedse.errors import InternalError
    from litedse.workload.performance import column_figures

    def doubled(*args, **kwargs):
        out = dict(column_figures(*args, **kwargs))
        out["requests_per_s"] = out["requests_per_s"] * 2.0
        return out

    from litedse.inputs.instance import read_instance_toml

    data = read_instance_toml(MAIN_JOB)
    data["design_space"].update(die_area_mm2=[300, 800], hbm_stacks=[4, 8], links=[0, 8])
    inst = instance_from_dict(data)
    assert solve_instance(inst, threads=1).solution.status == "optimal"          # clean: no complaint
    monkeypatch.setattr(litedse.columns.build, "column_figures", doubled)
    with pytest.raises(InternalError, match="throughput per replica"):
        solve_instance(inst, threads=1)


def test_large_coefficients_do_not_change_feasibility():
    """Issue 14: a quarter-H100 CPO space with switched links solved at about $31M, and with CPO
    switches at $1e9 the MILP 'proved' it infeasible (HiGHS loses the large coefficients). A design
    the pruning evaluated as feasible contradicts that: the exhaustive reference answers instead."""
    from litedse.inputs.instance import read_instance_toml

    data = read_instance_toml(MAIN_JOB)
    data["design_space"] = {"die_area_mm2": [203.5], "dies_per_package": [1], "hbm_stacks": [1, 8], "links": [4],
                            "interconnect": ["cpo"], "topology": ["switched"]}
    data["workload"][0]["mapping"] = {"tp": [4, 8]}
    data["technology"] = {"fabric": {"cpo": {"switch_cost_usd": 1.0e9}}}
    inst = instance_from_dict(data)
    res = solve_instance(inst, method="milp", threads=1)      # auto would enumerate these few columns
    ref = solve_instance(inst, method="enumerate")
    assert res.solution.status == ref.solution.status == "optimal"
    assert res.solution.objective_value == pytest.approx(ref.solution.objective_value, rel=1e-9)
    assert res.solution.solver["method"] == "enumerate"


def test_an_over_reticle_design_space_says_so():
    """Issue 14: infeasibilities explained by name, including over-reticle dies."""
    from litedse.inputs.instance import read_instance_toml

    data = read_instance_toml(MAIN_JOB)
    data["design_space"]["die_area_mm2"] = [900, 1000]
    res = solve_instance(instance_from_dict(data), threads=1)
    assert res.solution.status == "infeasible"
    assert "no feasible SKU" in res.solution.explanation and "die exceeds the reticle field" in res.solution.explanation
