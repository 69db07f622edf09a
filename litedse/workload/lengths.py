"""Request-length mixes of a serving workload: one (input, output) pair or weighted classes.

Weights are shares of *requests*. A running batch holds sequences in proportion to how long they
stay, so per-slot quantities (the KV a slot reserves, the context a decode step reads) are
weighted by request share times output length; per-request quantities (prompt tokens to prefill,
output tokens delivered) by request share alone. Equations: formulations/performance.md, Serving.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LengthMix:
    input_tokens: np.ndarray       # prompt tokens of each class
    output_tokens: np.ndarray      # generated tokens of each class
    share: np.ndarray              # share of requests of each class (sums to 1)

    @classmethod
    def of(cls, workload) -> "LengthMix":
        """The workload's ``length_mix`` classes, or its single (input_tokens, output_tokens)."""
        classes = getattr(workload, "length_mix", None)
        if classes:
            isl = np.array([c.input_tokens for c in classes], dtype=float)
            osl = np.array([c.output_tokens for c in classes], dtype=float)
            w = np.array([c.weight for c in classes], dtype=float)
        else:
            prompt = workload.input_tokens or workload.sequence_length
            isl = np.array([float(prompt)])
            osl = np.array([float(workload.output_tokens or 1)])
            w = np.ones(1)
        return cls(isl, osl, w / w.sum())

    @property
    def mean_input(self) -> float:
        """Prompt tokens per request [tokens]."""
        return float(self.share @ self.input_tokens)

    @property
    def mean_output(self) -> float:
        """Output tokens per request [tokens]."""
        return float(self.share @ self.output_tokens)

    @property
    def max_input(self) -> float:
        """The longest prompt of the mix (the TTFT limit must hold for it) [tokens]."""
        return float(self.input_tokens.max())

    @property
    def max_output(self) -> float:
        """The longest output of the mix (how long a request's KV cache lives) [tokens]."""
        return float(self.output_tokens.max())

    def _per_slot(self, values: np.ndarray) -> float:
        resident = self.share * self.output_tokens
        return float(resident @ values / resident.sum())

    def decode_context(self) -> float:
        """Mean context a decoding sequence attends over: s_in + s_out / 2, slot-weighted [tokens]."""
        return self._per_slot(self.input_tokens + self.output_tokens / 2.0)

    def reserved_tokens(self, full_output: bool) -> float:
        """KV tokens a batch slot holds: s_in + s_out (reserve the full output) or s_in + s_out / 2
        (mean occupancy), slot-weighted [tokens]."""
        return self._per_slot(self.input_tokens + (self.output_tokens if full_output else self.output_tokens / 2.0))
