"""Memory tiers (formulations/memory.md): the second tier's SKU accounting, the placement of
weights and KV cache, the write-bandwidth, retention and endurance checks, against hand
calculations; "more memory options never raise the optimum" and milp == enumerate with tiers."""

import copy
import json

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from litedse import presets
from litedse.cli import main
from litedse.errors import InputError
from litedse.inputs.instance import instance_from_dict
from litedse.solve import solve_instance
from litedse.tech.memory import parse_option
from litedse.tech.sku import evaluate_skus
from litedse.units import HOURS_PER_YEAR, SECONDS_PER_HOUR
from litedse.workload import inference, stack
from litedse.workload.models import resolve_model
from litedse.workload.performance import evaluate_columns
from litedse.workload.placement import PLACEMENTS, REASONS, SHARES, WEIGHT_SHARES, Tiers, placement_name
from litedse.workload.spec import WorkloadSpec

TECH = presets.technology()[0]
PERF = presets.performance()[0]
BASE = {"die_area_mm2": 600.0, "dies_per_package": 1, "hbm_stacks": 2, "hbm": "hbm3e-12hi", "links": 8,
        "interconnect": "cpo", "clock": 1.0, "package": "cowos-s"}
BIT = {name: bit for bit, (name, _) in enumerate(REASONS)}


def one(design, tech=TECH):
    return {k: v[0] for k, v in evaluate_skus(design, tech).items()}


def tech_with(**mrm):
    tech = copy.deepcopy(TECH)
    tech["memory"]["mrm"].update(mrm)
    return tech


def perf_with(placement):
    perf = copy.deepcopy(PERF)
    perf["memory"]["placement"] = placement
    return perf


def columns(design, workload, perf=PERF, tech=TECH, **mapping):
    sku = evaluate_skus(design, tech)
    m = {k: np.array([mapping.get(k, 1)]) for k in ("tp", "pp", "dp", "ep", "microbatch")}
    m["batch"] = np.array([mapping.get("batch", int(perf["stack"]["batching"]["max_batch"]))])
    out = evaluate_columns(sku, m, workload, resolve_model(workload.model, workload.name), perf)
    return {k: np.asarray(v)[0] for k, v in out.items()}, {k: v[0] for k, v in sku.items()}


def serving(model="llama3-8b", **kw):
    args = dict(name=model, kind="serving", precision="fp8", input_tokens=2048, output_tokens=256,
                demand_requests_per_s=1.0)
    args.update(kw)
    return WorkloadSpec(**args)


# ---- technology -----------------------------------------------------------------------------------

def test_option_labels_round_trip_and_bad_ones_are_refused():
    assert parse_option("hbm") == ("none", 0) and parse_option("hbm+mrm:4") == ("mrm", 4)
    for bad in ("mrm:4", "hbm+mrm", "hbm+mrm:x", "hbm+ mrm:2"):
        with pytest.raises(ValueError):
            parse_option(bad)
    with pytest.raises(InputError, match="unknown memory tier"):
        evaluate_skus({**BASE, "memory": "hbm+nope:2"})


