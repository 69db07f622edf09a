"""Progress on stderr (litedse.cli.progress): plain lines when stderr is not a terminal (as under
CliRunner), -q silences them, -v adds every step and the phase timings."""

from __future__ import annotations

import io
import time

from click.testing import CliRunner

from litedse.cli import main
from litedse.cli.progress import ProgressPrinter

INSTANCE = "instances/llama3-70b-serving.toml"
SMALL = ["--set", "design_space.die_area_mm2=[300, 800]", "--set", "design_space.hbm_stacks=[4, 8]",
         "--set", "design_space.links=[0]"]


def run(*args, delay="0"):
    # progress shows after LITEDSE_PROGRESS_DELAY_S (2 s by default); these small solves are quicker
    out = CliRunner(env={"LITEDSE_PROGRESS_DELAY_S": delay}).invoke(main, list(args))
    assert out.exit_code == 0, out.output
    return out


def test_compare_prints_plain_progress_lines_and_q_silences_them():
    out = run("compare", INSTANCE, "--classes", "lite,monolithic", *SMALL)
    lines = out.stderr.splitlines()
    assert lines[0].startswith("compare: 0/2 solving lite")
    assert lines[-1].startswith("compare: 2/2 monolithic solved (optimal)")
    assert "compare:" not in out.stdout                      # the table alone on stdout
    assert run("compare", INSTANCE, "--classes", "lite,monolithic", *SMALL, "-q").stderr == ""
    assert run("-q", "solve", INSTANCE, *SMALL).stderr == ""  # before the command name too
    # a command quicker than the delay shows no progress at all (a delay far beyond its run time, so
    # that a loaded machine cannot make it show: the default 2 s is close to this solve's time there)
    assert run("compare", INSTANCE, "--classes", "lite,monolithic", *SMALL, delay="600").stderr == ""


def test_verbose_adds_every_step_and_the_phase_timings():
    out = run("compare", INSTANCE, "--classes", "lite,monolithic,free", *SMALL, "-v")
    steps = [line for line in out.stderr.splitlines() if "(step " in line]
    assert len(steps) == 6                                   # a start and an end per class
    assert out.stderr.splitlines()[-1].startswith("compare: timings: lite ")
    solve = run("solve", INSTANCE, *SMALL, "-v").stderr.splitlines()
    assert solve[0] == "solve: solving llama3-70b-serving"
    timings = solve[-1].removeprefix("solve: timings: ").split(", ")
    assert [t.rsplit(" ", 2)[0] for t in timings] == ["columns", "prune", "model build", "solver", "total"]


def test_plain_lines_are_periodic_and_a_long_step_gets_a_heartbeat():
    stream = io.StringIO()
    printer = ProgressPrinter("job", stream=stream, mode="normal", interval_s=100.0, heartbeat_s=0.2, delay_s=0)
    for done in range(1, 6):
        printer(done, 5, f"step {done}")
    with printer.phase("waiting"):
        time.sleep(0.5)
    printer.close()
    lines = stream.getvalue().splitlines()
    # the first and the last step only (the interval is long), then the phase with a heartbeat
    assert lines[0].startswith("job: 1/5 step 1") and lines[1].startswith("job: 5/5 step 5")
    assert lines[2] == "job: waiting" and lines[-1].startswith("job: waiting done")
    assert any(line.startswith("job: still working") for line in lines[3:-1])


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_terminal_gets_a_progress_bar():
    stream = _Terminal()
    with ProgressPrinter("job", stream=stream, mode="normal", delay_s=0) as printer:
        for done in range(1, 4):
            printer(done, 3, f"step {done}")
    text = stream.getvalue()
    assert "3/3" in text and "job: step 3" in text and "\x1b[" in text   # rich's control codes: a live bar


def test_nothing_shows_before_the_delay_then_a_long_phase_says_it_is_working():
    stream = io.StringIO()
    with ProgressPrinter("job", stream=stream, mode="normal", heartbeat_s=10.0, delay_s=0.3) as printer:
        printer(1, 3, "quick step")
        with printer.phase("slow step"):
            time.sleep(0.8)
    lines = stream.getvalue().splitlines()
    # the first step's text comes with the first line shown (it is the context), then the heartbeat
    assert lines[0] == "job: 1/3 quick step"
    assert lines[1].startswith("job: still working") and "slow step" in lines[1]
    assert lines[-1].startswith("job: slow step done") and len(lines) == 3


def test_the_plan_is_shown_with_the_first_line_after_the_delay():
    stream = io.StringIO()
    with ProgressPrinter("report", stream=stream, mode="normal", interval_s=0.0, heartbeat_s=10.0,
                         delay_s=0.2) as printer:
        printer(0, 4, "planned: 2 class solves, 2 Pareto fronts")
        time.sleep(0.3)
        printer(1, 4, "lite solved")
    lines = stream.getvalue().splitlines()
    # nothing before the delay; then the plan comes first (alone, or in the heartbeat's "at ...")
    assert "0/4 planned: 2 class solves, 2 Pareto fronts" in lines[0]
    assert lines[-1].startswith("report: 1/4 lite solved") and len(lines) == 2


def test_a_long_command_says_once_why_and_what_is_faster(monkeypatch):
    """Issue 15: `report instances/fleet.toml` cannot finish in 2 minutes here; once its estimate
    passes LONG_S it says so, with its hint (here: 1 of 22 steps in 20 s leaves 420 s)."""
    import litedse.cli.progress as progress

    now = [0.0]
    monkeypatch.setattr(progress.time, "perf_counter", lambda: now[0])
    stream = io.StringIO()
    printer = ProgressPrinter("report", stream=stream, mode="normal", interval_s=0.0, heartbeat_s=1e9, delay_s=0,
                              long_hint="--no-pareto skips the fronts")
    now[0] = 20.0
    printer(1, 22, "lite solved")
    now[0] = 40.0
    printer(2, 22, "monolithic solved")
    printer.close()
    lines = stream.getvalue().splitlines()
    warned = [ln for ln in lines if "to go" in ln]
    assert warned == ["report: about 420 s to go (over 120 s): --no-pareto skips the fronts"], lines
