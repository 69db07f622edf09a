"""``--method auto``: the choice between the exact enumerator and the MILP by the combinations left
after pruning, the reason in the solve JSON, and the timing invariant build_s + solve_s <= wall_s
of every solve (HiGHS's model load is counted once)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from litedse.cli import main
from litedse.inputs.instance import load_instance
from litedse.optimize.milp import DesignModel, solve_milp
from litedse.optimize.prune import prune_columns, prune_skus
from litedse.solve import AUTO_ENUMERATE_COMBINATIONS, choose_method, combinations, solve_instance, solve_problem
from problems import random_problem
from test_milp import hand_problem, same_result

SMALL = "instances/paper/llama3-70b.toml"


def test_combinations_are_the_product_of_usable_columns_per_workload():
    p = hand_problem()                                 # two columns per workload
    assert combinations(p) == 4
    assert choose_method(p, "auto")[0] == "enumerate"
    assert "4 combinations" in choose_method(p, "auto")[1]
    assert choose_method(p, "milp") == ("milp", "requested")
    assert choose_method(p, "enumerate") == ("enumerate", "requested")


def test_auto_takes_the_milp_above_the_threshold_and_both_agree():
    """Five workloads with tens of columns each: well over the threshold after pruning."""
    p = random_problem(np.random.default_rng(5), n_dies=5, skus_per_die=5, n_workloads=5, cols_per_pair=3,
                       max_designs=2)
    q = prune_skus(prune_columns(p).problem).problem
    assert combinations(q) > AUTO_ENUMERATE_COMBINATIONS["min"]
    method, reason = choose_method(q, "auto")
    assert method == "milp" and reason.endswith("MILP")
    assert same_result(solve_problem(p, "auto", threads=1), solve_problem(p, "enumerate"))


@pytest.mark.parametrize("seed", range(8))
def test_auto_equals_both_methods_on_random_problems(seed):
    p = random_problem(np.random.default_rng(900 + seed), n_workloads=1 + seed % 4,
                       objective=("cost", "power", "tco", "demand_scale")[seed % 4],
                       budget_factor=2.0 if seed % 4 == 3 else None)
    auto = solve_problem(p, "auto", threads=1)
    assert same_result(auto, solve_problem(p, "milp", threads=1))
    assert same_result(auto, solve_problem(p, "enumerate"))


def test_the_solve_json_says_which_method_ran_and_why():
    out = {}
    for method in ("auto", "milp", "enumerate"):
        res = CliRunner().invoke(main, ["solve", SMALL, "--format", "json", "--threads", "1", "--method", method])
        assert res.exit_code == 0, res.output
        out[method] = json.loads(res.stdout)
    auto = out["auto"]["solver"]
    assert auto["method_requested"] == "auto" and auto["method"] == "enumerate"
    assert auto["method_reason"].startswith("auto: ") and "combinations after pruning <=" in auto["method_reason"]
    assert out["milp"]["solver"]["method"] == "milp" and out["milp"]["solver"]["method_reason"] == "requested"
    values = {m: d["objective"]["value"] for m, d in out.items()}
    assert values["auto"] == pytest.approx(values["milp"], rel=1e-9) == pytest.approx(values["enumerate"], rel=1e-9)
    for doc in out.values():
        s = doc["solver"]
        assert s["build_s"] + s["solve_s"] <= s["wall_s"]


@pytest.mark.parametrize("method", ["milp", "enumerate", "auto"])
def test_build_plus_solve_never_exceeds_wall(method):
    res = solve_instance(load_instance(SMALL), method=method, threads=1)
    s = res.solution.solver
    assert 0 <= s["build_s"] and 0 <= s["solve_s"]
    assert s["build_s"] + s["solve_s"] <= s["wall_s"]


def test_milp_timings_count_the_model_load_once():
    """solve_milp and a persistent re-solve: build_s (Pyomo build and HiGHS load) and solve_s
    (HiGHS only) are disjoint parts of wall_s."""
    for seed in range(4):
        p = random_problem(np.random.default_rng(seed), n_workloads=3)
        sol = solve_milp(p, threads=1)
        s = sol.solver
        assert s["build_s"] + s["solve_s"] <= s["wall_s"]
        model = DesignModel(p)
        first, again = model.solve(threads=1), model.solve(threads=1)
        assert again.solver["build_s"] <= first.solver["build_s"]
        for sol in (first, again):
            assert sol.solver["build_s"] + sol.solver["solve_s"] <= sol.solver["wall_s"] * (1 + 1e-12)