@pytest.mark.parametrize("tier,devices", [("mrm", 2), ("lpddr5x", 4)])
def test_second_tier_sku_accounting_by_hand(tier, devices):
    spec = TECH["memory"][tier]
    a, b = one(BASE), one({**BASE, "memory": f"hbm+{tier}:{devices}"})
    assert a["memory"] == "hbm" and a["tier2"] == "none" and a["tier2_capacity_gb"] == 0
    assert b["memory"] == f"hbm+{tier}:{devices}" and b["tier2"] == tier and b["tier2_devices"] == devices
    cap = devices * spec["capacity_gb"]
    assert b["tier2_capacity_gb"] == pytest.approx(cap)
    assert b["memory_capacity_gb"] == pytest.approx(a["hbm_capacity_gb"] + cap)
    assert b["tier2_cost_usd"] == pytest.approx(cap * spec["cost_usd_per_gb"])
    # one die: every device's PHY on it
    assert b["shoreline_used_mm"] - a["shoreline_used_mm"] == pytest.approx(devices * spec["phy_shoreline_mm"])
    assert a["compute_area_mm2"] - b["compute_area_mm2"] == pytest.approx(devices * spec["phy_area_mm2"])
    on = 1.0 if spec["on_interposer"] else 0.0
    overhead = TECH["package"]["cowos-s"]["interposer_area_overhead"]
    assert b["interposer_area_mm2"] - a["interposer_area_mm2"] == pytest.approx(on * devices * spec["footprint_mm2"]
                                                                                * overhead)
    per_yield = TECH["package"]["cowos-s"]["assembly_yield_per_component"]
    assert b["assembly_yield"] == pytest.approx(a["assembly_yield"] * per_yield ** devices)
    # provisioned for the busier direction: GB/s x 8 x pJ/bit x 1e-3 W
    w = max(devices * spec["read_bandwidth_gb_s"] * 8 * spec["read_energy_pj_per_bit"],
            devices * spec["write_bandwidth_gb_s"] * 8 * spec["write_energy_pj_per_bit"]) * 1e-3
    assert b["tier2_w"] == pytest.approx(w)
    # the die shrinks its compute by the PHY area, so compare the TDP less compute
    assert (b["tdp_w"] - b["compute_w"]) - (a["tdp_w"] - a["compute_w"]) == pytest.approx(w)
    assert b["failures_per_year"] - a["failures_per_year"] == pytest.approx(devices * spec["failures_per_year"])
    assert b["tier2_retention_s"] == spec["retention_hours"] * 3600.0
    # the bill of materials still adds up, tier 2 included (its loss in assembly too)
    parts = (b["die_cost_usd"] + b["hbm_cost_usd"] + b["tier2_cost_usd"] + b["packaging_cost_usd"]
             + b["cpo_optics_cost_usd"] + b["final_test_cost_usd"] + b["assembly_yield_loss_usd"])
    assert parts == pytest.approx(b["bom_cost_usd"], rel=1e-12)
    assert b["assembly_yield_loss_usd"] > a["assembly_yield_loss_usd"]
    assert b["hbm_write_bandwidth_gb_s"] == b["hbm_bandwidth_gb_s"]


def test_too_many_tier2_phys_run_out_of_shoreline():
    card = one({**BASE, "die_area_mm2": 200.0, "hbm_stacks": 2, "memory": "hbm+mrm:8"})
    assert not card["feasible"] and card["infeasible_mask"] & (1 << 2)   # shoreline bit


# ---- placement ------------------------------------------------------------------------------------

def test_weight_streaming_from_mrm_is_bytes_over_bandwidth_times_efficiency():
    """Decode of one sequence (memory bound): moving the weights from HBM to MRM changes the memory
    time by exactly streamed bytes x (1 / B_mrm - 1 / B_hbm), B = peak x efficiency (less the
    refresh's share of MRM's time)."""
    sku = evaluate_skus({**BASE, "memory": "hbm+mrm:1"})
    model = resolve_model("llama3-70b", "w")
    perf = PERF
    hw = inference.Hw(sku, "fp8", perf)
    m = {k: np.array([1.0]) for k in ("tp", "pp", "ep", "dp", "batch", "microbatch")}
    wbytes = perf["precision"]["fp8"]["weight_bytes"]
    weights = inference.weight_bytes_per_package(model, 1, 1, 1, wbytes)
    eff = float(hw.eff["hbm"][0])
    spec = TECH["memory"]["mrm"]
    b_hbm = float(sku["hbm_bandwidth_gb_s"][0]) * 1e9 * eff
    refresh = weights / (spec["retention_hours"] * 3600.0)
    load = refresh / (spec["read_bandwidth_gb_s"] * 1e9 * eff) + refresh / (spec["write_bandwidth_gb_s"] * 1e9 * eff)
    b_mrm = spec["read_bandwidth_gb_s"] * 1e9 * eff * (1.0 - load)
    # every GEMM weight but the input embedding (a lookup) is streamed once per pass
    streamed = (model.params - (0 if model.tied_embeddings else model.vocab * model.hidden)) * wbytes
    t = {}
    for where in (("hbm", "hbm"), ("tier2", "hbm"), ("striped", "hbm")):
        tiers = Tiers.of(sku, hw.eff["hbm"], where, np.array([weights]))
        it = inference.iteration(hw.placed(tiers), m, model, perf, "fp8", np.array([1.0]), np.array([0.0]), 1024.0, 0.0)
        assert it["t_compute_s"][0] < 0.2 * it["t_memory_s"][0]     # memory bound
        t[where[0]] = float(it["t_memory_s"][0])
    assert t["tier2"] - t["hbm"] == pytest.approx(streamed * (1 / b_mrm - 1 / b_hbm), rel=1e-9)
    raw = spec["read_bandwidth_gb_s"] * 1e9 * eff
    share = raw / (b_hbm + raw)
    # striped: only the share on MRM is refreshed
    b_mrm_striped = raw * (1.0 - share * load)
    striped = streamed * max((1 - share) / b_hbm, share / b_mrm_striped)
    assert t["striped"] - t["hbm"] == pytest.approx(striped - streamed / b_hbm, rel=1e-9)


