"""Related papers: TF-IDF neighbours with the shared terms that explain them."""

from __future__ import annotations

from pathlib import Path

from sitegen.catalog.merge import build_catalog
from sitegen.related import Document, related_papers, tokens, documents_of
from sitegen.taxonomy import DEFAULT_LABEL, classify, load_taxonomy


def test_tokens_drop_stopwords_numbers_and_fold_plurals():
    assert tokens("We propose GPUs and 3 new kernels for the models.") == ["gpu", "kernel", "model"]


def test_closest_documents_rank_first_and_explain_why():
    docs = [
        Document("a", "KV cache quantization", "We quantize the KV cache to 2 bits for long context."),
        Document("b", "KV cache eviction", "Evicting KV cache entries for long context inference."),
        Document("c", "Gaussian splatting", "Rendering radiance fields with Gaussians on mobile GPUs."),
        Document("d", "Splatting on phones", "Gaussian splatting rendering on mobile devices."),
    ]
    related = related_papers(docs)
    assert related["a"][0].slug == "b"
    assert related["c"][0].slug == "d"
    assert related["a"][0].shared_terms[:2] == ("kv cache", "long context")  # phrases hide their words
    assert all(r.slug != "a" for r in related["a"])


def test_unrelated_documents_get_no_neighbours():
    docs = [Document("a", "Alpha", "Quantum chromodynamics lattice."),
            Document("b", "Beta", "Medieval poetry manuscripts.")]
    assert related_papers(docs) == {"a": (), "b": ()}


def test_real_seeds_give_sensible_and_deterministic_neighbours(seed_files, project_root):
    catalog = build_catalog(seed_files, {})
    tax = load_taxonomy(project_root / DEFAULT_LABEL)
    topics = {p.slug: [tax.title_of(t.id) for t in classify(tax, p.title, p.abstract).topics] for p in catalog.papers}
    first = related_papers(documents_of(catalog.papers, topics))
    assert first == related_papers(documents_of(reversed(catalog.papers), topics))
    kivi = first["kivi-a-tuning-free-asymmetric-2bit-quantization-for-kv-cache"]
    assert len(kivi) == 5
    assert all("kv" in r.slug or "cache" in r.slug or "quant" in r.slug for r in kivi[:3])
    assert sum(1 for neighbours in first.values() if neighbours) > 0.95 * len(first)
    shown = {term for neighbours in first.values() for r in neighbours for term in r.shared_terms}
    assert not shown & {"quickly", "replace", "default", "support", "write", "read", "github", "https"}
    assert not any(term.startswith("topic:") for term in shown)


def test_urls_and_listing_boilerplate_are_not_terms():
    assert tokens("Code is available at https://github.com/x/kv-cache-tool quickly.") == []


def test_a_shared_topic_brings_papers_together_that_word_it_differently():
    docs = [
        Document("a", "Draft tokens verified in parallel", "A small model drafts tokens.", ("spec",)),
        Document("b", "Lookahead generation", "Guessing future tokens with n-grams.", ("spec",)),
        Document("c", "Tokens of appreciation", "Small tokens and drafts of gifts in parallel.", ("social",)),
        Document("d", "Weather", "Rain and wind on the coast.", ("weather",)),
        Document("e", "Poetry", "Sonnets in old manuscripts.", ("poetry",)),
    ]
    assert related_papers(docs)["a"][0].slug == "b"
    assert related_papers([Document(d.slug, d.title, d.abstract) for d in docs])["a"][0].slug == "c"




def test_builds_in_processes_with_different_hash_seeds_agree(tmp_path):
    """A corpus from one small vocabulary is full of score ties; they must break the same way
    whatever the process's string-hash seed (a set-ordered float sum once made them differ)."""
    import os
    import subprocess
    import sys

    from conftest import ROOT, copy_project

    root = copy_project(ROOT / "tests" / "fixtures" / "site", tmp_path / "project")
    words = "attention kernel cache serving memory GPU tensor pipeline sparse quantized batch scheduler".split()
    (root / "seeds" / "many.txt").write_text("\n".join(
        f"Generated Paper {n}: {words[n % 12].title()} at Scale\n\n"
        + " ".join(words[(n + k) % 12] for k in range(40)) + f" number {n}.\n" for n in range(140)))
    pages = []
    for seed in (1, 2, 3):
        out = tmp_path / f"out{seed}"
        subprocess.run([sys.executable, "-m", "sitegen", "--root", str(root), "build", "--no-search",
                        "--output", str(out)], check=True, capture_output=True,
                       env={**os.environ, "PYTHONHASHSEED": str(seed)})
        pages.append({p.relative_to(out): p.read_bytes() for p in (out / "papers").rglob("index.html")})
    assert pages[0] == pages[1] == pages[2]
