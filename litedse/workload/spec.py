"""Schema of a workload entry (``[[workload]]`` in an instance file) and of an inline model."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PositiveInt, field_validator, model_validator


class StrictModel(BaseModel):
    """A schema whose numeric fields refuse true/false (pydantic would read them as 1 and 0)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_as_numbers(cls, value, info):
        field = cls.model_fields.get(info.field_name)
        if field is not None and field.annotation is not bool:
            values = value if isinstance(value, list) else [value]
            if any(isinstance(v, bool) for v in values):
                raise ValueError("true/false is not a number here")
        return value


class ModelSpec(StrictModel):
    """LLM architecture. Optional fields default as in a standard dense decoder-only transformer."""

    model_config = ConfigDict(extra="forbid")

    layers: PositiveInt
    hidden: PositiveInt
    heads: PositiveInt
    vocab: PositiveInt
    kv_heads: PositiveInt | None = None        # default: heads (multi-head attention)
    head_dim: PositiveInt | None = None        # default: hidden / heads
    ffn: PositiveInt | None = None             # default: 4 * hidden
    gated: bool = False                        # SwiGLU-style FFN with three matrices
    experts: PositiveInt = 1                   # MoE experts per MoE layer (1 = dense)
    active_experts: PositiveInt = 1            # experts each token is routed to
    shared_experts: int = Field(0, ge=0)       # always-active experts (DeepSeek-V3)
    dense_layers: int = Field(0, ge=0)         # leading dense layers in an MoE model
    dense_ffn: PositiveInt | None = None       # FFN width of those dense layers (default: ffn)
    tied_embeddings: bool = False
    kv_cache_dim: PositiveInt | None = None    # KV elements per token per layer (default 2 kv_heads head_dim; MLA)
    attention_params: PositiveInt | None = None  # weights of one attention block (default Q, K, V, O projections)

    @model_validator(mode="after")
    def _consistent(self):
        if self.head_dim is None and self.hidden % self.heads:
            raise ValueError(f"heads ({self.heads}) must divide hidden ({self.hidden}), or give head_dim")
        if self.kv_heads is not None and (self.kv_heads > self.heads or self.heads % self.kv_heads):
            raise ValueError(f"kv_heads ({self.kv_heads}) must divide heads ({self.heads})")
        if self.active_experts > self.experts:
            raise ValueError(f"active_experts ({self.active_experts}) exceeds experts ({self.experts})")
        return self


class MappingRange(StrictModel):
    """Values of the parallel mapping the solver may choose from (each a list of allowed values)."""

    tp: list[PositiveInt] | None = None
    pp: list[PositiveInt] | None = None
    dp: list[PositiveInt] | None = None
    ep: list[PositiveInt] | None = None
    batch: list[PositiveInt] | None = None
    microbatch: list[PositiveInt] | None = None


class LengthClass(StrictModel):
    """One class of a request-length mix: prompt and output tokens and its share of requests."""

    input_tokens: PositiveInt
    output_tokens: PositiveInt
    weight: PositiveFloat = 1.0                # relative share of requests (normalised over the mix)


class WorkloadSpec(StrictModel):
    name: str
    kind: Literal["training", "prefill", "decode", "serving"]
    precision: Literal["bf16", "fp8", "fp4"] = "bf16"
    model: str | ModelSpec | None = None       # catalog name, inline table; default: ``name`` in the catalog
    # sequence lengths
    sequence_length: PositiveInt | None = None  # training / prefill context
    input_tokens: PositiveInt | None = None     # serving / decode / prefill prompt length
    output_tokens: PositiveInt | None = None    # serving / decode generated tokens
    length_mix: list[LengthClass] | None = Field(None, min_length=1)  # instead of one input/output pair
    # training
    global_batch: PositiveInt | None = None     # sequences per iteration (max global batch for DP)
    recompute: Literal["none", "selective", "full"] = "selective"
    sequence_parallel: bool = True
    zero_stage: int = Field(1, ge=0, le=3)
    # serving
    serving_mode: Literal["aggregated", "disaggregated"] = "aggregated"
    # set on the two pools a disaggregated workload becomes (a prefill and a decode workload): the
    # prefill pool's TTFT includes sending the KV cache, the decode pool's rate is capped by receiving it
    disaggregated_pool: Literal["prefill", "decode"] | None = None
    # continuous: as the serving stack batches (performance.stack.batching.mode); static: one fixed
    # batch, prefill then decode (benchmark rows of a fixed batch size)
    batching: Literal["continuous", "static"] = "continuous"
    ttft_s: PositiveFloat | None = None
    tpot_s: PositiveFloat | None = None
    # demand
    demand_tokens_per_s: PositiveFloat | None = None
    demand_requests_per_s: PositiveFloat | None = None
    train_tokens: PositiveFloat | None = None
    time_budget_days: PositiveFloat | None = None
    # mapping choices (defaults are the performance model's)
    mapping: MappingRange = Field(default_factory=MappingRange)
