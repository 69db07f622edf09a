"""Progress of long commands on stderr, from the library's ``progress(done, total, what)``
callbacks: a rich progress bar (steps done of N, elapsed, ETA) when stderr is a terminal, plain
lines otherwise (at most one line per ``interval_s``, the last step, and a "still working" line
every ``heartbeat_s`` while a long step runs). Nothing is shown before ``delay_s`` (2 s; the
environment variable LITEDSE_PROGRESS_DELAY_S changes it), so a quick command, or one that stops
at once on bad input, prints only its result or its one-line error. ``-q`` silences it; ``-v``
prints every step at once with its time and, at the end, the timings of each phase.

The verbosity options work before or after the command name: ``litedse -v report ...`` and
``litedse report ... -v`` are the same.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import contextmanager

import click

_KEY = "litedse.verbosity"
DELAY_S = 2.0          # commands quicker than this show no progress


def _remember(ctx, param, value):
    if value:
        ctx.find_root().meta[_KEY] = param.name
    return value


def verbosity_options(func):
    """``-q/--quiet`` and ``-v/--verbose`` (they do not reach the command's arguments)."""
    func = click.option("-v", "--verbose", is_flag=True, expose_value=False, callback=_remember,
                        help="Print every progress step and the timings of each phase.")(func)
    return click.option("-q", "--quiet", is_flag=True, expose_value=False, callback=_remember,
                        help="No progress on stderr.")(func)


def verbosity() -> str:
    """'quiet', 'verbose' or 'normal', as the options of the running command set it."""
    ctx = click.get_current_context(silent=True)
    return ctx.find_root().meta.get(_KEY, "normal") if ctx is not None else "normal"


# a command whose estimated time left exceeds this says so once, with its ``long_hint`` [s]
LONG_S = 120.0


class ProgressPrinter:
    """Callable as a library progress callback; ``phase(text)`` marks one long call without steps."""

    def __init__(self, label: str, *, stream=None, mode: str | None = None, interval_s: float = 2.0,
                 heartbeat_s: float = 10.0, delay_s: float | None = None, long_hint: str | None = None):
        self.label = label
        # said once when the estimated time left first exceeds LONG_S: why it takes long, what is faster
        self.long_hint, self.warned = long_hint, False
        self.stream = stream if stream is not None else sys.stderr
        self.mode = mode or verbosity()
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval_s, self.heartbeat_s = interval_s, heartbeat_s
        self.delay_s = float(os.environ.get("LITEDSE_PROGRESS_DELAY_S", DELAY_S)) if delay_s is None else delay_s
        if self.mode == "verbose":
            self.delay_s = 0.0
        self.shown = False
        self.first = None      # the first step's text (a plan, e.g. "planned: 3 class solves, ..."), shown with the first line
        self.t0 = time.perf_counter()
        self.last_step = self.t0
        self.last_print = -float("inf")
        self.state = "starting"
        self._bar = None
        self._task = None
        self._stop = threading.Event()
        self._thread = None
        self._lock = threading.Lock()

    # ---- the callback -------------------------------------------------------------------------
    def __call__(self, done: int, total: int, what: str) -> None:
        if self.mode == "quiet":
            return
        now = time.perf_counter()
        step_s, self.last_step = now - self.last_step, now
        self.state = f"{done}/{total} {what}"
        if self.first is None:
            self.first = self.state
        self._start_heartbeat()
        elapsed = now - self.t0
        if elapsed < self.delay_s:
            return
        if self.tty:
            self._bar_update(done, total, what)
            return
        left = elapsed / done * (total - done) if 0 < done < total else 0.0
        eta = f", ETA {left:.0f} s" if left else ""
        line = f"{self.label}: {done}/{total} {what} [{elapsed:.1f} s{eta}]"
        if self.long_hint and not self.warned and left > LONG_S:
            self.warned = True
            self._print(f"{self.label}: about {left:.0f} s to go (over {LONG_S:.0f} s): {self.long_hint}")
        if self.mode == "verbose":
            line += f" (step {step_s:.2f} s)"
        if self.mode == "verbose" or done >= total or now - self.last_print >= self.interval_s:
            self._print(line)

    # ---- one long call ------------------------------------------------------------------------
    @contextmanager
    def phase(self, text: str):
        """Show that ``text`` is running (a spinner, or plain start/heartbeat/end lines)."""
        self.state = text
        if self.mode == "quiet":
            yield
            return
        if self.tty:
            from rich.console import Console

            with Console(file=self.stream).status(f"{self.label}: {text}"):
                yield
            return
        if self.delay_s <= 0:
            self._print(f"{self.label}: {text}")
        self._start_heartbeat()
        try:
            yield
        finally:
            if self.shown:
                self._print(f"{self.label}: {text} done [{time.perf_counter() - self.t0:.1f} s]")

    def timings(self, phases: dict[str, float | None]) -> None:
        """With -v: one line of phase timings (seconds)."""
        if self.mode != "verbose":
            return
        parts = [f"{k} {v:.2f} s" for k, v in phases.items() if isinstance(v, (int, float))]
        self._print(f"{self.label}: timings: " + ", ".join(parts))

    def close(self) -> None:
        self._stop.set()
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- internals ----------------------------------------------------------------------------
    def _print(self, line: str) -> None:
        with self._lock:
            if not self.shown and self.first and self.first not in line and not self.tty:
                print(f"{self.label}: {self.first}", file=self.stream, flush=True)
            self.shown = True
            self.last_print = time.perf_counter()
            print(line, file=self.stream, flush=True)

    def _start_heartbeat(self) -> None:
        if self._thread is None and self.heartbeat_s > 0:
            self._thread = threading.Thread(target=self._beat, daemon=True)
            self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(min(self.heartbeat_s / 2, max(self.delay_s, 0.05))):
            now = time.perf_counter()
            if self.tty or now - self.t0 < self.delay_s:
                continue
            if not self.shown or now - self.last_print >= self.heartbeat_s:
                self._print(f"{self.label}: still working, {now - self.t0:.0f} s; at {self.state}")

    def _bar_update(self, done: int, total: int, what: str) -> None:
        if self._bar is None:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)

            self._bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TimeRemainingColumn(), console=Console(file=self.stream),
                                 transient=False)
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=total)
        self._bar.update(self._task, completed=done, total=total, description=f"{self.label}: {what}")
        if self.mode == "verbose":
            self._bar.console.print(f"{what} [{time.perf_counter() - self.t0:.1f} s]")
