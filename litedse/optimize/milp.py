"""The design MILP of formulations/design.md in Pyomo, solved by HiGHS through the persistent
``pyomo.contrib.solver`` interface. The only module of litedse that imports Pyomo.

Layering (PyPSA/linopy-like): Problem arrays -> ``DesignModel`` (components built row-family by
row-family from sparse index arrays, flat integer indices, ``LinearExpression`` bodies, no
per-element rule that computes anything) -> HiGHS -> ``Solution``. Component names are the names
of formulations/design.md; tests/test_formulation_names.py checks both directions.

Measured advice followed (2-core machine, Pyomo 6.10, HiGHS 1.15): build under PauseGC; plain floats (``.tolist()``)
in expressions; one persistent solver per model; mutable Params only for what a sweep changes
(the two budgets and, for demand_scale, the replica bounds that derive from them).
"""

from __future__ import annotations

import importlib
import math
import time
from dataclasses import dataclass, replace

import numpy as np

from litedse.errors import SolverError
from litedse.optimize.designs import design_from_choice, evaluate_designs
from litedse.optimize.problem import CRITERIA, Problem, criterion_value, oversubscription
from litedse.optimize.prune import check_problem, replica_upper_bounds
from litedse.optimize.solution import OPTIMAL_GAP, Solution, infeasible_solution
from litedse.tech import fabric



class _Deferred:
    """A module imported at the first use of one of its names. Importing Pyomo takes 0.3 s, and
    0.7 s once SciPy is loaded (Pyomo then loads scipy.stats at once; measured with ``python -X
    importtime`` on the 2-core machine), which a solve the enumerator answers, and every command
    that builds no model, need not pay."""

    def __init__(self, name: str):
        self._name, self._module = name, None

    def __getattr__(self, attr: str):
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)


pe = _Deferred("pyomo.environ")
_gc = _Deferred("pyomo.common.gc_manager")
_results = _Deferred("pyomo.contrib.solver.common.results")
_highs = _Deferred("pyomo.contrib.solver.solvers.highs")
_expr = _Deferred("pyomo.core.expr.numeric_expr")


def _vouched() -> tuple:
    """Terminations whose result litedse reports: an optimum, a proof of infeasibility, a time limit."""
    tc = _results.TerminationCondition
    return tc.convergenceCriteriaSatisfied, tc.provenInfeasible, tc.infeasibleOrUnbounded, tc.maxTimeLimit

# HiGHS treats |bound| >= 1e20 as infinite; an infinite budget is a row with no upper bound
_INF = float("inf")
_ROW_NO_LIMIT = 1e30


def _lin(coefs, variables, constant: float = 0.0):
    return _expr.LinearExpression(constant=constant, linear_coefs=list(coefs), linear_vars=list(variables))


def _csr(row_of: np.ndarray, n_rows: int):
    """Row starts and entry order of a sparse matrix given the row index of each entry."""
    order = np.argsort(row_of, kind="stable")
    starts = np.zeros(n_rows + 1, dtype=np.int64)
    np.add.at(starts, row_of + 1, 1)
    return np.cumsum(starts), order


_THREADS_OF_PROCESS: list = []


def process_threads(requested: int | None) -> int | None:
    """The HiGHS thread count of this process. HiGHS fixes it at the first solve and fails any
    later solve that asks for another, so every solve in a process uses the first request."""
    if not _THREADS_OF_PROCESS:
        _THREADS_OF_PROCESS.append(requested)
    return _THREADS_OF_PROCESS[0]


