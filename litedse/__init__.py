"""litedse: exact design-space exploration of Lite-GPU vs monolithic GPU clusters for LLM workloads.

The public Python API (README "Python API"; each function's docstring gives units and returns)::

    import litedse
    inst = litedse.load("instances/llama3-70b-serving.toml")
    cheap_hbm = inst.with_overrides({"technology.hbm.hbm3e-12hi.cost_usd_per_gb": 10.0})
    comp = litedse.compare(cheap_hbm, ["lite", "monolithic"])
    comp.table.loc["capex_usd"]          # USD per class
    comp.verdict                         # "monolithic is cheaper: lite costs 2.27x as much"

The names below are loaded on first use (PEP 562), so that ``import litedse`` and the CLI's start
stay fast (the solver stack, Pyomo and pandas, take about a second to import).

``litedse.solve`` is the function. The module ``litedse/solve.py`` (one solve of an instance, used
inside the package) keeps its name and is imported as ``from litedse.solve import solve_instance``;
the package attribute stays the function even after that import (see ``_Package``).
"""

import sys
from importlib import import_module
from types import ModuleType

from litedse.version import __version__

__all__ = ["__version__", "load", "Instance", "solve", "Solution", "compare", "Comparison", "pareto", "evaluate",
           "sensitivity", "uncertainty", "report", "InputError", "InfeasibleError", "InternalError", "SolverError", "LitedseError"]

# public name -> module that defines it (``load`` is the instance reader itself, so that reading an
# instance, as ``litedse check`` does, does not import the solver stack)
_SOURCES = {
    "load": "litedse.inputs.instance", "solve": "litedse.api", "Solution": "litedse.api", "compare": "litedse.api",
    "Comparison": "litedse.api", "pareto": "litedse.api", "evaluate": "litedse.api", "report": "litedse.verdict",
    "sensitivity": "litedse.verdict", "uncertainty": "litedse.verdict",
    "Instance": "litedse.inputs.instance",
    "InputError": "litedse.errors", "InfeasibleError": "litedse.errors", "InternalError": "litedse.errors",
    "SolverError": "litedse.errors", "LitedseError": "litedse.errors",
}


def __getattr__(name: str):
    if name in _SOURCES:
        value = getattr(import_module(_SOURCES[name]), name)
        globals()[name] = value          # later look-ups skip this function
        return value
    raise AttributeError(f"module 'litedse' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)


class _Package(ModuleType):
    """The package's module type: its ``solve`` attribute is the API function, although importing
    the submodule ``litedse.solve`` sets the package attribute of that name to the submodule (a
    data descriptor of the type wins over the module's own dict, and its setter keeps the
    submodule aside)."""

    @property
    def solve(self):
        return import_module("litedse.api").solve

    @solve.setter
    def solve(self, submodule):
        self.__dict__["_solve_module"] = submodule


sys.modules[__name__].__class__ = _Package
