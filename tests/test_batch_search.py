"""The in-flight batch search (workload/performance.py: _largest_meeting_slos) against brute force
on synthetic slack curves: piecewise-linear TPOT (a max of lines, as a roofline with memory tiers
gives), TTFT with a ceil step (prompt chunks per pass), curves that are infinite at every batch, and
limits no batch meets. The search must return, for every column, the largest batch <= the cap
meeting both limits, and take O(log cap) evaluations per column at worst."""

from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from litedse.workload.performance import _largest_meeting_slos


class _Cols:
    """Stands in for inference.Hw: the search only slices it (``take``) and hands it back."""

    def __init__(self, idx):
        self.idx = idx

    def take(self, idx):
        return _Cols(self.idx[idx])


def _curves(rng, n, pieces):
    """Per column: lines a_j + s_j b (j < pieces, t = max over j), a prompt budget for the ceil
    step of TTFT, and a flag making t infinite (no links)."""
    a = rng.uniform(0.0, 0.05, (n, pieces))
    s = rng.uniform(0.0, 1e-3, (n, pieces)) * rng.choice([0.0, 1.0, 10.0], (n, pieces))
    return {"a": a, "s": s, "tokens": rng.uniform(500.0, 9000.0, n), "dead": rng.random(n) < 0.05}


def _figures(curves, counter):
    def figures(h, mm, b):
        counter[0] += len(b)
        i = h.idx
        t = np.max(curves["a"][i] + curves["s"][i] * b[:, None], axis=1)
        t = np.where(curves["dead"][i], np.inf, t)
        budget = np.maximum(curves["tokens"][i] - b, 1.0)
        ttft = (np.ceil(2000.0 / budget) + 1.0) * t
        return {"step_s": t, "ttft_s": ttft, "batch": b.copy()}
    return figures


def _brute(curves, top, tpot, ttft):
    n = len(top)
    out = np.zeros(n)
    for c in range(n):
        b = np.arange(1.0, top[c] + 1.0)
        res = _figures({k: v[[c]].repeat(len(b), axis=0) for k, v in curves.items()}, [0])(
            _Cols(np.arange(len(b))), {}, b)
        t, f = res["step_s"], res["ttft_s"]
        ok = np.flatnonzero(~(t > tpot) & ~(f > ttft))
        assert np.array_equal(ok, np.arange(len(ok)))           # the curves grow with the batch
        out[c] = len(ok)
    return out


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), pieces=st.integers(1, 4), tpot=st.floats(0.01, 0.5),
       ttft=st.sampled_from([None, 0.2, 1.0]))
def test_batch_search_equals_brute_force(seed, pieces, tpot, ttft):
    rng = np.random.default_rng(seed)
    n = 60
    curves = _curves(rng, n, pieces)
    top = rng.integers(0, 2049, n).astype(float)
    workload = SimpleNamespace(tpot_s=tpot, ttft_s=ttft)
    counter = [0]
    got, figs = _largest_meeting_slos(_Cols(np.arange(n)), {"col": np.arange(n)}, workload, _figures(curves, counter),
                                      top)
    want = _brute(curves, top, tpot, np.inf if ttft is None else ttft)
    assert np.array_equal(got, want)
    # the figures it hands back are those at max(batch, 1), column by column, without another call
    again = _figures(curves, [0])(_Cols(np.arange(n)), {}, np.maximum(got, 1.0))
    assert np.array_equal(figs["batch"], np.maximum(got, 1.0))
    for key in ("step_s", "ttft_s"):
        assert np.array_equal(figs[key], again[key])
    # O(log cap) rounds of at most two evaluations each, plus the first two
    assert counter[0] <= n * (2 + 2 * 2 * np.log2(2048) + 2)


def test_the_common_case_takes_few_evaluations():
    """Two pieces (memory bound, then compute bound) and the answer on either piece: the top, one
    below it, and at most two pairs per column."""
    rng = np.random.default_rng(3)
    n = 400
    curves = _curves(rng, n, 2)
    curves["s"][:, 0] = rng.uniform(1e-6, 1e-5, n)          # the flat piece
    curves["s"][:, 1] = rng.uniform(1e-4, 1e-3, n)          # the steep piece
    curves["a"][:, 1] = 0.0
    curves["dead"][:] = False
    top = np.full(n, 2048.0)
    counter = [0]
    workload = SimpleNamespace(tpot_s=0.05, ttft_s=None)
    got, _ = _largest_meeting_slos(_Cols(np.arange(n)), {"col": np.arange(n)}, workload, _figures(curves, counter),
                                   top)
    assert np.array_equal(got, _brute(curves, top, 0.05, np.inf))
    assert counter[0] <= 6 * n