def test_auto_placement_is_the_best_of_every_fixed_one():
    """On packages whose HBM alone is too small for the weights, auto picks, column by column, the
    usable placement with the most throughput (brute force over all sixteen)."""
    designs = [{**BASE, "hbm_stacks": 1, "memory": "hbm+mrm:2"}, {**BASE, "hbm_stacks": 1, "memory": "hbm+mrm:1"}, {**BASE, "hbm_stacks": 2, "memory": "hbm+lpddr5x:2"},
               {**BASE, "hbm_stacks": 4, "memory": "hbm+mrm:2"}]
    w = serving("llama3-70b", precision="bf16", tpot_s=0.2)
    for design in designs:
        for tp in (1, 2):
            auto, _ = columns(design, w, tp=tp)
            best, overflow = 0.0, np.inf
            for p in PLACEMENTS:
                r, _ = columns(design, w, perf_with(placement_name(p)), tp=tp)
                overflow = min(overflow, float(r["memory_overflow_gb"]))
                if r["fits"] and r["tier_ok"] and r["slo_ok"]:
                    best = max(best, float(r["tokens_per_s"]))
            usable = bool(auto["fits"] and auto["tier_ok"] and auto["slo_ok"])
            assert usable == (best > 0)
            if usable:
                assert float(auto["tokens_per_s"]) == pytest.approx(best, rel=1e-12)
            else:     # none fits: the closest miss is reported
                assert float(auto["memory_overflow_gb"]) == pytest.approx(overflow, rel=1e-12)
    # 141 GB of BF16 weights do not fit one 36 GB stack; with an MRM stack they do, off HBM
    r, _ = columns(designs[0], w)
    assert r["fits"] and r["tier_ok"] and PLACEMENTS[int(r["placement"])][0] != "hbm"
    r0, _ = columns({**designs[0], "memory": "hbm"}, w)
    assert not r0["fits"]


def test_a_kv_write_rate_above_the_write_bandwidth_is_infeasible_with_that_reason():
    w = serving()
    design = {**BASE, "memory": "hbm+mrm:1"}
    perf = perf_with("weights:hbm,kv:tier2")
    r, sku = columns(design, w, perf)
    model = resolve_model(w.model, w.name)
    # KV written per package: requests/s x (prompt + generated tokens) x KV bytes per token (tp = 1)
    kv_token = model.kv_bytes_per_token(stack.kv_bytes(perf, "fp8"))
    rate = float(r["requests_per_s"]) * (2048 + 256) * kv_token
    assert float(r["kv_write_gb_s"]) * 1e9 == pytest.approx(rate, rel=1e-12)
    eff = float(inference.Hw(evaluate_skus(design), "fp8", perf).eff["hbm"][0])
    threshold_gb_s = rate / eff / 1e9          # the device's write bandwidth at which it just holds
    ok, _ = columns(design, w, perf, tech_with(write_bandwidth_gb_s=threshold_gb_s * 1.01))
    bad, _ = columns(design, w, perf, tech_with(write_bandwidth_gb_s=threshold_gb_s * 0.99))
    assert ok["tier_ok"] and float(ok["tokens_per_s"]) == pytest.approx(float(r["tokens_per_s"]))
    assert not bad["tier_ok"] and int(bad["tier_mask"]) == 1 << BIT["kv_write"]
    # auto moves the KV back to HBM instead
    again, _ = columns(design, w, PERF, tech_with(write_bandwidth_gb_s=threshold_gb_s * 0.99))
    assert again["tier_ok"] and PLACEMENTS[int(again["placement"])][1] != "tier2"