class DesignModel:
    """The MILP of one Problem, built once and re-solved after bound changes.

    >>> model = DesignModel(problem)
    >>> sol = model.solve(time_limit_s=60)
    >>> model.set_bound("budget_usd", 4e8); sol2 = model.solve()
    """

    SWEEPABLE = ("budget_usd", "power_budget_w")

    def __init__(self, problem: Problem):
        check_problem(problem)
        self.problem = problem
        t0 = time.perf_counter()
        with _gc.PauseGC():
            self.model = self._build(problem)
        self.build_s = time.perf_counter() - t0
        self._opt = None
        self._load_s = 0.0

    # ------------------------------------------------------------------------------------------
    # model construction: one block of code per row family of design.md
    # ------------------------------------------------------------------------------------------
    def _build(self, p: Problem) -> pe.ConcreteModel:
        nC, nW, T = p.n_columns, p.n_workloads, fabric.MAX_TIERS
        used = model_support(p)
        sku_ids, die_ids, fab_ids = used.skus.tolist(), used.dies.tolist(), used.fabrics.tolist()
        tiers = dict(zip(fab_ids, used.tiers.tolist()))
        m = pe.ConcreteModel(name="litedse_design")
        # index sets: flat integer ranges for columns and workloads; SKUs, dies and fabrics by their
        # Problem index, only those some column uses (design.md, Proposition 9)
        m.dies = pe.Set(initialize=die_ids, ordered=True)
        m.skus = pe.Set(initialize=sku_ids, ordered=True)
        m.fabrics = pe.Set(initialize=fab_ids, ordered=True)
        m.workloads = pe.RangeSet(0, nW - 1)
        m.columns = pe.RangeSet(0, nC - 1)
        # (f, t) -> f * T + (t - 1), t = 1 .. t_f
        m.fabric_tier_options = pe.Set(initialize=[f * T + t for f in fab_ids for t in range(tiers[f])], ordered=True)
        col_die = p.sku_die[p.col_sku]
        pairs, pair_of_col = np.unique(np.stack([p.col_workload, col_die], axis=1), axis=0, return_inverse=True)
        pair_of_col = pair_of_col.ravel()
        m.workload_die_pairs = pe.RangeSet(0, len(pairs) - 1)

        # sweep parameters (mutable): budgets; +inf = no limit
        # an infinite initial value would make Pyomo load the row without the bound it later updates,
        # so an unlimited budget is loaded as 1e30 (HiGHS reads |bound| >= 1e20 as infinite) and set
        # to a true infinity once loaded (_solver); finite stand-ins such as 1e15 or 1e19 broke
        # HiGHS's numerics (instances reported infeasible, tests/test_milp.py)
        m.budget_usd = pe.Param(mutable=True, initialize=min(float(p.budget_usd), _ROW_NO_LIMIT), within=pe.Reals)
        m.power_budget_w = pe.Param(mutable=True, initialize=min(float(p.power_budget_w), _ROW_NO_LIMIT), within=pe.Reals)

        # variables
        m.column_chosen = pe.Var(m.columns, domain=pe.Binary)
        # min objectives: n_c = U_c x_c exactly (Proposition 1), so n_c is integral whenever x is and
        # need not be an integer variable (HiGHS's presolve probes every integer: thousands of them
        # cost tens of seconds); demand_scale keeps n_c a free integer up to U_c
        fixed_replicas = p.objective != "demand_scale"
        m.replicas = pe.Var(m.columns, domain=pe.NonNegativeReals if fixed_replicas else pe.NonNegativeIntegers)
        m.die_taped_out = pe.Var(m.dies, domain=pe.Binary)
        m.packages = pe.Var(m.skus, domain=pe.NonNegativeIntegers)
        m.fabric_ports = pe.Var(m.fabrics, domain=pe.NonNegativeReals)
        m.fabric_tier = pe.Var(m.fabric_tier_options, domain=pe.Binary)
        m.switches = pe.Var(m.fabrics, domain=pe.NonNegativeIntegers)
        m.racks = pe.Var(domain=pe.NonNegativeIntegers)
        m.demand_scale = pe.Var(domain=pe.NonNegativeReals)
        m.capex_usd = pe.Var(domain=pe.NonNegativeReals)
        m.it_power_w = pe.Var(domain=pe.NonNegativeReals)
        x = [m.column_chosen[c] for c in range(nC)]
        n = [m.replicas[c] for c in range(nC)]
        y = {d: m.die_taped_out[d] for d in die_ids}
        N = {s: m.packages[s] for s in sku_ids}
        E = {f: m.fabric_ports[f] for f in fab_ids}
        tau = {f: [m.fabric_tier[f * T + t] for t in range(tiers[f])] for f in fab_ids}
        S = {f: m.switches[f] for f in fab_ids}
        lam = m.demand_scale

        # one_column[w]: sum_{c in C_w} x_c = 1
        starts, order = _csr(p.col_workload, nW)
        m.one_column = pe.Constraint(m.workloads, rule={
            w: (1.0, _lin([1.0] * int(starts[w + 1] - starts[w]), [x[c] for c in order[starts[w]:starts[w + 1]]]), 1.0)
            for w in range(nW)})

        # demand[w]: sum_c r_c n_c - D_w lambda >= 0
        r = p.col_throughput.astype(float).tolist()
        D = p.demand.astype(float).tolist()
        m.demand = pe.Constraint(m.workloads, rule={
            w: (0.0, _lin([r[c] for c in order[starts[w]:starts[w + 1]]] + [-D[w]],
                          [n[c] for c in order[starts[w]:starts[w + 1]]] + [lam]), None)
            for w in range(nW)})

        # replicas_on_chosen_column[c]: n_c - U_c x_c <= 0 (U_c mutable under demand_scale: it derives
        # from the budgets a sweep changes)
        if p.objective == "demand_scale":
            U = _replica_bound_values(p)
            m.replica_bound = pe.Param(m.columns, mutable=True, initialize=dict(enumerate(U.tolist())))
            coef_U = [m.replica_bound[c] for c in range(nC)]
        else:
            # n_c = U_c x_c exactly; U_c = 0 (a zero demand, as explain_infeasible's relaxations of a
            # demand_scale problem pose) must stay 0: the 0.5 stand-in would make N_s fractional
            coef_U = replica_upper_bounds(p).tolist()
        m.replicas_on_chosen_column = pe.Constraint(m.columns, rule={
            c: (0.0 if fixed_replicas else None, _expr.LinearExpression(constant=0.0, linear_coefs=[1.0, -coef_U[c]], linear_vars=[n[c], x[c]]), 0.0)
            for c in range(nC)})

        # column_needs_die[(w, d)]: sum_{c in C_w, d(c) = d} x_c - y_d <= 0 (aggregated linking: one
        # row per workload and die design; valid because at most one column of C_w is chosen)
        pstarts, porder = _csr(pair_of_col, len(pairs))
        m.column_needs_die = pe.Constraint(m.workload_die_pairs, rule={
            k: (None, _lin([1.0] * int(pstarts[k + 1] - pstarts[k]) + [-1.0],
                           [x[c] for c in porder[pstarts[k]:pstarts[k + 1]]] + [y[int(pairs[k, 1])]]), 0.0)
            for k in range(len(pairs))})

        # product_line: sum_d y_d <= K
        m.product_line = pe.Constraint(expr=(None, _lin([1.0] * len(y), list(y.values())), float(p.max_designs)))

        # package_count[s]: N_s - sum_{c: s(c) = s} g_c n_c = 0
        g = p.col_packages.astype(float).tolist()
        sstarts, sorder = _csr(p.col_sku, p.n_skus)
        m.package_count = pe.Constraint(m.skus, rule={
            s: (0.0, _lin([1.0] + [-g[c] for c in sorder[sstarts[s]:sstarts[s + 1]]],
                          [N[s]] + [n[c] for c in sorder[sstarts[s]:sstarts[s + 1]]]), 0.0)
            for s in sku_ids})

        # fabric_port_count[f]: E_f - sum_{s: f(s) = f} q_s N_s = 0
        q = p.sku_fabric_ports.astype(float).tolist()
        on_fabric = {f: [s for s in sku_ids if p.sku_fabric[s] == f and q[s] > 0] for f in fab_ids}
        m.fabric_port_count = pe.Constraint(m.fabrics, rule={
            f: (0.0, _lin([1.0] + [-q[s] for s in on_fabric[f]], [E[f]] + [N[s] for s in on_fabric[f]]), 0.0)
            for f in fab_ids})

        # one_tier[f]: sum_t tau_{f,t} <= 1;  tier_capacity[f]: E_f - sum_t cap_{f,t} tau_{f,t} <= 0
        R = p.fabric_radix.astype(float).tolist()
        over = oversubscription(p).tolist()
        cap = {f: fabric.tree_capacity(R[f], np.arange(1, tiers[f] + 1), over[f]).tolist() for f in fab_ids}
        # k_{f,t}: switch ports per endpoint port of a t-tier tree of fabric f, (o_f + 2t - 2) / o_f
        k = {f: fabric.switches_per_port(np.arange(1, tiers[f] + 1), over[f]).tolist() for f in fab_ids}
        m.one_tier = pe.Constraint(m.fabrics, rule={
            f: (None, _lin([1.0] * tiers[f], tau[f]), 1.0) for f in fab_ids})
        m.tier_capacity = pe.Constraint(m.fabrics, rule={
            f: (None, _lin([1.0] + [-v for v in cap[f]], [E[f]] + tau[f]), 0.0) for f in fab_ids})

        # fabric_switches[(f, t)]: R_f S_f - k_{f,t} E_f - M_{f,t} tau_{f,t} >= -M_{f,t} (k = 2t-1 when
        # non-blocking, then every coefficient is integral); M_{f,t} = k_{f,t} cap_{f,t_f} since E_f <= cap_{f,t_f}
        def switch_row(i):
            f, t = divmod(i, T)
            big_m = k[f][t] * cap[f][tiers[f] - 1]
            return (-big_m, _lin([R[f], -k[f][t], -big_m], [S[f], E[f], tau[f][t]]), None)
        m.fabric_switches = pe.Constraint(m.fabric_tier_options, rule={i: switch_row(i) for i in m.fabric_tier_options})

        # host_count[s]: h_s H_s - N_s >= 0 (each host holds up to h_s packages of one SKU)
        H = []
        if p.sku_packages_per_host is not None:
            m.hosts = pe.Var(m.skus, domain=pe.NonNegativeIntegers)
            H = [m.hosts[s] for s in sku_ids]
            h = p.sku_packages_per_host.astype(float).tolist()
            m.host_count = pe.Constraint(m.skus, rule={
                s: (0.0, _lin([h[s], -1.0], [m.hosts[s], N[s]]), None) for s in sku_ids})

        # it_power_definition: P_IT - sum_s p_s N_s - sum_f (switch_w S_f + port_w E_f) - eta^W sum_s H_s = 0
        pw = p.sku_it_w.astype(float).tolist()
        Ns, Ss, Es = list(N.values()), list(S.values()), list(E.values())
        m.it_power_definition = pe.Constraint(expr=(0.0, _lin(
            [1.0] + [-pw[s] for s in sku_ids] + [-float(p.fabric_switch_w[f]) for f in fab_ids]
            + [-float(p.fabric_port_w[f]) for f in fab_ids] + [-float(p.host_w)] * len(H),
            [m.it_power_w] + Ns + Ss + Es + H), 0.0))

        # capex_definition: CAPEX - sum a_s N_s - switches - ports - racks - [charge_nre] NRE y - eta sum_s H_s = 0
        a = p.sku_capex_usd.astype(float).tolist()
        nre = [-float(p.die_nre_usd[d]) for d in die_ids] if p.charge_nre else []
        m.capex_definition = pe.Constraint(expr=(0.0, _lin(
            [1.0] + [-a[s] for s in sku_ids] + [-float(p.fabric_switch_cost_usd[f]) for f in fab_ids]
            + [-float(p.fabric_port_cost_usd[f]) for f in fab_ids] + [-float(p.rack_cost_usd)] + nre
            + [-float(p.host_cost_usd)] * len(H),
            [m.capex_usd] + Ns + Ss + Es + [m.racks] + (list(y.values()) if p.charge_nre else []) + H), 0.0))

        # budgets (mutable right-hand sides for epsilon-constraint sweeps)
        m.power_budget = pe.Constraint(expr=float(p.pue) * m.it_power_w <= m.power_budget_w)
        m.capex_budget = pe.Constraint(expr=m.capex_usd <= m.budget_usd)

        # rack_power: rack_power_w * racks - P_IT >= 0 (racks are unlimited and free of power otherwise)
        if math.isfinite(p.rack_power_w):
            m.rack_power = pe.Constraint(expr=(0.0, _lin([float(p.rack_power_w), -1.0], [m.racks, m.it_power_w]), None))
        else:
            m.racks.fix(0)

        facility = float(p.pue) * m.it_power_w
        if p.objective == "demand_scale":
            m.objective = pe.Objective(expr=lam, sense=pe.maximize)
        else:
            lam.fix(1.0)
            expr = criterion_value(p.objective, capex=m.capex_usd, facility=facility,
                                   tco=m.capex_usd + float(p.energy_usd_per_w) * facility)
            m.objective = pe.Objective(expr=expr, sense=pe.minimize)
        return m

    # ------------------------------------------------------------------------------------------
    @property
    def size(self) -> tuple[int, int]:
        """(variables, constraints) of the Pyomo model."""
        nv = sum(len(v) for v in self.model.component_objects(pe.Var, active=True))
        nc = sum(len(c) for c in self.model.component_objects(pe.Constraint, active=True))
        return nv, nc

    def set_bound(self, name: str, value: float) -> None:
        """Change a budget (``budget_usd`` or ``power_budget_w``; inf = none) for the next solve,
        without rebuilding. Under demand_scale the replica bounds U_c that derive from the budgets
        are updated too."""
        if name not in self.SWEEPABLE:
            raise KeyError(f"set_bound: {name!r} is not one of {self.SWEEPABLE}")
        value = float(value)
        # before loading, keep the row mutable (see _build); after, infinity is safe
        getattr(self.model, name).set_value(min(value, _ROW_NO_LIMIT) if self._opt is None else value)
        self.problem = replace(self.problem, **{name: float(value)})
        if self.problem.objective == "demand_scale":
            check_problem(self.problem)
            U = _replica_bound_values(self.problem)
            self.model.replica_bound.store_values(dict(enumerate(U.tolist())))

    def _solver(self, threads):
        if self._opt is None:
            opt = _highs.Highs()
            opt.config.raise_exception_on_nonoptimal_result = False
            opt.config.load_solutions = False
            if threads is not None:
                opt.config.threads = int(threads)
            opt.set_instance(self.model)
            for param in (self.model.budget_usd, self.model.power_budget_w):
                if pe.value(param) >= _ROW_NO_LIMIT:
                    param.set_value(_INF)
            # the structure never changes after construction: only parameters are re-read per solve
            upd = opt.config.auto_updates
            for flag in ("check_for_new_or_removed_constraints", "check_for_new_or_removed_vars",
                         "check_for_new_or_removed_params", "check_for_new_objective", "update_constraints",
                         "update_vars", "update_named_expressions", "update_objective"):
                setattr(upd, flag, False)
            self._opt = opt
        return self._opt

    def _consistent(self, res, rel_gap: float) -> bool:
        """Whether a result HiGHS reports as converged has an objective value, evaluated from its
        own variable values, within the gap of its dual bound (anything else is not vouched for)."""
        if res.termination_condition != _results.TerminationCondition.convergenceCriteriaSatisfied:
            return True
        if res.objective_bound is None or res.incumbent_objective is None:
            return True
        res.solution_loader.load_vars()
        objective = next(self.model.component_data_objects(pe.Objective, active=True))
        value = float(pe.value(objective))
        bound = float(res.objective_bound)
        tol = (rel_gap + OPTIMAL_GAP) * max(1.0, abs(value))
        return abs(value - bound) <= tol and abs(value - float(res.incumbent_objective)) <= tol

    @staticmethod
    def _set_start(opt, values: list) -> None:
        """Push pending parameter changes, then hand HiGHS the start (pyomo's HiGHS interface has no
        warm start of its own: its highspy model and variable map are used directly)."""
        opt.update()
        index = opt._pyomo_var_to_solver_var_map
        pairs = [(index[id(v)], float(val)) for v, val in values if id(v) in index]
        cols = np.array([i for i, _ in pairs], dtype=np.int32)
        vals = np.array([v for _, v in pairs], dtype=np.float64)
        opt._solver_model.setSolution(len(cols), cols, vals)

    def start_values(self, column, replicas) -> list:
        """Every variable's value in the design that puts workload w on ``column[w]`` with
        ``replicas[w]`` replicas (totals from the design evaluator): a complete MIP start, as (variable, value) pairs."""
        p, m = self.problem, self.model
        column = np.asarray(column, dtype=np.int64)
        replicas = np.asarray(replicas, dtype=np.int64)
        ev = evaluate_designs(p, column[None, :], replicas[None, :])
        chosen = np.zeros(p.n_columns)
        chosen[column] = 1.0
        n = np.zeros(p.n_columns)
        n[column] = replicas
        packages = np.zeros(p.n_skus)
        np.add.at(packages, p.col_sku[column], p.col_packages[column] * replicas)
        dies = set(p.sku_die[p.col_sku[column]].tolist())
        values = [(m.column_chosen[c], chosen[c]) for c in m.columns]
        values += [(m.replicas[c], n[c]) for c in m.columns]
        values += [(m.die_taped_out[d], float(d in dies)) for d in m.dies]
        values += [(m.packages[s], packages[s]) for s in m.skus]
        if hasattr(m, "hosts"):
            hosts = np.ceil(packages / p.sku_packages_per_host)
            values += [(m.hosts[s], hosts[s]) for s in m.skus]
        T = fabric.MAX_TIERS
        for f in m.fabrics:
            tiers = int(ev["tiers"][0, f])
            values.append((m.fabric_ports[f], float(ev["endpoints"][0, f])))
            values.append((m.switches[f], float(ev["switches"][0, f])))
            for t in range(T):
                if f * T + t in m.fabric_tier_options:
                    values.append((m.fabric_tier[f * T + t], float(tiers == t + 1)))
        values.append((m.racks, float(ev["racks"][0])))
        values.append((m.capex_usd, float(ev["capex"][0])))
        values.append((m.it_power_w, float(ev["it_w"][0])))
        values.append((m.demand_scale, 1.0 if p.objective != "demand_scale" else float(
            np.min(p.col_throughput[column] * replicas / p.demand))))
        if hasattr(m, "blast_radius"):
            values.append((m.blast_radius, float(self._blast_radius[column].sum())))
        return values

    def solve(self, time_limit_s: float | None = None, mip_gap: float | None = None,
              threads: int | None = None, start=None) -> Solution:
        """Solve (or re-solve) with HiGHS. ``start`` = (column per workload, replicas per workload)
        of a known design is given to HiGHS as its MIP start: a feasible one becomes HiGHS's first
        incumbent (with its objective), so the search prunes against it from the root; an
        infeasible or wrong one is rejected by HiGHS and changes nothing but time. An infeasible
        result carries no explanation: the caller asks ``optimize.explain`` with the solver of its
        choice."""
        p = self.problem
        t_load = time.perf_counter()
        threads = process_threads(threads)
        opt = self._solver(threads)
        if start is not None:
            self._set_start(opt, self.start_values(*start))
        # model load (first solve only) and the start are model construction, charged to build_s
        t0 = time.perf_counter()
        self._load_s = t0 - t_load
        kwargs = {}
        if time_limit_s is not None:
            kwargs["time_limit"] = float(time_limit_s)
        if mip_gap is not None:
            kwargs["rel_gap"] = float(mip_gap)
        else:
            kwargs["rel_gap"] = 1e-9  # HiGHS defaults to 1e-4; the solver promises a proven optimum
        if threads is not None:
            kwargs["threads"] = int(threads)
        upd = opt.config.auto_updates
        try:
            # a MIP start lives in HiGHS's solution, which any model change clears: the parameter
            # changes were pushed before it was set (_set_start), so solve must not push them again
            upd.update_parameters = start is None
            res = opt.solve(self.model, **kwargs)
        finally:
            upd.update_parameters = True
        if start is not None and not self._consistent(res, kwargs["rel_gap"]):
            # HiGHS 1.16 can map a MIP start into its presolved space with a wrong objective offset
            # and then "prove" the start optimal (seen on a Pareto step: start 114,248, true optimum
            # 48,006, both bounds reported as 28,006). A proven optimum whose own objective is off its
            # dual bound is not one: forget the start and solve again from scratch
            opt._solver_model.clearSolver()
            res = opt.solve(self.model, **kwargs)
        if not self._consistent(res, kwargs["rel_gap"]) or res.termination_condition not in _vouched():
            # HiGHS's presolve occasionally fails to recover a primal solution of its reduced model
            # ("solve error" with primal infeasibilities of 1e-6; seen with the host rows), and
            # HiGHS 1.16's presolve can report a dual bound off by a constant with no start at all
            # (a random Problem of tests/test_milp.py: incumbent 47,707.7, the true optimum,
            # "converged" at a bound of 41,864.7): solve the model as it is, without presolve,
            # before giving up
            try:
                res = opt.solve(self.model, solver_options={"presolve": "off"}, **kwargs)
            finally:
                # a persistent HiGHS keeps an option once set: later solves (Pareto steps) presolve again
                opt._solver_model.setOptionValue("presolve", "choose")
        if res.termination_condition not in _vouched():
            raise SolverError(f"HiGHS stopped with '{res.termination_condition.name}' on a model of "
                              f"{self.size[0]} variables (neither an optimum, a proof of infeasibility nor a "
                              "time limit); no result is reported")
        solve_s = time.perf_counter() - t0
        nv, nc = self.size
        build_s = self.build_s + self._load_s
        info = {"name": "highs", "version": ".".join(map(str, opt.version())), "method": "milp",
                "build_s": build_s, "solve_s": solve_s, "wall_s": build_s + solve_s,
                "variables": nv, "constraints": nc, "columns": p.n_columns,
                "termination": res.termination_condition.name}
        # construction is charged to the first solve only: re-solves report their own time
        self._load_s = 0.0
        self.build_s = 0.0
        tc, terms = res.termination_condition, _results.TerminationCondition
        has_solution = res.incumbent_objective is not None
        if tc in (terms.provenInfeasible, terms.infeasibleOrUnbounded) or (
                not has_solution and tc != terms.maxTimeLimit):
            return infeasible_solution(p, info)
        if not has_solution:
            return infeasible_solution(p, info, "time limit reached before any feasible design was found",
                                       status="time_limit")
        status = "optimal" if tc == terms.convergenceCriteriaSatisfied else "time_limit"
        m = self.model
        xs = [m.column_chosen[c] for c in range(p.n_columns)]
        ns = [m.replicas[c] for c in range(p.n_columns)]
        prim = res.solution_loader.get_vars(xs + ns + [m.demand_scale])
        x = np.array([prim[v] for v in xs])
        nrep = np.array([prim[v] for v in ns])
        column = np.full(p.n_workloads, -1, dtype=int)
        chosen = np.flatnonzero(x > 0.5)
        column[p.col_workload[chosen]] = chosen
        replicas = np.rint(nrep[column]).astype(int)
        lam = float(prim[m.demand_scale])
        if p.objective == "demand_scale":
            # the exact scale these replicas serve (lambda is continuous; HiGHS returns it to ~1e-9)
            lam = float(np.min(p.col_throughput[column] * replicas / p.demand))
        inc, bound = float(res.incumbent_objective), res.objective_bound
        gap = 0.0 if bound is None else abs(inc - float(bound)) / max(abs(inc), 1e-12)
        if status == "optimal" and gap > OPTIMAL_GAP:
            status = "feasible"                  # converged to a relaxed --gap: not a proven optimum
        return design_from_choice(p, column, replicas, status=status, gap=gap,
                                  demand_scale=lam if p.objective == "demand_scale" else None, solver=info)


