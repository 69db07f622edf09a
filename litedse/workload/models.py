"""LLM architectures: the model catalog and the counts the performance model derives from them.

``resolve_model`` turns a catalog name or an inline ``ModelSpec`` into a frozen ``ModelArch``.
Parameter counts follow the standard decoder-only layout: per layer an attention block (Q, K, V, O
projections, or a given ``attention_params`` for e.g. MLA) and an FFN (two matrices, three when
gated), MoE layers holding ``experts`` routed plus ``shared_experts`` always-active FFNs of width
``ffn``; embeddings of vocab x hidden, a separate LM head unless tied. Norms and biases are
neglected (well under 0.1% of the weights).
"""

from __future__ import annotations

from dataclasses import dataclass

from litedse import presets
from litedse.errors import InputError
from litedse.workload.spec import ModelSpec


@dataclass(frozen=True)
class ModelArch:
    name: str
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    ffn: int
    gated: bool
    vocab: int
    experts: int
    active_experts: int
    shared_experts: int
    dense_layers: int
    dense_ffn: int
    tied_embeddings: bool
    kv_cache_dim: int                 # elements cached per token per layer
    standard_kv: bool                 # K/V per KV head (True) or one latent shared by all heads (MLA)
    attention_params: int             # weights of one attention block
    dense_ffn_params: int             # weights of one dense FFN (dense layers of an MoE model too)
    expert_params: int                # weights of one expert FFN (0 for a dense model)
    moe_layers: int                   # layers whose FFN is an MoE (0 for a dense model)
    embedding_params: int             # input embedding plus LM head (once if tied)
    params: int                       # all weights
    expert_params_total: int          # weights in routed experts (sharded by EP)
    active_params: int                # weights a token touches (routed experts: active_experts of them)
    matmul_active_params_per_token: int  # GEMM weights a token multiplies with (LM head, no lookup)
    attention_width: int              # heads * head_dim (width of the score/value products)

    @property
    def is_moe(self) -> bool:
        return self.experts > 1

    def kv_bytes_per_token_per_layer(self, kv_bytes: float) -> float:
        return self.kv_cache_dim * kv_bytes

    def kv_bytes_per_token(self, kv_bytes: float) -> float:
        return self.kv_cache_dim * kv_bytes * self.layers

    def flops_per_token_forward(self, context: float) -> float:
        """Forward FLOPs of one token attending over ``context`` tokens (2 per multiply-add)."""
        return 2.0 * self.matmul_active_params_per_token + 4.0 * self.layers * self.attention_width * context

    def training_model_flops_per_sequence(self, seq: int) -> float:
        """Model FLOPs of one sequence, forward and backward, no recompute, counted as Megatron-LM /
        Korthikanti et al. 2022 count them (attention over the full sequence, LM head included):
        for a GPT (ffn 4h, MHA) this is 72 L s h^2 (1 + s/(6h) + V/(12 h L))."""
        return 3.0 * seq * self.flops_per_token_forward(seq)


def _catalog() -> dict:
    return presets.load("", "models")[0]


def catalog_names() -> list[str]:
    return list(_catalog())


def _spec_from_catalog(name: str) -> ModelSpec:
    table = _catalog()
    key = name.lower()
    if key not in table:
        raise InputError(f"unknown model {name!r}", key="model", value=name,
                         expected="one of " + ", ".join(table))
    entry = {k: v for k, v in table[key].items() if k != "source"}
    return ModelSpec(**entry)


def resolve_model(spec_model: str | ModelSpec | None, workload_name: str) -> ModelArch:
    """The architecture of a workload's model: a catalog name, an inline spec, or (None) the
    catalog entry named like the workload."""
    if spec_model is None:
        name, spec = workload_name, _spec_from_catalog(workload_name)
    elif isinstance(spec_model, str):
        name, spec = spec_model, _spec_from_catalog(spec_model)
    elif isinstance(spec_model, ModelSpec):
        name, spec = workload_name, spec_model
    elif isinstance(spec_model, dict):
        name, spec = workload_name, ModelSpec(**spec_model)
    else:
        raise InputError("model must be a catalog name or a table", key="model", value=spec_model)
    return arch_from_spec(spec, name)


def arch_from_spec(m: ModelSpec, name: str) -> ModelArch:
    h = m.hidden
    head_dim = m.head_dim or h // m.heads
    kv_heads = m.kv_heads or m.heads              # ModelSpec checked heads, kv_heads and experts agree
    ffn = m.ffn or 4 * h
    mats = 3 if m.gated else 2
    is_moe = m.experts > 1
    dense_ffn = m.dense_ffn or ffn
    standard_kv = m.kv_cache_dim is None
    kv_dim = m.kv_cache_dim or 2 * kv_heads * head_dim
    attn = m.attention_params or (2 * h * m.heads * head_dim + 2 * h * kv_heads * head_dim)
    if is_moe:
        dense_layers = min(m.dense_layers, m.layers)
        moe_layers = m.layers - dense_layers
        expert = mats * h * ffn
        dense_ffn_params = mats * h * dense_ffn
        router = h * m.experts
        layer_total = (dense_layers * (attn + dense_ffn_params)
                       + moe_layers * (attn + router + (m.experts + m.shared_experts) * expert))
        layer_active = (dense_layers * (attn + dense_ffn_params)
                        + moe_layers * (attn + router + (m.active_experts + m.shared_experts) * expert))
        expert_total = moe_layers * m.experts * expert
    else:
        dense_layers, moe_layers, expert, router = m.layers, 0, 0, 0
        dense_ffn_params = mats * h * ffn
        layer_total = layer_active = m.layers * (attn + dense_ffn_params)
        expert_total = 0
    embedding = m.vocab * h * (1 if m.tied_embeddings else 2)
    return ModelArch(
        name=name, layers=m.layers, hidden=h, heads=m.heads, kv_heads=kv_heads, head_dim=head_dim,
        ffn=ffn, gated=m.gated, vocab=m.vocab, experts=m.experts, active_experts=m.active_experts,
        shared_experts=m.shared_experts, dense_layers=dense_layers, dense_ffn=dense_ffn,
        tied_embeddings=m.tied_embeddings, kv_cache_dim=kv_dim, standard_kv=standard_kv,
        attention_params=attn, dense_ffn_params=dense_ffn_params, expert_params=expert,
        moe_layers=moe_layers, embedding_params=embedding, params=layer_total + embedding,
        expert_params_total=expert_total, active_params=layer_active + embedding,
        matmul_active_params_per_token=layer_active + m.vocab * h,
        attention_width=m.heads * head_dim,
    )