def test_endurance_triggers_where_the_arithmetic_says():
    w = serving()
    design = {**BASE, "memory": "hbm+mrm:1"}
    life = TECH["economics"]["lifetime_years"] * HOURS_PER_YEAR * SECONDS_PER_HOUR
    # weights on MRM: one rewrite per retention period (24 h) and one per deployment (52 a year)
    perf = perf_with("weights:tier2,kv:hbm")
    r, _ = columns(design, w, perf)
    cycles = life / (24 * 3600.0) + 52.0 * TECH["economics"]["lifetime_years"]
    assert cycles == pytest.approx(5 * 365 + 260)
    assert float(r["tier2_write_cycles"]) == pytest.approx(cycles)
    assert columns(design, w, perf, tech_with(write_endurance_cycles=cycles * 1.001))[0]["tier_ok"]
    worn, _ = columns(design, w, perf, tech_with(write_endurance_cycles=cycles * 0.999))
    assert int(worn["tier_mask"]) == 1 << BIT["endurance"]
    # KV on MRM: the write rate over the KV region held, over the service life
    perf = perf_with("weights:hbm,kv:tier2")
    r, _ = columns(design, w, perf)
    kv_cycles = float(r["kv_write_gb_s"]) * life / float(r["tier2_gb"])
    assert float(r["tier2_write_cycles"]) == pytest.approx(kv_cycles, rel=1e-12)
    assert columns(design, w, perf, tech_with(write_endurance_cycles=kv_cycles * 1.001))[0]["tier_ok"]
    worn, _ = columns(design, w, perf, tech_with(write_endurance_cycles=kv_cycles * 0.999))
    assert int(worn["tier_mask"]) == 1 << BIT["endurance"]


def test_kv_must_outlive_its_request_on_a_retention_limited_tier():
    w = serving()
    design = {**BASE, "memory": "hbm+mrm:1"}
    perf = perf_with("weights:hbm,kv:tier2")
    r, _ = columns(design, w, perf)
    request_s = float(r["ttft_s"]) + 256 * float(r["tpot_s"])
    hours = request_s / 3600.0
    assert columns(design, w, perf, tech_with(retention_hours=hours * 1.01, write_endurance_cycles=1e30))[0]["tier_ok"]
    short, _ = columns(design, w, perf, tech_with(retention_hours=hours * 0.99, write_endurance_cycles=1e30))
    assert int(short["tier_mask"]) == 1 << BIT["retention"]


def test_weights_refresh_traffic_and_energy_by_hand():
    w = serving()
    design = {**BASE, "memory": "hbm+mrm:1"}
    r, _ = columns(design, w, perf_with("weights:tier2,kv:hbm"))
    model = resolve_model(w.model, w.name)
    weights = inference.weight_bytes_per_package(model, 1, 1, 1, PERF["precision"]["fp8"]["weight_bytes"])
    spec = TECH["memory"]["mrm"]
    refresh = weights / (spec["retention_hours"] * 3600.0)
    assert float(r["tier2_refresh_w"]) == pytest.approx(
        refresh * 8 * (spec["read_energy_pj_per_bit"] + spec["write_energy_pj_per_bit"]) * 1e-12)
    assert float(r["tier2_gb"]) == pytest.approx(weights / 1e9)


def test_training_state_stays_in_hbm():
    w = WorkloadSpec(name="llama3-8b", kind="training", precision="bf16", sequence_length=2048, global_batch=64,
                     train_tokens=1e9, time_budget_days=10)
    with_mrm, _ = columns({**BASE, "hbm_stacks": 4, "memory": "hbm+mrm:2"}, w, tp=8, dp=8)
    without, _ = columns({**BASE, "hbm_stacks": 4}, w, tp=8, dp=8)
    assert with_mrm["tier2_gb"] == 0 and with_mrm["tier1_gb"] == pytest.approx(float(without["tier1_gb"]))


# ---- design space and optimiser -------------------------------------------------------------------

