"""Regenerate the Lite-GPU paper study: one report per instance of instances/paper/, the headline
table (results/paper/headline.md and .csv) and the headline block of results/README.md.

Run from the repository root:
    python results/paper/regenerate.py            # rewrite results/paper/ and the README block
    python results/paper/regenerate.py --check    # regenerate into a temporary directory and
                                                  # compare every number with the committed files
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import warnings
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
INSTANCES = sorted((ROOT / "instances" / "paper").glob("*.toml"))
OUT = ROOT / "results" / "paper"
README = ROOT / "results" / "README.md"
CLASSES = ["lite", "lite-bw", "monolithic", "h100", "free"]
# volatile fields: timings and the machine, not results
VOLATILE = {"wall_s", "build_s", "solve_s", "compare_s", "pareto_s", "columns_s", "prune_s", "version"}
HEADLINE = [("capex_usd", "capex"), ("facility_power_w", "facility power"), ("tco_usd", "TCO"),
            ("packages", "packages"), ("silicon_area_mm2", "logic silicon"), ("die_yield", "die yield"),
            ("expected_capacity_lost", "expected capacity lost"),
            ("capacity_share_per_failure", "capacity lost per failure"),
            ("hbm_bw_to_compute", "HBM bandwidth / compute"), ("bandwidth_to_compute", "off-package bandwidth / compute")]


def run(out: Path) -> pd.DataFrame:
    from litedse.instance import load_instance
    from litedse.report import report_data, write_report

    rows = []
    for path in INSTANCES:
        inst = load_instance(path)
        data = report_data(inst, CLASSES, pareto_axes=("cost", "power"), pareto_classes=["lite", "lite-bw", "monolithic"],
                           threads=1)
        write_report(data, out / path.stem)
        comp = data.meta["compare"]
        for key, label in HEADLINE:
            row = {"model": path.stem, "metric": label}
            for c in CLASSES:
                row[f"{c} / monolithic"] = comp["ratios"][c][key]
            # the paper's own baseline is the H100 cluster
            h100 = comp["classes"]["h100"]["metrics"].get(key)
            for c in ("lite", "lite-bw"):
                v = comp["classes"][c]["metrics"].get(key)
                row[f"{c} / h100"] = v / h100 if v is not None and h100 else None
            rows.append(row)
    table = pd.DataFrame(rows)
    table.to_csv(out / "headline.csv", index=False)
    (out / "headline.md").write_text(markdown(table) + "\n")
    return table


def markdown(table: pd.DataFrame) -> str:
    cols = ["model", "metric", "lite / h100", "lite-bw / h100"] + [f"{c} / monolithic" for c in CLASSES
                                                                   if c not in ("monolithic", "free")]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in table.iterrows():
        cells = [r["model"], r["metric"]] + [("-" if r[c] is None or (isinstance(r[c], float) and math.isnan(r[c]))
                                               else f"{r[c]:.3g}") for c in cols[2:]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def update_readme(table: pd.DataFrame) -> None:
    text = README.read_text()
    start, end = "<!-- headline:start -->", "<!-- headline:end -->"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        tail = rest.split(end, 1)[1]
        README.write_text(head + start + "\n" + markdown(table) + "\n" + end + tail)


def _numbers(node, path=""):
    if isinstance(node, dict):
        for k, v in node.items():
            if k not in VOLATILE:
                yield from _numbers(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _numbers(v, f"{path}[{i}]")
    else:
        yield path, node


def check() -> int:
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        run(Path(tmp))
        for path in INSTANCES:
            new = dict(_numbers(json.loads((Path(tmp) / path.stem / "report.json").read_text())))
            old = dict(_numbers(json.loads((OUT / path.stem / "report.json").read_text())))
            for key in sorted(set(new) | set(old)):
                a, b = new.get(key), old.get(key)
                same = a == b or (isinstance(a, float) and isinstance(b, float)
                                  and abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b)))
                if not same:
                    bad += 1
                    if bad <= 20:
                        print(f"{path.stem}{key}: regenerated {a!r} != committed {b!r}")
        same_headline = (Path(tmp) / "headline.md").read_text() == (OUT / "headline.md").read_text()
    print(f"{bad} differing numbers; headline table {'identical' if same_headline else 'DIFFERS'}")
    return 0 if bad == 0 and same_headline else 1


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare a fresh run with the committed files")
    args = ap.parse_args()
    if args.check:
        sys.exit(check())
    table = run(OUT)
    update_readme(table)
    print(markdown(table))
