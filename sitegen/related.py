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

Rebuilds update locally (`RelatedIndex`, kept by a watch process). The weights are global
(IDF), but an IDF reads the number of papers only through its power-of-two bracket and a
document frequency above `EXACT_FREQUENCY` only through its step (8 per doubling), so it only
moves when a rare term's frequency changes, a common term's crosses a step, or the number of
papers crosses a power of two (then everything is recomputed once). Papers added or removed
first move the kept papers to their new places (in the same order, so ties break the same
way) and give up or add their frequencies; an added paper counts as edited. Then an update
follows the dependencies of the computation above, each step exact:
  1. the edited papers' terms: their document frequencies, so only those terms' IDFs move;
  2. vectors: the edited papers', and those of papers holding a term whose IDF moved where
     that term is in the pruned vector or now outweighs its lightest kept term (otherwise
     the same terms with the same weights are kept);
  3. posting lists: those of the terms in a vector that changed, re-cut to `POSTING_CAP`;
  4. re-ranked: papers whose vector changed, whose query terms' cut posting list changed, or
     whose last shortlist holds a paper whose vector changed. Every other paper's shortlist
     and scores are made of the same floats as before, so its list stays as it was; and a
     re-ranked paper keeps the score and shared terms of each pair whose vectors are unchanged.
     Papers whose shortlist held a removed paper are re-ranked from scratch.
The result is the very one a clean computation gives (floats included).
"""

from __future__ import annotations

import functools
import heapq
import math
import re
from collections import Counter, defaultdict
from itertools import islice
from dataclasses import dataclass
from typing import Collection, Iterable, Mapping, Sequence

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
EXACT_FREQUENCY = 16  # document frequencies up to this count exactly in the IDF (rare terms say most)
FREQUENCY_STEPS = 8  # above it, a frequency counts as the next of 8 steps per doubling (see _idf)

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


def related_papers(documents: Sequence[Document], index: RelatedIndex | None = None) -> dict[str, tuple[Related, ...]]:
    """For each document slug, up to `MAX_RELATED` related documents, best first; with last
    round's `index` (watch), updated locally."""
    return (index or RelatedIndex()).update(documents)


