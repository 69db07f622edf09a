"""The solver kernel: the array Problem, the design evaluator, exact pruning, the MILP (Pyomo +
HiGHS), the exhaustive reference, the independent re-check, infeasibility explanations and Pareto
sweeps. numpy and Pyomo only: it knows nothing of files, instances or presets."""