def tier_instance(memory, demand=200.0, extra=None):
    data = {"design_space": {"die_area_mm2": {"values": [300, 600]}, "dies_per_package": {"values": [1]},
                             "hbm_stacks": {"values": [1, 2, 4]}, "links": {"values": [8]}, "interconnect": ["cpo"],
                             "topology": ["switched"], "memory": memory},
            "workload": [{"name": "llama3-70b", "kind": "serving", "precision": "fp8", "input_tokens": 2048,
                          "output_tokens": 256, "ttft_s": 2.0, "tpot_s": 0.1, "demand_requests_per_s": demand,
                          "mapping": {"tp": [1, 2, 4], "pp": [1]}}]}
    data.update(extra or {})
    return instance_from_dict(data)


def test_memory_axis_table_form_expands_and_bad_options_are_refused():
    inst = tier_instance(["hbm", {"tier": "mrm", "devices": [1, 2]}, {"tier": "lpddr5x", "devices": {"start": 2,
                                                                                                   "stop": 4, "step": 2}}])
    assert inst.design_space.memory == ["hbm", "hbm+mrm:1", "hbm+mrm:2", "hbm+lpddr5x:2", "hbm+lpddr5x:4"]
    for bad, what in ((["hbm+dram:2"], "unknown memory tier"), ([{"tier": "mrm", "devices": [0]}], "bad value"),
                      ([{"kind": "mrm"}], "bad memory option"), (["mrm"], "bad memory option")):
        with pytest.raises(InputError, match=what) as err:
            tier_instance(bad)
        assert "design_space.memory" in str(err.value)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(["hbm+mrm:1", "hbm+mrm:2", "hbm+lpddr5x:2", "hbm+lpddr5x:4"]), min_size=1, max_size=3,
                unique=True),
       st.sampled_from([50.0, 400.0]), st.sampled_from(["cost", "power"]))
def test_more_memory_options_never_raise_the_optimum_and_milp_equals_enumerate(extra, demand, objective):
    goal = {"objective": {"minimize": objective}}
    small = solve_instance(tier_instance(["hbm"], demand, goal), method="enumerate")
    big_inst = tier_instance(["hbm", *extra], demand, goal)
    big = solve_instance(big_inst, method="enumerate")
    milp = solve_instance(big_inst, method="milp")
    assert big.solution.feasible and small.solution.feasible
    a, b = big.solution.objective_value, small.solution.objective_value
    assert a <= b * (1 + 1e-9)
    m = milp.solution.objective_value
    assert abs(m - a) <= 1e-6 * max(1.0, abs(a))


def test_mrm_classes_are_lite_and_monolithic_with_the_mrm_option():
    from litedse.inputs.classes import resolve_class

    inst = tier_instance(["hbm"], extra={"design_space": {"die_area_mm2": {"values": [200, 300, 800]},
                                                          "interconnect": ["cpo", "electrical"]}})
    lite, lite_mrm = resolve_class(inst, "lite"), resolve_class(inst, "lite+mrm")
    mono_mrm = resolve_class(inst, "monolithic+mrm")
    assert lite_mrm.design_space["die_area_mm2"] == lite.design_space["die_area_mm2"]
    assert lite_mrm.design_space["memory"][0] == "hbm" and all(
        m.startswith("hbm+mrm:") for m in lite_mrm.design_space["memory"][1:])
    assert mono_mrm.design_space["memory"] == lite_mrm.design_space["memory"]
    assert mono_mrm.design_space["interconnect"] == ["electrical"]


# ---- CLI --------------------------------------------------------------------------------------------

def test_sku_card_prints_both_tiers_and_a_bad_option_exits_2():
    res = CliRunner().invoke(main, ["sku", "--die-area", "600", "--hbm-stacks", "2", "--memory", "hbm+mrm:2",
                                    "--format", "json"])
    assert res.exit_code == 0, res.output
    card = json.loads(res.stdout)
    assert card["memory"] == "hbm+mrm:2" and card["tier2_capacity_gb"] == 2 * TECH["memory"]["mrm"]["capacity_gb"]
    assert card["hbm_capacity_gb"] == 2 * TECH["hbm"]["hbm3e-12hi"]["capacity_gb"]
    text = CliRunner().invoke(main, ["sku", "--die-area", "600", "--memory", "hbm+mrm:2"]).output
    assert "tier2_capacity_gb" in text and "hbm_capacity_gb" in text
    bad = CliRunner().invoke(main, ["sku", "--die-area", "600", "--memory", "hbm+dram:2"])
    assert bad.exit_code == 2 and len(bad.output.strip().splitlines()) == 1 and "memory" in bad.output


