"""Every JSON output and report says where it comes from (litedse.results.provenance; README
"Provenance"): checked against hashes computed here from the files themselves."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from importlib import metadata
from pathlib import Path

import pytest
from click.testing import CliRunner

import litedse
from litedse.cli import main
from litedse.results.provenance import provenance

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instances" / "llama3-70b-serving.toml"
PRESETS = Path(litedse.__file__).parent / "presets"
SMALL = ["--set", "design_space.die_area_mm2=[300, 800]", "--set", "design_space.hbm_stacks=[4, 8]",
         "--set", "design_space.links=[0]"]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_block(block: dict, overrides: dict) -> None:
    assert block["litedse_version"] == litedse.__version__
    assert block["instance_sha256"] == sha(INSTANCE)
    assert block["instance_key"] == litedse.load(INSTANCE).with_overrides(overrides).key()
    assert block["overrides"] == overrides
    files = {p["file"]: p for p in block["presets"]}
    assert files["technology/default.toml"]["name"] == "default"
    for rel, entry in files.items():
        assert entry["sha256"] == sha(PRESETS / rel), rel
    assert set(files) >= {"technology/default.toml", "catalog.toml", "classes.toml", "models.toml"}
    assert block["solver"] == {"name": "highs", "package": "highspy", "version": metadata.version("highspy")}
    made = datetime.strptime(block["created_utc"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert abs(datetime.now(timezone.utc) - made) < timedelta(minutes=10)


OVERRIDES = {"design_space.die_area_mm2": [300, 800], "design_space.hbm_stacks": [4, 8], "design_space.links": [0]}


@pytest.mark.parametrize("command", [["solve"], ["compare", "--classes", "monolithic"],
                                     ["pareto", "--classes", "monolithic", "--points", "2"],
                                     ["evaluate", "--sku", "h100"], ["check"]])
def test_every_json_output_carries_the_provenance_block(command):
    out = CliRunner().invoke(main, [command[0], str(INSTANCE), *command[1:], *SMALL, "--format", "json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    check_block(doc["provenance"], OVERRIDES)
    if command[0] == "compare":   # and each class's solve document too
        check_block(doc["classes"]["monolithic"]["provenance"], OVERRIDES)


def test_the_report_records_provenance_in_json_html_and_markdown(tmp_path):
    out = CliRunner().invoke(main, ["report", str(INSTANCE), "--out", str(tmp_path), "--classes", "monolithic",
                                    "--no-die-curve", "--points", "2", *SMALL])
    assert out.exit_code == 0, out.output
    block = json.loads((tmp_path / "report.json").read_text())["meta"]["provenance"]
    check_block(block, OVERRIDES)
    for page in ("index.html", "report.md"):
        text = (tmp_path / page).read_text()
        assert sha(INSTANCE) in text and f"litedse {litedse.__version__}" in text


def test_an_instance_from_a_dict_has_no_file_hash():
    from litedse.inputs.instance import instance_from_dict, read_instance_toml

    block = provenance(instance_from_dict(read_instance_toml(INSTANCE)),
                       now=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
    assert block["instance_file"] is None and block["instance_sha256"] is None
    assert block["created_utc"] == "2026-01-02T03:04:05Z"
