"""Related papers: TF-IDF cosine over title, abstract and topics, explained by the shared terms.

A paper's terms are its words without stop words and listing boilerplate (URLs, "code is
available", "state of the art"), the two-word phrases those words form ("kv cache",
"speculative decoding"), its title's terms counted `TITLE_WEIGHT` times, and its topic
tags counted `TOPIC_WEIGHT` times: papers about the same thing share the topic even when
they word it differently. The "shares:" line shows the shared words and phrases that
contribute most, a phrase hiding the words it is made of.

Each paper keeps only its `TOP_TERMS` heaviest terms (a pruned, re-normalised vector).
Candidates come from an impact-ordered inverted index: a paper's `QUERY_TERMS` heaviest terms,
each looked up in a posting list cut to the `POSTING_CAP` papers that weigh that term most.
The best candidates are then scored exactly. The work per paper is bounded by those two
constants, so the whole stage grows linearly with the number of papers, never with pairs.
"""

from __future__ import annotations

import functools
import heapq
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

TOP_TERMS = 50  # terms kept per paper (words and phrases); the ranking barely changes beyond this
QUERY_TERMS = 10  # a paper's heaviest terms used to find candidates
POSTING_CAP = 32  # papers kept per term in the index, those that weigh the term most
RESCORED = 15  # candidates scored exactly with the full vectors
MAX_RELATED = 5
MIN_SCORE = 0.04  # below this the "related" paper only shares boilerplate
TITLE_WEIGHT = 3  # a word in the title says more about the paper than one in the abstract
# A topic tag counts as if written 24 times: after the log damping (1 + ln 24 = 4.2) it
# weighs about twice a title word, so papers on the same topic come first and the words
# rank them (measured: tests/taxonomy/test_quality.py, related papers sharing a topic).
TOPIC_WEIGHT = 24
TOPIC_PREFIX = "topic:"  # topic terms are never words, so never shown as shared words
SHOWN_TERMS = 4  # shared terms on the "shares:" line

_WORD = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
STOPWORDS = frozenset("""
a about above across after again against all almost along also although among an and another
any are as at be because been before being between both but by can could did do does doing done
due during each either enable enables enabling even ever every few for from further get gets
given has have having here how however if in into is it its itself just large less like made make
makes many may more most much must new no nor not novel of off on once one only or other our out
over own paper per propose proposed proposes provide provides rather same several should show
shows significant significantly since so some such than that the their them then there these they
this those through thus to towards under up upon use used uses using various very via was we well
were what when where whether which while who whose why will with within without work would yet
approach approaches method methods result results achieve achieves achieving existing based
present presents compared state art first two three up-to across outperforms improve improves
improved improvement better high higher low lower key furthermore moreover often reaching
longer deeper faster larger smaller greater best demonstrate demonstrates evaluate evaluation
experiment experiments introduce introduces including include includes respectively typically
available code github https http www com org html publicly open-source source release released
project page demonstrates demonstrated effective effectively efficient efficiently performance
quickly replace replaces default support supports supported write writes read reads allow allows
allowing able ability need needs needed time times recent recently however widely challenge challenges
problem problems remains remain issue issues due whereas thereby extensive extensively comprehensive
significant substantial substantially consistently overall finally specifically particularly
al et eg ie vs ii iii iv am me my he she us
""".split())
_URL = re.compile(r"https?://\S+|www\.\S+|\S+\.(?:com|org|io|dev|ai|net)\S*")


_LOG = [0.0] + [math.log(n) for n in range(1, 64)]  # log of small term counts, computed once


@dataclass(frozen=True, slots=True)
class Related:
    """One related paper and why: the terms that contribute most to the similarity."""

    slug: str
    score: float
    shared_terms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Document:
    """The text of one paper as the similarity sees it, with the names of its topics."""

    slug: str
    title: str
    abstract: str
    topics: tuple[str, ...] = ()


def tokens(text: str) -> list[str]:
    """Lower-case words without stop words, with a light plural fold (models -> model)."""
    return [term for term in map(_term, _WORD.findall(_URL.sub(" ", text.lower()))) if term]


def _term_counter(text: str) -> Counter:
    """The terms of a text and how often each occurs: its words (as `tokens`) and the
    two-word phrases of neighbouring words that are not stop words ("kv cache")."""
    counts: Counter = Counter()
    previous = ""
    for word in _WORD.findall(_URL.sub(" ", text.lower())):
        term = _term(word)
        if term:
            counts[term] += 1
            if previous:
                counts[f"{previous} {term}"] += 1
        previous = term
    return counts


