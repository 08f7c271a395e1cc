"""Related papers: TF-IDF neighbours with the shared terms that explain them."""

from __future__ import annotations

import random


from sitegen.catalog.merge import build_catalog
from sitegen.related import Document, RelatedIndex, related_papers, tokens, documents_of
from sitegen.related import _term_counts as _counts
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


def seed_documents(seed_files, project_root) -> list[Document]:
    catalog = build_catalog(seed_files, {})
    tax = load_taxonomy(project_root / DEFAULT_LABEL)
    topics = {p.slug: [tax.title_of(t.id) for t in classify(tax, p.title, p.abstract).topics] for p in catalog.papers}
    return documents_of(catalog.papers, topics)


def test_an_updated_index_equals_a_clean_computation_after_every_edit(seed_files, project_root):
    """Abstract, title and topic edits, an edit undone, papers added and removed: after each,
    the kept index gives exactly (floats included) what a fresh computation gives."""

    documents = seed_documents(seed_files, project_root)
    index = RelatedIndex()
    assert index.update(documents) == related_papers(documents)
    rng = random.Random(16)
    for step in range(24):
        kind = step % 6
        at = rng.randrange(len(documents))
        doc = documents[at]
        donor = documents[rng.randrange(len(documents))]
        if kind == 0:  # a sentence from another paper: new terms move IDFs elsewhere
            documents[at] = Document(doc.slug, doc.title, doc.abstract + " " + donor.abstract[:160], doc.topics)
        elif kind == 1:  # the abstract cut short: terms disappear (some from the whole corpus)
            documents[at] = Document(doc.slug, doc.title, doc.abstract[: len(doc.abstract) // 3], doc.topics)
        elif kind == 2:  # another paper's topics
            documents[at] = Document(doc.slug, doc.title, doc.abstract, donor.topics)
        elif kind == 3:  # a word only this paper has, in the title
            documents[at] = Document(doc.slug, doc.title + f" zyxword{step}", doc.abstract, doc.topics)
        elif kind == 4:  # several papers at once
            for other in rng.sample(range(len(documents)), 3):
                d = documents[other]
                documents[other] = Document(d.slug, d.title, d.abstract + " sparse attention kernels", d.topics)
        else:  # a paper removed, then one added (every IDF moves: recomputed in full)
            removed = documents.pop(at)
            assert index.update(documents) == related_papers(documents)
            documents.insert(at, Document(removed.slug + "-x", removed.title, removed.abstract, removed.topics))
        assert index.update(documents) == related_papers(documents), (step, kind)


def test_one_abstract_edit_reranks_only_the_papers_it_can_affect(seed_files, project_root):
    documents = seed_documents(seed_files, project_root)
    index = RelatedIndex()
    index.update(documents)
    assert index.reranked == len(documents)
    doc = documents[7]
    documents[7] = Document(doc.slug, doc.title, doc.abstract + " Edited for the benchmark.", doc.topics)
    assert index.update(documents) == related_papers(documents)
    assert 1 <= index.reranked < len(documents) // 3  # the papers that shortlisted a changed vector
    index.update(documents)
    assert index.reranked == 0  # nothing changed


def test_papers_added_and_removed_rerank_only_what_they_can_affect(seed_files, project_root):
    """The IDF reads the number of papers only through its power-of-two bracket: a listing of
    new papers, or papers taken away, moves only their own terms' IDFs, and the update still
    equals a clean computation, also when the count crosses a bracket."""
    documents = seed_documents(seed_files, project_root)
    index = RelatedIndex()
    index.update(documents)
    rng = random.Random(17)
    added = [Document(f"added-{n}", f"Sparse attention kernels {n}", rng.choice(documents).abstract[:400], ())
             for n in range(20)]
    grown = sorted(documents + added, key=lambda d: d.slug)
    assert index.update(grown) == related_papers(grown)
    assert 1 <= index.reranked < len(grown)  # not all of them, as before
    gone = rng.sample(grown, 3)
    shrunk = [d for d in grown if d not in gone]
    assert index.update(shrunk) == related_papers(shrunk)
    assert 1 <= index.reranked < len(shrunk)
    crossed = shrunk + [Document(f"crossing-{n}", "A paper", "Kernels for sparse attention.", ()) for n in range(140)]
    assert index.update(crossed) == related_papers(crossed)  # 512 -> 1024: every IDF moves once
    assert index.reranked == len(crossed)


def test_a_paper_added_counts_only_its_own_terms_again(seed_files, project_root, monkeypatch):
    """The other papers' term counts are their own text's: they are kept."""
    from sitegen import related

    documents = seed_documents(seed_files, project_root)
    index = RelatedIndex()
    index.update(documents)
    counted = []
    monkeypatch.setattr(related, "_term_counts", lambda doc: counted.append(doc.slug) or _counts(doc))
    added = documents + [Document("added-paper", "Sparse attention kernels", "We page the KV cache.", ())]
    assert index.update(added) == related_papers(added)
    assert counted.count("added-paper") == 2 and len(counted) == len(added) + 1  # the clean one counts all


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
