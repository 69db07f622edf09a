"""Fuzzing every command's arguments (issue 14): each generated argument list holds at least one
bad value (out of its range, not a number, not finite, an unknown choice or flag, a missing or
unwritable path), so each must exit 2 with one line naming what is wrong, before any work, and
without a traceback."""

from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from litedse.cli import main

ROOT = Path(__file__).resolve().parents[1]
MAIN_JOB = str(ROOT / "instances" / "llama3-70b-serving.toml")

NOT_A_NUMBER = ["abc", "", "1,5", "0x"]
NOT_FINITE = ["nan", "inf", "-inf"]
NEGATIVE = ["-1", "-0.5", "-1e9"]

# option -> bad values, per kind of option
POSITIVE_INT = NOT_A_NUMBER + NEGATIVE + ["0", "1.5", "nan"]
POSITIVE_FLOAT = NOT_A_NUMBER + NOT_FINITE + NEGATIVE + ["0"]
# (a huge die is a valid request whose card says it does not fit the reticle: not a bad value)
SKU_DESIGN = {"--die-area": POSITIVE_FLOAT, "--dies": POSITIVE_INT, "--hbm-stacks": NOT_A_NUMBER + ["-1"],
              "--hbm": ["hbm9", ""], "--links": NOT_A_NUMBER + ["-4"], "--interconnect": ["copper", ""],
              "--clock": POSITIVE_FLOAT + ["50"], "--topology": ["star", ""],
              "--memory": ["hbm+dram:2", "hbm+mrm:0", "mrm", "hbm+mrm:-1", ""]}
COMMANDS = {
    "solve": ([MAIN_JOB], {"--time-limit": POSITIVE_FLOAT, "--gap": NOT_A_NUMBER + ["1", "-0.1", "nan"],
                           "--threads": POSITIVE_INT, "--objective": ["speed"], "--method": ["magic"],
                           "--format": ["xml"], "--out": ["no/such/dir/f.json"], "--sku": ["h900"]}),
    "compare": ([MAIN_JOB], {"--classes": ["lite,nosuch", ",", "lite,,free"], "--objective": ["speed"],
                             "--baseline": ["h900"], "--threads": POSITIVE_INT, "--time-limit": POSITIVE_FLOAT,
                             "--format": ["xml"], "--out": ["no/such/dir/c.json"]}),
    "pareto": ([MAIN_JOB], {"--x": ["speed"], "--y": ["speed"], "--classes": ["nosuch"], "--points": POSITIVE_INT,
                            "--max-points": POSITIVE_INT, "--threads": POSITIVE_INT, "--format": ["xml"],
                            "--plot": ["no/such/dir/p.svg", "front.jpg2"], "--out": ["no/such/dir/f.csv"]}),
    "evaluate": ([MAIN_JOB], {**SKU_DESIGN, "--sku": ["h900"], "--tp": POSITIVE_INT + ["3"], "--pp": POSITIVE_INT,
                              "--dp": POSITIVE_INT, "--ep": POSITIVE_INT, "--batch": POSITIVE_INT,
                              "--microbatch": POSITIVE_INT, "--recompute": ["some"], "--format": ["xml"]}),
    "sku": ([], {**SKU_DESIGN, "--instance": ["no/such/file.toml"], "--format": ["xml"]}),
    "check": ([MAIN_JOB], {"--format": ["xml"]}),
    "calibrate": ([], {"--instance": ["no/such/file.toml"], "--format": ["xml"]}),
    "report": ([MAIN_JOB], {"--classes": ["nosuch"], "--x": ["speed"], "--y": ["speed"], "--points": POSITIVE_INT,
                            "--threads": POSITIVE_INT}),
    "batch": ([MAIN_JOB], {"--classes": ["nosuch"], "--workers": POSITIVE_INT, "--time-limit": POSITIVE_FLOAT,
                           "--method": ["magic"], "--format": ["xml"]}),
    "sensitivity": ([MAIN_JOB], {"--classes": ["lite,nosuch", ",", "lite"], "--metric": ["speed"],
                                 "--params": ["technology.nope", "technology.host"], "--threads": POSITIVE_INT,
                                 "--format": ["xml"], "--plot": ["no/such/dir/t.svg", "t.jpg2"],
                                 "--out": ["no/such/dir/s.json"]}),
    "uncertainty": ([MAIN_JOB, "--samples", "4"], {"--samples": POSITIVE_INT, "--seed": NOT_A_NUMBER,
                                                   "--sampler": ["magic"], "--metric": ["speed"],
                                                   "--classes": ["lite,nosuch", ",", "lite"],
                                                   "--params": ["technology.nope"], "--workers": NOT_A_NUMBER + NEGATIVE,
                                                   "--format": ["xml"],
                                                   "--out": ["no/such/dir/u.json"]}),
}


@st.composite
def bad_invocation(draw):
    """A command, its positional arguments and one to three options, at least one of them bad."""
    command = draw(st.sampled_from(sorted(COMMANDS)))
    positional, options = COMMANDS[command]
    keys = draw(st.lists(st.sampled_from(sorted(options)), min_size=1, max_size=3, unique=True))
    args = []
    for key in keys:
        args += [key, draw(st.sampled_from(options[key]))]
    if draw(st.booleans()):
        args.append(draw(st.sampled_from(["--bogus", "--threads=", "-z"])))
    if command in ("report", "batch") and "--out" not in args:
        args += ["--out", "unused-out-dir"]
    if command == "sku" and not any(a in args for a in ("--die-area",)):
        args += ["--die-area", "200"]
    return [command, *positional, *args]


# derandomized: the same 300 argument lists every run, so a red run is reproducible, never luck
@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(argv=bad_invocation())
def test_bad_arguments_of_every_command_exit_2_with_one_line(argv, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    runner = CliRunner()
    with runner.isolated_filesystem(temp_dir=folder):
        res = runner.invoke(main, argv)
        assert not Path("unused-out-dir").exists() or not any(Path("unused-out-dir").iterdir()), argv
    assert res.exit_code == 2, (argv, res.exit_code, res.output)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), (argv, res.stderr)
    assert "Traceback" not in res.output


def test_found_by_the_fuzz_suite_a_clock_beyond_the_power_model_is_refused():
    """`sku --clock 50` printed a card (exit 0); the design space already refused clocks above 2."""
    res = CliRunner().invoke(main, ["sku", "--die-area", "200", "--clock", "50"])
    assert res.exit_code == 2 and res.stderr.strip().startswith("error: sku.clock: out of range")
