# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Lite-GPU vs monolithic as HBM gets cheaper or dearer
#
# HBM is the largest part of a package's bill of materials, and a Lite-GPU cluster holds more
# HBM stacks than a monolithic one (every small package keeps its own copy of the weights and KV
# cache). This notebook sweeps the HBM price in $/GB, solves the cheapest Lite and the cheapest
# monolithic cluster at each price with the litedse Python API, and plots both.
#
# Run it as a script (`python3 examples/sweep_hbm_price.py`) or open it with jupytext. The
# environment variables `SWEEP_PRICES` (comma-separated $/GB), `SWEEP_OUT` (the PNG path) and
# `SWEEP_SMALL=1` (a coarse design space, for a quick run) change what it does.

# %%
import os

import matplotlib

if not os.environ.get("DISPLAY"):
    matplotlib.use("Agg")  # no screen: draw to a file only
import matplotlib.pyplot as plt
import pandas as pd

import litedse

INSTANCE = os.environ.get("SWEEP_INSTANCE", "instances/llama3-70b-serving.toml")
PRICE_KEY = "technology.hbm.hbm3e-12hi.cost_usd_per_gb"
PRICES = [float(p) for p in os.environ.get("SWEEP_PRICES", "5,10,15,20,30").split(",")]
OUT = os.environ.get("SWEEP_OUT", "hbm_price_sweep.png")
# a coarse grid of the same design space: 4 die areas, 4 stack counts, 2 link counts
SMALL = {"design_space.die_area_mm2": [200, 300, 600, 800], "design_space.hbm_stacks": [2, 4, 6, 8],
         "design_space.links": [0, 8]}

inst = litedse.load(INSTANCE)
if os.environ.get("SWEEP_SMALL") == "1":
    inst = inst.with_overrides(SMALL)
print(f"{inst.name}: preset HBM price ${inst.technology['hbm']['hbm3e-12hi']['cost_usd_per_gb']:g}/GB")

# %% [markdown]
# One comparison per price. `with_overrides` returns a new instance each time; `inst` keeps the
# preset price, so no swept value leaks into the next point.

# %%
rows = []
for price in PRICES:
    comp = litedse.compare(inst.with_overrides({PRICE_KEY: price}), ["lite", "monolithic"])
    capex = comp.table.loc["capex_usd"]
    rows.append({"hbm_usd_per_gb": price, "lite_capex_usd": capex["lite"], "monolithic_capex_usd": capex["monolithic"],
                 "ratio": comp.ratios.loc["capex_usd", "lite"], "verdict": comp.verdict})
sweep = pd.DataFrame(rows)
print("sweep data (CSV):")
print(sweep.to_csv(index=False), end="")

# %% [markdown]
# Capital cost of both optima against the HBM price, and their ratio.

# %%
fig, (ax, ax_ratio) = plt.subplots(1, 2, figsize=(10, 4))
ax.plot(sweep["hbm_usd_per_gb"], sweep["lite_capex_usd"] / 1e6, "o-", label="Lite-GPU (<= 300 mm^2, CPO)")
ax.plot(sweep["hbm_usd_per_gb"], sweep["monolithic_capex_usd"] / 1e6, "s-", label="monolithic")
ax.set_xlabel("HBM price [$/GB]")
ax.set_ylabel("optimal capital cost [$M]")
ax.legend()
ax.grid(True, alpha=0.3)
ax_ratio.plot(sweep["hbm_usd_per_gb"], sweep["ratio"], "o-", color="black")
ax_ratio.axhline(1.0, color="grey", ls="--", lw=0.8)
ax_ratio.set_xlabel("HBM price [$/GB]")
ax_ratio.set_ylabel("lite / monolithic capex (< 1: Lite cheaper)")
ax_ratio.grid(True, alpha=0.3)
fig.suptitle(f"{inst.name}: Lite vs monolithic against the HBM price")
fig.tight_layout()
fig.savefig(OUT, dpi=110)
print(f"plot written to {OUT}")
