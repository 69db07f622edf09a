"""Test-session setup: every HiGHS solve of the test process runs on one thread. HiGHS fixes its
thread count at a process's first solve (litedse.optimize.milp.process_threads), and its search
path, so the optimum it reports among tied optima, depends on that count: fixing it here makes
the suite's results independent of which test happens to solve first."""

from litedse.optimize.milp import process_threads

process_threads(1)

# No progress lines on stderr unless a test asks for them (tests/test_progress.py sets the delay
# per invocation): the tests that count stderr lines must not depend on how loaded the machine is.
import os  # noqa: E402

os.environ.setdefault("LITEDSE_PROGRESS_DELAY_S", "1e9")