@dataclass(frozen=True)
class ModelSupport:
    """The SKUs, dies and fabrics the MILP of a Problem has variables for, and t_f, the tier
    options of each such fabric (design.md, Proposition 9)."""

    skus: np.ndarray      # SKUs with a column
    dies: np.ndarray      # their die designs
    fabrics: np.ndarray   # fabrics on which some of those SKUs has ports (q_s > 0)
    tiers: np.ndarray     # t_f per fabric of ``fabrics``: tier options 1 .. t_f


def model_support(problem: Problem) -> ModelSupport:
    """Proposition 9: only SKUs with a column, their dies and the fabrics they have ports on need
    variables, and fabric f needs no more tiers than the fewest whose tree holds
    E^max_f = sum_w max_{c in C_w, f(s(c)) = f} q_s g_c U_c ports (every tier up to T_max under
    demand_scale, whose U_c a budget sweep changes)."""
    p = problem
    T = fabric.MAX_TIERS
    skus = np.unique(p.col_sku)
    dies = np.unique(p.sku_die[skus])
    ports = p.sku_fabric_ports[p.col_sku].astype(float)
    col_fabric = p.sku_fabric[p.col_sku]
    fabrics = np.unique(col_fabric[ports > 0])
    tiers = np.full(len(fabrics), T, dtype=np.int64)
    if p.objective != "demand_scale" and len(fabrics):
        per_column = ports * p.col_packages * replica_upper_bounds(p)
        most = np.zeros((p.n_workloads, p.n_fabrics))
        np.maximum.at(most, (p.col_workload, col_fabric), per_column)
        e_max = most.sum(axis=0)[fabrics]
        cap = fabric.tree_capacity(p.fabric_radix[fabrics][:, None], np.arange(1, T + 1)[None, :],
                                   oversubscription(p)[fabrics][:, None])
        fits = cap >= e_max[:, None]
        tiers = np.where(fits.any(axis=1), np.argmax(fits, axis=1) + 1, T)
    return ModelSupport(skus=skus, dies=dies, fabrics=fabrics, tiers=tiers)


