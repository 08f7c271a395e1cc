"""arXiv ids and DOIs, recognised wherever they are written (pure functions).

A paper is identified the same way whether its id came from a BibTeX field (`eprint`,
`doi`, `journal = {arXiv preprint arXiv:...}`) or from a link (`arxiv.org/abs/...`,
`arxiv.org/pdf/...`, `huggingface.co/papers/...`, `hf.co/papers/...`, `doi.org/...`).
Versions are dropped: `2307.08691v2` is the paper `2307.08691`.
"""

from __future__ import annotations

import re

# New-style ids (2007 on: YYMM.NNNN or YYMM.NNNNN) and old-style ones (archive/YYMMNNN).
_ARXIV_ID = r"(?P<id>\d{4}\.\d{4,5}|[a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?"
_ARXIV_URL = re.compile(
    r"^https?://(?:www\.|export\.)?(?:arxiv\.org/(?:abs|pdf|html)|(?:huggingface\.co|hf\.co)/papers)/"
    + _ARXIV_ID + r"(?:\.pdf)?/?(?:[?#].*)?$", re.IGNORECASE)
_ARXIV_BARE = re.compile(r"^(?:arxiv:\s*)?" + _ARXIV_ID + r"$", re.IGNORECASE)
_ARXIV_IN_TEXT = re.compile(r"\barxiv:\s*" + _ARXIV_ID + r"\b", re.IGNORECASE)
# A DOI is "10." + registrant + "/" + suffix; the suffix may hold almost anything but blanks
# (braces and backslashes are refused: they would have to be escaped in BibTeX's verbatim field).
_DOI = r"(?P<doi>10\.\d{4,9}/[^\s{}\\]+)"
_DOI_URL = re.compile(r"^https?://(?:dx\.)?doi\.org/" + _DOI + r"$", re.IGNORECASE)
_DOI_BARE = re.compile(r"^(?:doi:\s*)?" + _DOI + r"$", re.IGNORECASE)


def arxiv_id(text: str | None) -> str | None:
    """The arXiv id in a bare id (`2307.08691v2`, `arXiv:2307.08691`) or an arXiv or
    Hugging Face paper URL, without its version; None when there is none."""
    if not text:
        return None
    text = text.strip()
    match = _ARXIV_URL.match(text) or _ARXIV_BARE.match(text)
    return match["id"] if match else None


def arxiv_in_text(text: str | None) -> str | None:
    """An `arXiv:ID` mentioned in prose such as BibTeX's `journal = {arXiv preprint arXiv:...}`."""
    match = _ARXIV_IN_TEXT.search(text or "")
    return match["id"] if match else None


def doi(text: str | None) -> str | None:
    """The DOI in a bare DOI (`10.1145/...`, `doi:10.1145/...`) or a doi.org URL; None otherwise."""
    if not text:
        return None
    text = text.strip()
    match = _DOI_URL.match(text) or _DOI_BARE.match(text)
    return match["doi"].rstrip(".,;") if match else None


def arxiv_abs_url(identifier: str) -> str:
    return f"https://arxiv.org/abs/{identifier}"


def arxiv_pdf_url(identifier: str) -> str:
    return f"https://arxiv.org/pdf/{identifier}"


def doi_url(identifier: str) -> str:
    return f"https://doi.org/{identifier}"