class RelatedIndex:
    """Everything the related papers are computed from, kept to update them locally next time
    (see the module docstring). `update` with a fresh index is exactly `related_papers`."""

    def __init__(self) -> None:
        self._documents: tuple[Document, ...] = ()
        self._counts: list[Counter] = []  # per paper, its term counts
        self._frequency: Counter = Counter()  # term -> papers holding it
        self._idf: dict[str, float] = {}
        self._vectors: list[dict[str, float]] = []  # per paper, pruned and heaviest-first
        self._cuts: list[tuple[float, str] | None] = []  # per paper, its lightest kept term if it was cut
        self._postings: dict[str, dict[int, float]] = {}  # term -> paper index -> its weight there
        self._capped: dict[str, list[tuple[float, int]]] = {}  # the heaviest `POSTING_CAP` of each
        self._shortlists: list[tuple[int, ...] | None] = []  # per paper, the candidates it scored exactly
        self._scores: list[tuple[float, ...]] = []  # and their exact scores, in the same order
        self._related: list[tuple[Related, ...]] = []
        self.reranked = 0  # papers scored exactly again by the last update (tests read it)

    @property
    def documents(self) -> tuple[Document, ...]:
        """The documents the index holds (those of its last update)."""
        return self._documents

    def update(self, documents: Sequence[Document]) -> dict[str, tuple[Related, ...]]:
        """The related papers of `documents`, reusing what last call's documents leave unchanged."""
        documents = tuple(documents)
        try:
            if documents == self._documents:
                self.reranked = 0
            elif self._documents and _bracket(len(documents)) == _bracket(len(self._documents)) \
                    and _kept_in_order(self._documents, documents):
                self._update(documents)
            else:
                self._rebuild(documents)
        except BaseException:
            self.__init__()  # half-updated state must never be reused
            raise
        return {doc.slug: related for doc, related in zip(documents, self._related)}

    def _rebuild(self, documents: tuple[Document, ...]) -> None:
        counted = dict(zip(self._documents, self._counts))  # a document's terms are its own: kept
        self.__init__()
        self._documents = documents
        self._counts = [counted.get(doc) or _term_counts(doc) for doc in documents]
        self._frequency = Counter(term for counts in self._counts for term in counts)
        self._idf = {term: _idf(len(documents), df) for term, df in self._frequency.items()}
        self._vectors, self._cuts = map(list, zip(*(_pruned_vector(c, self._idf) for c in self._counts))) \
            if documents else ([], [])
        for index, vector in enumerate(self._vectors):
            for term, weight in vector.items():
                self._postings.setdefault(term, {})[index] = weight
        self._capped = {term: _capped(entries) for term, entries in self._postings.items()}
        self._shortlists, self._scores, self._related = [None] * len(documents), [()] * len(documents), \
            [()] * len(documents)
        self._rank(range(len(documents)), set())

    def _update(self, documents: tuple[Document, ...]) -> None:
        moved, gone = self._renumber(documents)
        edited = [i for i, (new, old) in enumerate(zip(documents, self._documents)) if new != old]
        self._documents = documents
        moved |= self._count_terms(edited)
        reweighed = set(edited) | {i for i, counts in enumerate(self._counts)
                                   if any(t in counts and self._may_enter(i, t) for t in moved)}
        changed = {}  # paper index -> its previous vector
        for index in sorted(reweighed):
            vector, self._cuts[index] = _pruned_vector(self._counts[index], self._idf)
            if list(vector.items()) != list(self._vectors[index].items()):  # the order matters too
                changed[index], self._vectors[index] = self._vectors[index], vector
        recut = self._repost(changed) | self._recut(gone)
        rescored = set(changed)
        rescored.update(i for i, shortlist in enumerate(self._shortlists)
                        if shortlist is None or any(other in changed for other in shortlist))
        queried = {i for i, vector in enumerate(self._vectors) if any(t in recut for t in islice(vector, QUERY_TERMS))}
        self._rank(sorted(rescored | queried), changed.keys())

    def _renumber(self, documents: tuple[Document, ...]) -> tuple[set[str], set[str]]:
        """Move every kept paper to its place in `documents` (the order of the papers kept is
        the same, so every tie broken by place breaks the same way); a paper removed gives up
        its document frequencies and postings, a paper added starts empty (`_update` counts it
        as edited). The terms whose IDF moved, and those whose posting lists lost a paper."""
        place = {doc.slug: i for i, doc in enumerate(documents)}
        new_index = [place.get(doc.slug) for doc in self._documents]
        if new_index == list(range(len(documents))):
            return set(), set()
        counted, gone = set(), set()
        for old, new in enumerate(new_index):
            if new is None:
                self._frequency.subtract(self._counts[old].keys())
                counted.update(self._counts[old])
                gone.update(self._vectors[old])
        moved = self._reweigh_terms(counted, len(documents))
        size, kept = len(documents), [(old, new) for old, new in enumerate(new_index) if new is not None]
        renumbered = {old: new for old, new in kept}
        empty = Document("", "", "")  # never equal to a real document: an added paper counts as edited
        documents_before, counts, vectors, cuts = [empty] * size, [Counter() for _ in range(size)], \
            [{} for _ in range(size)], [None] * size
        shortlists, scores, related = [None] * size, [()] * size, [()] * size
        for old, new in kept:
            documents_before[new], counts[new], vectors[new], cuts[new] = \
                self._documents[old], self._counts[old], self._vectors[old], self._cuts[old]
            shortlist = self._shortlists[old]
            if shortlist is not None and all(other in renumbered for other in shortlist):
                shortlists[new] = tuple(renumbered[other] for other in shortlist)
                scores[new], related[new] = self._scores[old], self._related[old]
        self._postings = {term: {renumbered[i]: w for i, w in entries.items() if i in renumbered}
                          for term, entries in self._postings.items()}
        self._capped = {term: [(w, renumbered[i]) for w, i in capped if i in renumbered]
                        for term, capped in self._capped.items()}
        self._documents, self._counts, self._vectors, self._cuts = tuple(documents_before), counts, vectors, cuts
        self._shortlists, self._scores, self._related = shortlists, scores, related
        return moved, gone

    def _recut(self, terms: set[str]) -> set[str]:
        """The posting lists of `terms` cut again after papers joined or left them; those whose cut changed."""
        recut = set()
        for term in terms:
            capped = _capped(self._postings[term]) if self._postings.get(term) else None
            if capped != self._capped.get(term):
                recut.add(term)
            if capped is None:
                self._postings.pop(term, None)
                self._capped.pop(term, None)
            else:
                self._capped[term] = capped
        return recut

    def _may_enter(self, index: int, term: str) -> bool:
        """Whether a new weight of `term` may change the paper's pruned vector: it is in it, or
        would now rank before the lightest term kept (the others' weights did not move)."""
        cut = self._cuts[index]
        if term in self._vectors[index] or cut is None:
            return True
        weight = _weight(self._counts[index][term], self._idf[term])
        return (-weight, term) < (-cut[0], cut[1])

    def _count_terms(self, edited: list[int]) -> set[str]:
        """New term counts for the edited papers; the terms whose IDF moved (with it)."""
        counted = set()
        for index in edited:
            old, new = self._counts[index], _term_counts(self._documents[index])
            self._counts[index] = new
            for term in old.keys() - new.keys():
                self._frequency[term] -= 1
                counted.add(term)
            for term in new.keys() - old.keys():
                self._frequency[term] += 1
                counted.add(term)
        return self._reweigh_terms(counted, len(self._documents))

    def _reweigh_terms(self, counted: set[str], total: int) -> set[str]:
        """The IDFs of terms whose document frequency changed; those whose IDF moved, came or went
        (a frequency that stays in its step keeps its IDF, see `_idf`)."""
        moved = set()
        for term in counted:
            if self._frequency[term] <= 0:
                del self._frequency[term], self._idf[term]
                moved.add(term)
            elif self._idf.get(term) != (idf := _idf(total, self._frequency[term])):
                self._idf[term] = idf
                moved.add(term)
        return moved

    def _repost(self, changed: dict[int, dict[str, float]]) -> set[str]:
        """Posting lists after the `changed` vectors (index -> old vector); the terms whose
        cut list changed."""
        touched = set()
        for index, old in changed.items():
            for term in old:
                del self._postings[term][index]
            for term, weight in self._vectors[index].items():
                self._postings.setdefault(term, {})[index] = weight
            touched.update(old, self._vectors[index])
        return self._recut(touched)

    def _rank(self, indices: Iterable[int], changed: Collection[int]) -> None:
        """A new shortlist for each of `indices`, and its best matches when the shortlist changed
        or a vector in the pair did (`changed`); a pair of unchanged vectors keeps its score and
        what it shares, anything else stays as it was."""
        self.reranked = 0
        for index in indices:
            shortlist, old = _shortlist(index, self._vectors, self._capped), self._shortlists[index]
            if shortlist == old and index not in changed and not any(other in changed for other in shortlist):
                continue
            known = {} if old is None or index in changed else {
                other: score for other, score in zip(old, self._scores[index]) if other not in changed}
            previous = {related.slug: related for related in self._related[index]} if known else {}
            self._shortlists[index] = shortlist
            self._scores[index], self._related[index] = _best_matches(
                index, shortlist, self._vectors, self._documents, known, previous)
            self.reranked += 1


