"""URLs found in scraped text: trimmed of the prose around them, and classified."""

from __future__ import annotations

from sitegen.text.weblinks import ExternalLink, clean_url, extract_links


def test_extract_links_trims_prose_punctuation_and_classifies():
    text = ("Code: https://github.com/nvidia/megatron-lm. Demo at https://taoranyi.com/gaussiandreamer/. "
            "(see https://github.com/chakkritte/EEEA-Net). Repo https://github.com/x/y.git. "
            "Again https://github.com/nvidia/megatron-lm; bare https://github.com/")
    assert extract_links(text) == (
        ExternalLink("code", "https://github.com/nvidia/megatron-lm"),
        ExternalLink("project", "https://taoranyi.com/gaussiandreamer/"),
        ExternalLink("code", "https://github.com/chakkritte/EEEA-Net"),
        ExternalLink("code", "https://github.com/x/y"),
        ExternalLink("project", "https://github.com/"),
    )


def test_clean_url_trims_only_unbalanced_brackets_and_prose_punctuation():
    assert clean_url("https://en.wikipedia.org/wiki/A_(b)).") == "https://en.wikipedia.org/wiki/A_(b)"
    assert clean_url("https://x.org/[a]]]") == "https://x.org/[a]"
    assert clean_url("https://github.com/a/b" + ")" * 200_000) == "https://github.com/a/b"  # once 50 s
    assert clean_url("https://github.com/a/b.git).") == "https://github.com/a/b"
