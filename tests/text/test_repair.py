"""Text repair rules, match keys and slugs."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from sitegen.text.repair import fix_mojibake, match_key, organization_name, repair_text, slugify
from sitegen.text.weblinks import extract_links


@pytest.mark.parametrize("raw, repaired", [
    ("M茅lange: Cost Efficient Serving", "Mélange: Cost Efficient Serving"),  # UTF-8 read as GBK
    ("CafÃ© â€œquotedâ€\x9d", "Café “quoted”"),  # UTF-8 read as Windows-1252
    ("naïve résumé, 中文标题", "naïve résumé, 中文标题"),  # correct text is left alone
])
def test_mojibake(raw, repaired):
    assert fix_mojibake(raw) == repaired


@pytest.mark.parametrize("raw, repaired", [
    ("up to 1,746times using", "up to 1,746× using"),
    ("8.5times faster", "8.5× faster"),
    ("a 10times reduction", "a 10× reduction"),
    ("invertible k times k convolutions", "invertible k×k convolutions"),
    ("only 1 times 1 convolutions", "only 1×1 convolutions"),
    ("GraphVite is about 50 times faster", "GraphVite is about 50 times faster"),
    ("up to three times higher", "up to three times higher"),
    ("sampling times comparable", "sampling times comparable"),
    ("6.7\\times inference", "6.7× inference"),
    ("large language models~(LLMs)", "large language models (LLMs)"),
    ("utilize~proxy tasks; e.g.~on devices", "utilize proxy tasks; e.g. on devices"),
    ("about ~10% and 1.5~2.0", "about ~10% and 1.5~2.0"),
    ("we introduce \\textbf{hardware platform inference (HSPI)}", "we introduce hardware platform inference (HSPI)"),
    ("we introduce \\textit{Gaussian-MAE}", "we introduce Gaussian-MAE"),
    ("from {\\it cuBLASLt}'s suggestions", "from cuBLASLt's suggestions"),
    ("+22.0\\% over", "+22.0% over"),
    ("na\\\"{\\i}vely", "naïvely"),
    ("below -150{\\deg}C", "below -150°C"),
    ("(ERM), L_{infty} AT, and L_{2} AT", "(ERM), L∞ AT, and L_2 AT"),
    ("and sim 80% impact", "and ~80% impact"),
    ("by 4.8sim 20.3times", "by 4.8~20.3×"),
    ("achieving geq 81.3% top-1", "achieving ≥81.3% top-1"),
    ("is at {https://github.com/skyhehe123/ScatterFormer}.", "is at https://github.com/skyhehe123/ScatterFormer."),
    ("at https://github.com/GustavoStahl/CASS{blue{GitHub}}.", "at https://github.com/GustavoStahl/CASS."),
    ("https://github.com/GWxuan/TSP3D{https://github.com/GWxuan/TSP3D}.", "https://github.com/GWxuan/TSP3D."),
    ("Cafe\u0301  spaced\u00a0out", "Café spaced out"),  # NFC and whitespace
    # Inline TeX becomes readable Unicode text; dollars that are money stay.
    ("runs in $\\mathcal{O}(n)$ time", "runs in 𝒪(n) time"),
    ("$\\mathcal{O}(n^2 \\log n)$ versus $O(n)$", "𝒪(n² log n) versus O(n)"),
    ("$\\mathbb{R}^{d}$, $x_{ij}$, $\\frac{1}{2}$, $\\alpha \\leq \\beta$", "ℝ^d, xᵢⱼ, 1/2, α ≤ β"),
    ("costs $5 and $10, or \\$3", "costs $5 and $10, or $3"),
])
def test_repair_text(raw, repaired):
    assert repair_text(raw) == repaired


@pytest.mark.parametrize("scraped, name", [
    ("deepseek-ai DeepSeek", "DeepSeek"),
    ("microsoft Microsoft Research", "Microsoft Research"),
    ("ByteDance-Seed ByteDance Seed", "ByteDance Seed"),
    ("ServiceNow-AI ServiceNow-AI", "ServiceNow-AI"),
    ("UC Berkeley", "UC Berkeley"),
    ("Meta", "Meta"),
])
def test_organization_name_drops_the_account_handle(scraped, name):
    assert organization_name(scraped) == name


def test_match_key_survives_case_punctuation_accents_and_mojibake():
    keys = {match_key(t) for t in [
        "Mélange: Cost Efficient LLM Serving", "M茅lange: Cost Efficient LLM Serving",
        "MELANGE - cost-efficient LLM serving", "Melange: Cost Efficient LLM Serving!"]}
    assert len(keys) == 1


def test_slugify():
    assert slugify("Mélange: Cost Efficient LLM Serving") == "melange-cost-efficient-llm-serving"
    assert slugify("V^3: Viewing Volumetric Videos") == "v-3-viewing-volumetric-videos"
    assert slugify("中文") == ""
    long = slugify("word " * 40)
    assert len(long) <= 80 and not long.endswith("-")


@given(st.text(max_size=300))
def test_repairs_never_raise_and_are_idempotent(text):
    once = repair_text(text)
    assert repair_text(once) == once
    slugify(text)
    extract_links(text)