def test_evaluate_explain_shows_the_placement():
    args = ["evaluate", "instances/llama3-70b-serving.toml", "--die-area", "600", "--hbm-stacks", "1", "--memory",
            "hbm+mrm:2", "--links", "8", "--explain"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "memory: weights in" in res.output and "tier 2 (mrm)" in res.output
    doc = json.loads(CliRunner().invoke(main, args[:-1] + ["--format", "json"]).stdout)
    mem = doc["workloads"][0]["memory"]
    assert mem["weights"] in WEIGHT_SHARES and mem["kv"] in SHARES and mem["tier2_gb"] > 0 and mem["tier_ok"]


# ---- review additions: spill, pools, refresh, the parameter filter, class bases ----------------------

def test_spill_fills_hbm_with_weights_and_spreads_the_kv_over_both_tiers_free_memory():
    sku = evaluate_skus({**BASE, "hbm_stacks": 1, "memory": "hbm+mrm:1"})
    cap1, cap2 = 36e9, 96e9
    reserve, weights = 3e9, 70e9
    t = Tiers.of(sku, np.array([0.7]), ("spill", "spill"), np.array([weights]), reserve)
    # weights: HBM holds 36 - 3 = 33 GB of the 70, the other 37 GB go to MRM
    assert float(t.weights_share[0]) == pytest.approx(37 / 70)
    # KV: HBM has nothing left, MRM has 96 - 37 = 59 GB: all of the KV goes to MRM
    assert float(t.kv_share[0]) == pytest.approx(1.0)
    assert float(t.kv_pool(np.array([weights]), reserve, 1.0)[0]) == pytest.approx(59e9)
    # 20 GB of weights, a quarter on MRM: the KV over both tiers' free memory in proportion to it
    t = Tiers.of(sku, np.array([0.7]), ("25%", "spill"), np.array([20e9]), reserve)
    free1, free2 = cap1 - reserve - 15e9, cap2 - 5e9
    assert float(t.kv_share[0]) == pytest.approx(free2 / (free1 + free2))
    assert float(t.kv_pool(np.array([20e9]), reserve, 0.9)[0]) == pytest.approx(0.9 * (free1 + free2))


def test_a_prefill_pool_writes_only_the_prompt_and_a_decode_pool_prompt_and_output():
    perf = perf_with("weights:hbm,kv:tier2")
    design = {**BASE, "memory": "hbm+mrm:1"}
    model = resolve_model("llama3-8b", "w")
    kv_token = model.kv_bytes_per_token(stack.kv_bytes(perf, "fp8"))
    for kind, written in (("prefill", 2048), ("decode", 2048 + 256)):
        w = WorkloadSpec(name="llama3-8b", kind=kind, precision="fp8", input_tokens=2048, output_tokens=256,
                         demand_requests_per_s=1.0)
        r, _ = columns(design, w, perf)
        assert float(r["kv_write_gb_s"]) * 1e9 == pytest.approx(float(r["requests_per_s"]) * written * kv_token)


def test_kv_endurance_from_hand_figures():
    """KV cycles = write rate x life / KV bytes held, with both from the workload by hand."""
    w = serving()
    design = {**BASE, "memory": "hbm+mrm:1"}
    r, _ = columns(design, w, perf_with("weights:hbm,kv:tier2"))
    model = resolve_model(w.model, w.name)
    kv_token = model.kv_bytes_per_token(stack.kv_bytes(PERF, "fp8"))
    rate = float(r["requests_per_s"]) * (2048 + 256) * kv_token
    # reserve_full (TensorRT-LLM): each running sequence holds its prompt and whole output
    held = float(r["batch"]) * (2048 + 256) * kv_token
    assert float(r["tier2_gb"]) * 1e9 == pytest.approx(held)
    life = TECH["economics"]["lifetime_years"] * HOURS_PER_YEAR * SECONDS_PER_HOUR
    assert float(r["tier2_write_cycles"]) == pytest.approx(rate * life / held, rel=1e-9)


def test_a_refresh_that_needs_the_whole_tier_is_a_retention_failure():
    w = serving()
    design = {**BASE, "memory": "hbm+mrm:1"}
    # 8 GB of FP8 weights reread and rewritten every 2 s need 4 GB/s each way: more than 1 GB/s of writes
    tech = tech_with(retention_hours=2 / 3600.0, write_bandwidth_gb_s=1.0, write_endurance_cycles=1e30)
    r, _ = columns(design, w, perf_with("weights:tier2,kv:hbm"), tech)
    assert int(r["tier_mask"]) & 1 << BIT["retention"]


def test_tier_parameters_count_only_where_a_tier_is_in_use():
    from litedse.inputs.classes import memory_options_in_use
    from litedse.inputs.uncertainty import parameters

    inst = tier_instance(["hbm"])
    keys = {p.key for p in parameters(inst)}
    assert not any(k.startswith("technology.memory.") for k in keys)
    assert "performance.memory.weight_deployments_per_year" not in keys
    with_mrm = {p.key for p in parameters(inst, None, memory_options_in_use(inst, ["lite+mrm", "monolithic"]))}
    assert "technology.memory.mrm.cost_usd_per_gb" in with_mrm and "performance.memory.weight_deployments_per_year" in with_mrm
    assert not any(k.startswith("technology.memory.lpddr5x.") for k in with_mrm)
    assert with_mrm - keys == {k for k in with_mrm if k.startswith("technology.memory.")
                               or k == "performance.memory.weight_deployments_per_year"}


def test_classes_add_memory_options_and_instance_classes_may_build_on_a_preset_class():
    from litedse.inputs.classes import resolve_class

    inst = tier_instance(["hbm", "hbm+lpddr5x:2"], extra={"classes": {"mine": {"base": "lite+mrm", "links": [8]}}})
    lite_mrm = resolve_class(inst, "lite+mrm").design_space["memory"]
    assert lite_mrm[:2] == ["hbm", "hbm+lpddr5x:2"] and "hbm+mrm:4" in lite_mrm   # the instance's options kept
    mine = resolve_class(inst, "mine")
    assert mine.design_space["memory"] == lite_mrm and mine.design_space["links"] == [8]
    assert mine.design_space["interconnect"] == ["cpo"]                             # lite's, through lite+mrm
    with pytest.raises(InputError, match="unknown base class"):
        tier_instance(["hbm"], extra={"classes": {"mine": {"base": "nosuch"}}})
    with pytest.raises(InputError, match="classes.mine.memory"):
        tier_instance(["hbm"], extra={"classes": {"mine": {"memory": ["hbm+mrm:9x"]}}})


def test_evaluate_prints_a_spill_and_a_fixed_split():
    for placement in ("weights:spill,kv:spill", "weights:75%,kv:striped"):
        res = CliRunner().invoke(main, ["evaluate", "instances/llama3-70b-serving.toml", "--die-area", "300",
                                        "--hbm-stacks", "1", "--links", "8", "--memory", "hbm+mrm:1", "--set",
                                        f"performance.memory.placement={placement}"])
        assert res.exit_code == 0, res.output
        line = next(x for x in res.output.splitlines() if x.startswith("memory:"))
        assert ("HBM first" in line) if "spill" in placement else ("75% in mrm, fixed split" in line)


def test_solve_text_shows_the_second_tier_of_a_design():
    small = ["--set", "design_space.die_area_mm2=[300, 800]", "--set", "design_space.hbm_stacks=[1, 4]",
             "--set", "design_space.links=[0]"]
    res = CliRunner().invoke(main, ["solve", "instances/llama3-70b-serving.toml", *small, "--set",
                                    'design_space.memory=["hbm+mrm:1"]', "-q"])
    assert res.exit_code == 0, res.output
    head, header = res.output.splitlines()[:2]
    assert "HBM + 1 mrm" in head and "tier 2" in header
    plain = CliRunner().invoke(main, ["solve", "instances/llama3-70b-serving.toml", *small, "-q"])
    assert "tier 2" not in plain.output.splitlines()[1]