def _replica_bound_values(problem: Problem) -> np.ndarray:
    """U_c as row coefficients. A bound of 0 is written as 0.5 (n_c integer, so n_c <= 0.5 x_c still
    forces n_c = 0) because HiGHS drops zero coefficients and then refuses to update them."""
    U = replica_upper_bounds(problem)
    return np.where(U < 1.0, 0.5, U)


def solve_milp(problem: Problem, time_limit_s: float | None = None, mip_gap: float | None = None,
               threads: int | None = None, start=None) -> Solution:
    """Build the MILP of ``problem`` and solve it once. Workloads without any column make the
    instance infeasible before any model is built."""
    t0 = time.perf_counter()
    empty = [w for w in range(problem.n_workloads) if not np.any(problem.col_workload == w)]
    if empty:
        check_problem(problem)
        info = {"name": "highs", "method": "milp", "wall_s": 0.0, "build_s": 0.0, "solve_s": 0.0,
                "variables": 0, "constraints": 0, "columns": problem.n_columns}
        return infeasible_solution(problem, info)
    model = DesignModel(problem)
    sol = model.solve(time_limit_s=time_limit_s, mip_gap=mip_gap, threads=threads, start=start)
    sol.solver["wall_s"] = time.perf_counter() - t0
    return sol



# ----------------------------------------------------------------------------------------------
# Pareto extension (formulations/design.md, section 10): extra rows and a weighted objective added
# before the first solve, so an epsilon-constraint sweep only changes parameters
# ----------------------------------------------------------------------------------------------

