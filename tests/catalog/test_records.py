"""The catalog's records on the seeds: paper slugs, old slugs, and lookups by slug and title."""

from __future__ import annotations

import datetime as dt

from sitegen.catalog.merge import build_catalog
from sitegen.catalog.records import legacy_paper_slug, paper_slug

CAPTURED = {"seeds/001_d47c993c2d23155f.txt": dt.date(2025, 11, 24)}


def test_paper_slug_is_short_readable_and_transliterated():
    assert paper_slug("Tree Attention: Topology-aware Decoding") == "tree-attention-topology-aware-decoding"
    assert paper_slug("Łukasz and the œuvre of Straße: α-Entmax") == "lukasz-and-the-oeuvre-of-strasse-alpha-entmax"
    long = paper_slug("Word " * 30 + "alpha")
    assert len(long) <= 80 and long.endswith("word") and not long.endswith("-")  # cut, no hash
    assert paper_slug("中文标题").startswith("paper-")  # nothing readable: a hash
    assert paper_slug("中文标题") != paper_slug("日本語")


def test_old_slugs_still_name_their_papers_and_are_kept_computable(seed_files):
    catalog = build_catalog(seed_files, CAPTURED)
    old = "melange-cost-efficient-large-language-model-serving-by-exploiting-gpu-687d1950"
    melange = catalog.find(old)
    assert melange is not None and melange.slug == old.removesuffix("-687d1950")
    assert legacy_paper_slug(melange.title) == old
    assert catalog.get(old) is None  # `get` is the current slug only


def test_find_and_suggest(seed_files):
    catalog = build_catalog(seed_files, CAPTURED)
    assert catalog.find("tree attention: topology-aware decoding for long-context attention on GPU clusters")
    assert catalog.find("flashattention-2-faster-attention-with-better-parallelism-and-work-partitioning")
    assert catalog.find("no such paper") is None
    suggestions = catalog.suggest("FlashAttention 2 faster attention")
    assert suggestions[0].title.startswith("FlashAttention-2")
    assert len(suggestions) <= 3
    assert catalog.suggest("SnapKV")[0].title.startswith("SnapKV: ")  # short names find long titles
    assert catalog.suggest("flashattention-2")[0].title.startswith("FlashAttention-2")
    assert catalog.suggest("zzzz qqq") == []