def _idf(total: int, frequency: int) -> float:
    """The inverse document frequency, with the number of papers taken as its power-of-two
    bracket (`_bracket`) and a frequency over `EXACT_FREQUENCY` as its step (`_step`): adding or
    removing a paper then moves only the IDFs of its own rare terms and of the common ones whose
    frequency crosses a step (until the number of papers crosses a power of two, when every IDF
    moves once). A step changes an IDF by at most ln 2^(1/8) = 0.087."""
    return math.log((1 + _bracket(total)) / (1 + _step(frequency)))


def _step(frequency: int) -> int:
    """`frequency` itself up to `EXACT_FREQUENCY`, else the next of the steps 2^(k/8)."""
    if frequency <= EXACT_FREQUENCY:
        return frequency
    return math.ceil(2 ** (math.ceil(math.log2(frequency) * FREQUENCY_STEPS) / FREQUENCY_STEPS))


def _bracket(total: int) -> int:
    """The smallest power of two that is at least `total`."""
    return 1 << max(total - 1, 0).bit_length()


def _kept_in_order(old: Sequence[Document], new: Sequence[Document]) -> bool:
    """Whether the papers in both lists come in the same order in each (added and removed
    papers aside), so every kept paper can move to its new place keeping its ties' order."""
    old_slugs, new_slugs = {d.slug for d in old}, {d.slug for d in new}
    return [d.slug for d in old if d.slug in new_slugs] == [d.slug for d in new if d.slug in old_slugs]