class ParetoModel(DesignModel):
    """A DesignModel with the rows of a bi-objective epsilon-constraint sweep (design.md section 10).

    >>> pm = ParetoModel(problem, "cost", "power", blast_radius_h)
    >>> pm.set_pareto_bound("power", 2e7); pm.set_pareto_weights(1.0, 0.0); sol = pm.solve()
    """

    def __init__(self, problem: Problem, primary: str, secondary: str, blast_radius_h):
        for name in (primary, secondary):
            if name not in CRITERIA:
                raise KeyError(f"pareto objective {name!r} is not one of {tuple(CRITERIA)}")
        if "demand_scale" in (primary, secondary) and problem.objective != "demand_scale":
            raise ValueError("a front with demand_scale needs a Problem built with objective 'demand_scale'")
        b = np.asarray(blast_radius_h, dtype=float)
        if b.shape != (problem.n_columns,) or not np.all(np.isfinite(b)) or (b.size and b.min() < 0):
            raise ValueError("blast_radius_h must be one finite non-negative value per column")
        self._budgets0 = {"budget_usd": float(problem.budget_usd), "power_budget_w": float(problem.power_budget_w)}
        # a mutable bound that starts at +inf is dropped by the persistent interface (Pyomo's has_ub()
        # is False for it) and later set_value calls never reach HiGHS; HiGHS reads |b| >= 1e20 as
        # infinite, so a finite "no limit" keeps the row sweepable
        super().__init__(replace(problem, budget_usd=min(problem.budget_usd, _ROW_NO_LIMIT),
                                 power_budget_w=min(problem.power_budget_w, _ROW_NO_LIMIT)))
        t0 = time.perf_counter()
        self._blast_radius = b
        with _gc.PauseGC():
            self._add_pareto(primary, secondary, b)
        self.build_s += time.perf_counter() - t0
        self.pareto = (primary, secondary)

    def _add_pareto(self, primary: str, secondary: str, b: np.ndarray) -> None:
        m, p = self.model, self.problem
        x = [m.column_chosen[c] for c in range(p.n_columns)]
        m.blast_radius = pe.Var(domain=pe.NonNegativeReals)
        # blast_radius_definition: BR - sum_c b_c x_c = 0
        m.blast_radius_definition = pe.Constraint(expr=(0.0, _lin([1.0] + [-v for v in b.tolist()],
                                                                  [m.blast_radius] + x), 0.0))
        m.tco_budget = pe.Param(mutable=True, initialize=_ROW_NO_LIMIT, within=pe.Reals)
        m.blast_radius_budget = pe.Param(mutable=True, initialize=_ROW_NO_LIMIT, within=pe.Reals)
        m.demand_scale_floor = pe.Param(mutable=True, initialize=0.0, within=pe.Reals)
        facility = float(p.pue) * m.it_power_w
        tco = m.capex_usd + float(p.energy_usd_per_w) * facility
        m.tco_bound = pe.Constraint(expr=tco <= m.tco_budget)
        m.blast_radius_bound = pe.Constraint(expr=m.blast_radius <= m.blast_radius_budget)
        m.demand_scale_bound = pe.Constraint(expr=m.demand_scale >= m.demand_scale_floor)
        # every criterion as a quantity to minimise (demand scale enters negated)
        value = {name: criterion_value(name, capex=m.capex_usd, facility=facility, tco=tco,
                                       demand_scale=-m.demand_scale, blast_radius=m.blast_radius)
                 for name in (primary, secondary)}
        m.pareto_weight_primary = pe.Param(mutable=True, initialize=1.0, within=pe.Reals)
        m.pareto_weight_secondary = pe.Param(mutable=True, initialize=0.0, within=pe.Reals)
        m.objective.deactivate()
        m.pareto_objective = pe.Objective(expr=m.pareto_weight_primary * value[primary]
                                          + m.pareto_weight_secondary * value[secondary], sense=pe.minimize)

    def _solver(self, threads):
        first = self._opt is None
        opt = super()._solver(threads)
        if first:
            # as DesignModel._solver does for the budgets: now that the rows are registered as
            # mutable, "no limit" can be a true infinity (HiGHS warns about finite bounds >= 1e20)
            for param in (self.model.tco_budget, self.model.blast_radius_budget):
                if pe.value(param) >= _ROW_NO_LIMIT:
                    param.set_value(_INF)
        return opt

    def set_pareto_weights(self, primary: float, secondary: float) -> None:
        """Weights of the two criteria (as minimised quantities) in ``pareto_objective``."""
        self.model.pareto_weight_primary.set_value(float(primary))
        self.model.pareto_weight_secondary.set_value(float(secondary))

    def set_pareto_bound(self, name: str, value: float) -> None:
        """Epsilon bound on one criterion: an upper bound for the min criteria (cost and power never
        looser than the Problem's own budgets), a lower bound (floor) for demand_scale."""
        m = self.model
        value = float(value) if float(value) < _ROW_NO_LIMIT else _INF
        if self._opt is None:
            value = min(value, _ROW_NO_LIMIT)   # still loading: keep the row mutable (see __init__)
        if name == "cost":
            self.set_bound("budget_usd", min(value, self._budgets0["budget_usd"]))
        elif name == "power":
            self.set_bound("power_budget_w", min(value, self._budgets0["power_budget_w"]))
        elif name == "tco":
            m.tco_budget.set_value(value)
        elif name == "blast_radius":
            m.blast_radius_budget.set_value(value)
        elif name == "demand_scale":
            m.demand_scale_floor.set_value(float(value))
        else:
            raise KeyError(f"pareto objective {name!r} is not one of {tuple(CRITERIA)}")