@functools.lru_cache(maxsize=1 << 17)
def _term(word: str) -> str:
    """The term a word counts as, or "" for a stop word (memoised: words repeat endlessly)."""
    if word in STOPWORDS or len(word) < 2 or word.isdigit():  # two letters can matter: "kv", "rl", "ai"
        return ""
    # Plural fold; "status", "corpus", "analysis" keep their s ("gpus" does not).
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "is")) \
            and not (word.endswith("us") and len(word) > 4):
        return word[:-1]
    return word


def related_papers(documents: Sequence[Document], limit: int = MAX_RELATED) -> dict[str, tuple[Related, ...]]:
    """For each document slug, up to `limit` related documents, best first."""
    term_counts = [_term_counts(doc) for doc in documents]
    document_frequency = Counter(term for counts in term_counts for term in counts)
    total = len(documents)
    idf = {term: math.log((1 + total) / (1 + df)) for term, df in document_frequency.items()}
    vectors = [_pruned_vector(counts, idf) for counts in term_counts]
    postings: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for index, vector in enumerate(vectors):
        for term, weight in vector.items():
            postings[term].append((weight, index))
    capped = {term: sorted(entries, key=lambda e: (-e[0], e[1]))[:POSTING_CAP] for term, entries in postings.items()}
    return {doc.slug: _best_matches(index, vectors, capped, documents, limit)
            for index, doc in enumerate(documents)}


def _term_counts(doc: Document) -> Counter:
    counts = _term_counter(doc.abstract)
    for term, count in _term_counter(doc.title).items():
        counts[term] += TITLE_WEIGHT * count
    for topic in doc.topics:
        counts[TOPIC_PREFIX + topic] += TOPIC_WEIGHT
    return counts


def _pruned_vector(counts: Counter, idf: dict[str, float]) -> dict[str, float]:
    weights = {term: (1 + _LOG[count] if count < len(_LOG) else 1 + math.log(count)) * idf[term]
               for term, count in counts.items()}
    # Terms in every paper carry no information (idf ~ 0) and would only cost time.
    kept = sorted(((w, t) for t, w in weights.items() if w > 0), key=lambda wt: (-wt[0], wt[1]))[:TOP_TERMS]
    norm = math.sqrt(sum(w * w for w, _ in kept)) or 1.0
    return {term: weight / norm for weight, term in kept}


def _best_matches(index: int, vectors, postings, documents, limit: int) -> tuple[Related, ...]:
    vector = vectors[index]
    partial: dict[int, float] = defaultdict(float)
    for term, weight in list(vector.items())[:QUERY_TERMS]:  # vectors are heaviest-first
        for other_weight, other in postings[term]:
            if other != index:
                partial[other] += weight * other_weight
    shortlist = heapq.nlargest(RESCORED, partial, key=lambda other: (partial[other], -other))
    # Sum in the vector's own order: a set's order follows per-process string hashing, and a
    # different float summation order breaks ties differently from one build to the next.
    exact = ((sum(weight * vectors[other][t] for t, weight in vector.items() if t in vectors[other]), other)
             for other in shortlist)
    ranked = sorted(((score, documents[other].slug, other) for score, other in exact if score >= MIN_SCORE),
                    key=lambda item: (-item[0], item[1]))[:limit]
    return tuple(Related(slug, round(score, 4), _shared_terms(vectors[index], vectors[other]))
                 for score, slug, other in ranked)


def _shared_terms(first: dict[str, float], second: dict[str, float]) -> tuple[str, ...]:
    """What the two papers share, for people: the shared phrases that add most to the
    similarity, then shared words that are not part of a shown phrase ("kv cache", not
    also "cache"); the shared topics only when no word is shared."""
    shared = [term for _, term in sorted(((first[t] * second[t], t) for t in first.keys() & second.keys()
                                          if not t.startswith(TOPIC_PREFIX)), key=lambda item: (-item[0], item[1]))]
    phrases = [term for term in shared if " " in term][:SHOWN_TERMS]
    in_phrases = {word for phrase in phrases for word in phrase.split(" ")}
    words = [term for term in shared if " " not in term and term not in in_phrases]
    if phrases or words:
        return tuple((phrases + words)[:SHOWN_TERMS])
    # Only the topic is shared: name it rather than show nothing.
    return tuple(sorted(t[len(TOPIC_PREFIX):] for t in first.keys() & second.keys() if t.startswith(TOPIC_PREFIX)))


def documents_of(papers: Iterable, topics: Mapping[str, Iterable[str]] | None = None) -> list[Document]:
    """Documents for anything with slug, title and abstract (papers of any origin), with
    the topic names `topics` gives each slug."""
    topics = topics or {}
    return [Document(p.slug, p.title, p.abstract, tuple(topics.get(p.slug, ()))) for p in papers]