def _capped(entries: Mapping[int, float]) -> list[tuple[float, int]]:
    """A term's posting list cut to the `POSTING_CAP` papers that weigh it most."""
    return sorted(((weight, index) for index, weight in entries.items()), key=lambda e: (-e[0], e[1]))[:POSTING_CAP]


def _term_counts(doc: Document) -> Counter:
    counts = _term_counter(doc.abstract)
    for term, count in _term_counter(doc.title).items():
        counts[term] += TITLE_WEIGHT * count
    for topic in doc.topics:
        counts[TOPIC_PREFIX + topic] += TOPIC_WEIGHT
    return counts


def _weight(count: int, idf: float) -> float:
    return (1 + _LOG[count] if count < len(_LOG) else 1 + math.log(count)) * idf


def _pruned_vector(counts: Counter, idf: dict[str, float]) -> tuple[dict[str, float], tuple[float, str] | None]:
    """The paper's `TOP_TERMS` heaviest terms, normalised; and the lightest of them (weight,
    term) when others were cut, None when every term with a weight was kept."""
    weights = {term: _weight(count, idf[term]) for term, count in counts.items()}
    # Terms in every paper carry no information (idf ~ 0) and would only cost time.
    ranked = sorted(((w, t) for t, w in weights.items() if w > 0), key=lambda wt: (-wt[0], wt[1]))
    kept = ranked[:TOP_TERMS]
    norm = math.sqrt(sum(w * w for w, _ in kept)) or 1.0
    return {term: weight / norm for weight, term in kept}, kept[-1] if len(ranked) > TOP_TERMS else None


def _shortlist(index: int, vectors, postings) -> tuple[int, ...]:
    """The candidates to score exactly: the best by the query terms' cut posting lists."""
    partial: dict[int, float] = defaultdict(float)
    for term, weight in islice(vectors[index].items(), QUERY_TERMS):  # vectors are heaviest-first
        for other_weight, other in postings[term]:
            if other != index:
                partial[other] += weight * other_weight
    return tuple(heapq.nlargest(RESCORED, partial, key=lambda other: (partial[other], -other)))


def _best_matches(index: int, shortlist: tuple[int, ...], vectors, documents, known: Mapping[int, float],
                  previous: Mapping[str, Related]) -> tuple[tuple[float, ...], tuple[Related, ...]]:
    """The exact scores of the shortlist, and the best `MAX_RELATED` of it with what each shares.
    `known` scores and `previous` matches are reused: they are of pairs whose vectors are unchanged."""
    vector = vectors[index]
    # Sum in the vector's own order: a set's order follows per-process string hashing, and a
    # different float summation order breaks ties differently from one build to the next.
    scores = tuple(known[other] if other in known else
                   sum(weight * vectors[other][t] for t, weight in vector.items() if t in vectors[other])
                   for other in shortlist)
    ranked = sorted(((score, documents[other].slug, other) for score, other in zip(scores, shortlist)
                     if score >= MIN_SCORE), key=lambda item: (-item[0], item[1]))[:MAX_RELATED]
    return scores, tuple(previous[slug] if other in known and slug in previous else
                         Related(slug, round(score, 4), _shared_terms(vector, vectors[other]))
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
