"""Model catalog and derived counts, checked against hand arithmetic and the published totals."""

import pytest
from pydantic import ValidationError

from litedse.errors import InputError
from litedse.workload.models import catalog_names, resolve_model
from litedse.workload.spec import ModelSpec

REQUIRED = ["llama2-70b", "llama3-8b", "llama3-70b", "llama3-405b", "gpt3-175b", "mixtral-8x7b", "deepseek-v3",
            "gpt-j-6b", "korthikanti-22b", "korthikanti-530b", "korthikanti-1t"]


def test_catalog_has_every_required_model_with_a_source():
    from litedse import presets

    table = presets.load("", "models")[0]
    for name in REQUIRED:
        assert name in catalog_names()
        assert len(table[name]["source"]) > 20


def test_llama3_70b_parameter_count_by_hand():
    a = resolve_model("llama3-70b", "w")
    attention = 2 * 8192 * 8192 + 2 * 8192 * 8 * 128        # Q, O full width; K, V for 8 KV heads
    ffn = 3 * 8192 * 28672                                    # SwiGLU: gate, up, down
    embeddings = 2 * 128256 * 8192                            # untied input embedding and LM head
    assert a.params == 80 * (attention + ffn) + embeddings == 70_552_387_584
    assert a.kv_bytes_per_token_per_layer(2.0) == 2 * 8 * 128 * 2


@pytest.mark.parametrize("name,total,active,tol", [
    ("mixtral-8x7b", 46.7e9, 12.9e9, 0.01),     # Mixtral paper: 47B total, 13B active; model card 46.7B
    ("deepseek-v3", 671e9, 37e9, 0.02),         # DeepSeek-V3 report: 671B total, 37B activated
    ("gpt3-175b", 175e9, 175e9, 0.01),          # GPT-3 paper
    ("llama3-405b", 405e9, 405e9, 0.01),        # Llama 3 paper
    ("llama3-8b", 8.0e9, 8.0e9, 0.01),
])
def test_published_totals(name, total, active, tol):
    a = resolve_model(name, "w")
    assert a.params == pytest.approx(total, rel=tol)
    assert a.active_params == pytest.approx(active, rel=tol)


def test_megatron_flop_count_matches_korthikanti_formula():
    """Korthikanti et al. 2022 appendix: model FLOPs = 72 B L s h^2 (1 + s/(6h) + V/(12 h L))."""
    a = resolve_model("korthikanti-175b", "w")
    B, L, s, h, V = 64, 96, 2048, 12288, 51200
    expected = 72 * B * L * s * h**2 * (1 + s / (6 * h) + V / (12 * h * L))
    assert B * a.training_model_flops_per_sequence(s) == pytest.approx(expected, rel=1e-12)


def test_inline_model_defaults_and_unknown_name():
    a = resolve_model(ModelSpec(layers=80, hidden=12288, heads=96, vocab=51200), "gpt-145b")
    assert a.name == "gpt-145b" and a.kv_heads == 96 and a.head_dim == 128 and a.ffn == 4 * 12288
    assert a.params == 80 * 12 * 12288**2 + 2 * 51200 * 12288
    with pytest.raises(InputError) as err:
        resolve_model("llama9-1t", "w")
    assert "llama3-70b" in str(err.value)
    assert resolve_model(None, "llama3-8b").layers == 32
    with pytest.raises(ValidationError, match="kv_heads"):      # the schema refuses it
        ModelSpec(layers=2, hidden=64, heads=8, kv_heads=3, vocab=10)
