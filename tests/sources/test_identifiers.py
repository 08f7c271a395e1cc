"""arXiv ids and DOIs recognised from bare ids and from links."""

from __future__ import annotations

import pytest

from sitegen.sources.identifiers import arxiv_id, arxiv_in_text, doi


@pytest.mark.parametrize("text", [
    "2307.08691", "2307.08691v3", "arXiv:2307.08691", "https://arxiv.org/abs/2307.08691v2",
    "https://arxiv.org/pdf/2307.08691", "https://arxiv.org/pdf/2307.08691v1.pdf", "http://www.arxiv.org/abs/2307.08691",
    "https://huggingface.co/papers/2307.08691", "https://hf.co/papers/2307.08691", "https://arxiv.org/html/2307.08691v2",
])
def test_arxiv_ids_from_ids_and_links(text):
    assert arxiv_id(text) == "2307.08691"


def test_old_style_and_non_arxiv():
    assert arxiv_id("https://arxiv.org/abs/hep-th/9901001v2") == "hep-th/9901001"
    assert arxiv_id("https://github.com/2307.08691") is None and arxiv_id("") is None
    assert arxiv_in_text("arXiv preprint arXiv:2205.14135") == "2205.14135"


@pytest.mark.parametrize("text", ["10.1145/3600006.3613165", "doi:10.1145/3600006.3613165",
                                  "https://doi.org/10.1145/3600006.3613165", "https://dx.doi.org/10.1145/3600006.3613165"])
def test_dois_from_ids_and_links(text):
    assert doi(text) == "10.1145/3600006.3613165"


def test_not_a_doi():
    assert doi("https://example.org/10.1145/x") is None and doi("10.12/x") is None
