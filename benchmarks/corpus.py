"""Deterministic benchmark corpus: N papers as a complete sitegen project, from real seed text.

`generate(n, out_dir)` writes `seeds/*.txt` (about `per_file` entries per file, the three
listing layouts in turn), `content/site.yaml`, the repository's `content/taxonomy.yaml`, a few
curator notes and a copy of `templates/`. Titles recombine fragments of real titles with a
made-up system name, so they are distinct but read like the real ones; abstracts reorder the
sentences of a real abstract and borrow one to three sentences from others, so classification
and related papers meet realistic text. A small share of papers is listed twice (the second
time with a shortened abstract) so that merging has real work. The same arguments always
produce the same bytes.

Usage: python -m benchmarks.corpus N OUT_DIR [--seed S] [--per-file K]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Sequence

from sitegen.catalog.merge import build_catalog
from sitegen.catalog.records import paper_slug
from sitegen.sources.listing import Layout, MONTHS
from sitegen.sources.listing_files import read_seed_dir
from sitegen.text.repair import match_key, repair_text

REPO_ROOT = Path(__file__).resolve().parent.parent
FALLBACK_TAXONOMY = REPO_ROOT / "tests" / "fixtures" / "site" / "content" / "taxonomy.yaml"
DEFAULT_SEED = 9
PER_FILE = 500
DUPLICATE_SHARE = 0.02  # papers listed a second time, as real listings do
YEARLESS_SHARE = 0.25  # metadata dates printed without a year ("Oct 21")
CAPTURE_DATE = dt.date(2025, 11, 24)  # the day the year-less listings were "saved"
TITLE_MAX = 160
LAYOUTS = (Layout.COMPACT, Layout.SPACED, Layout.SPACED_METADATA)

# Neutral syllables for made-up system names: none is a taxonomy word on its own.
SYLLABLES = tuple("""
ar bel cor dax el fen gal hex ion jun kel lum mor nex orb pyr quil ros syl tor umb vex wen xan
yor zel ash bri cas dor eno fal gri hal isk jor kav lio mav nor oss pel rin sel tav ul ven wyr
zar aro bec dri fio gel iva kor lun mir nal ote pra
""".split())
ORGANIZATIONS = ("deepseek-ai DeepSeek", "Qwen Qwen", "nvidia NVIDIA", "google Google",
                 "microsoft Microsoft", "meta-llama Meta Llama", "allenai Ai2")
NOTE_TAGS = ("kernels", "serving", "memory", "must-read", "scheduling")

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


@dataclass(frozen=True, slots=True)
class SourcePaper:
    """A real listing entry whose text is recombined."""

    title: str
    abstract: str
    organization: str | None

    @property
    def head(self) -> str | None:
        """The system name before the colon ("MoE-Gen" in "MoE-Gen: High-Throughput ..."), if short."""
        head, colon, _ = self.title.partition(": ")
        return head if colon and len(head) <= 30 else None

    @property
    def tail(self) -> str:
        """The descriptive part of the title."""
        return self.title.partition(": ")[2] if self.head else self.title


@dataclass(frozen=True, slots=True)
class GeneratedPaper:
    """One paper of the corpus, as its listing entry shows it."""

    title: str
    abstract: str
    authors: int
    organization: str | None
    date: dt.date
    date_has_year: bool
    upvotes: int | None

    @property
    def slug(self) -> str:
        return paper_slug(repair_text(self.title))


@dataclass(frozen=True, slots=True)
class SeedListing:
    """One generated listing file."""

    name: str
    layout: Layout
    entries: tuple[GeneratedPaper, ...]


@dataclass(frozen=True, slots=True)
class Corpus:
    """What `generate` wrote."""

    root: Path
    papers: tuple[GeneratedPaper, ...]
    listings: tuple[SeedListing, ...]
    notes: tuple[str, ...]  # project-relative paths


# --- material ---------------------------------------------------------------------------------

def source_papers(root: Path = REPO_ROOT) -> tuple[SourcePaper, ...]:
    """Every distinct real entry of `root/seeds`, in file order."""
    found: dict[str, SourcePaper] = {}
    for seed_file in read_seed_dir(root / "seeds", root):
        for entry in seed_file.entries:
            title = entry.title.rstrip(". ")
            found.setdefault(match_key(title), SourcePaper(title, entry.abstract, entry.organization))
    if not found:
        raise ValueError(f"no seed entries under {root / 'seeds'}")
    return tuple(found.values())


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text.strip()) if s]


class _Names:
    """Made-up system names ("Lumvex", "CorZel"), each used once."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def next(self) -> str:
        syllables = 2 if self.rng.random() < 0.3 else 3
        while True:
            for _ in range(20):
                parts = [self.rng.choice(SYLLABLES) for _ in range(syllables)]
                camel = self.rng.random() < 0.3
                name = "".join(p.capitalize() for p in parts) if camel else "".join(parts).capitalize()
                if name.casefold() not in self.used:
                    self.used.add(name.casefold())
                    return name
            syllables += 1  # this length is crowded: longer names


# --- papers -----------------------------------------------------------------------------------

def make_papers(n: int, material: Sequence[SourcePaper], rng: random.Random) -> list[GeneratedPaper]:
    """`n` papers with pairwise distinct match keys."""
    names = _Names(rng)
    seen: set[str] = set()
    papers: list[GeneratedPaper] = []
    while len(papers) < n:
        base = rng.choice(material)
        name = names.next()
        title = _title(base, name, rng)
        key = match_key(repair_text(title))
        if key in seen or len(title) > TITLE_MAX:
            continue
        seen.add(key)
        papers.append(_paper(title, _abstract(base, name, material, rng), base, rng))
    return papers


def _title(base: SourcePaper, name: str, rng: random.Random) -> str:
    form = rng.random()
    if form < 0.55 or base.head is None and form >= 0.8:
        return f"{name}: {base.tail}"
    if form < 0.8:
        return f"{base.tail} with {name}"
    return f"{base.head}-{name}: {base.tail}"


def _abstract(base: SourcePaper, name: str, material: Sequence[SourcePaper], rng: random.Random) -> str:
    own = sentences(base.abstract.replace(base.head, name) if base.head else base.abstract)
    rest = own[1:]
    rng.shuffle(rest)
    for _ in range(rng.randint(1, 3)):
        borrowed = sentences(rng.choice(material).abstract)
        rest.insert(rng.randint(0, len(rest)), rng.choice(borrowed))
    return " ".join(own[:1] + rest)


def _paper(title: str, abstract: str, base: SourcePaper, rng: random.Random) -> GeneratedPaper:
    has_year = rng.random() >= YEARLESS_SHARE
    if has_year:
        date = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(365 * 6 + 300))
    else:  # year-less dates are always within the year before the capture date
        date = CAPTURE_DATE - dt.timedelta(days=rng.randrange(330))
    organization = base.organization or (rng.choice(ORGANIZATIONS) if rng.random() < 0.1 else None)
    upvotes = rng.randint(1, 120) if rng.random() < 0.4 else None
    return GeneratedPaper(title, abstract, rng.randint(1, 24), organization, date, has_year, upvotes)


# --- listing files ----------------------------------------------------------------------------

def make_listings(papers: Sequence[GeneratedPaper], per_file: int, rng: random.Random) -> list[SeedListing]:
    """Papers split into files of `per_file`, layouts in turn, plus the duplicate entries."""
    count = max(1, -(-len(papers) // per_file))
    width = max(3, len(str(count - 1)))
    groups = [list(papers[i * per_file:(i + 1) * per_file]) for i in range(count)]
    for index, group in enumerate(list(groups)):
        for paper in list(group):
            if rng.random() < DUPLICATE_SHARE:
                target = groups[(index + 1) % count]
                shortened = " ".join(sentences(paper.abstract)[:max(2, len(sentences(paper.abstract)) * 2 // 3)])
                target.insert(rng.randint(0, len(target)), replace(paper, abstract=shortened))
    return [SeedListing(f"{i:0{width}d}_{rng.getrandbits(64):016x}.txt", LAYOUTS[i % len(LAYOUTS)], tuple(group))
            for i, group in enumerate(groups)]


def listing_text(listing: SeedListing) -> str:
    """The file as the scraper would have saved it, in the listing's layout."""
    if listing.layout is Layout.COMPACT:
        lines = ["Get trending papers in your email inbox once a day!", "Get trending papers in your email inbox!"]
        for number, paper in enumerate(listing.entries):
            lines += [("Subscribe" if number == 0 else "") + paper.title, paper.abstract]
        return "\n".join(lines) + "\n"
    header = ["new", "Get trending papers in your email inbox!", "Subscribe"]
    if listing.layout is Layout.SPACED:
        blocks = header + ["byAK and the research community", "Mar 12"]
        blocks += [line for paper in listing.entries for line in (paper.title, paper.abstract)]
    else:
        blocks = header + ["Daily Papers", "byAK and the research community", _listing_date(CAPTURE_DATE, False)]
        blocks += [line for paper in listing.entries for line in _metadata_entry(paper)]
    return "\n\n".join(blocks) + "\n"


def _metadata_entry(paper: GeneratedPaper) -> tuple[str, ...]:
    date = _listing_date(paper.date, paper.date_has_year) + (f" {paper.upvotes}" if paper.upvotes else "")
    if paper.organization:
        return paper.title, paper.abstract, f"{paper.organization}\n{date}"
    plural = "s" if paper.authors != 1 else ""
    return paper.title, paper.abstract, f"  • {paper.authors} author{plural}\n{date}"


def _listing_date(date: dt.date, with_year: bool) -> str:
    text = f"{MONTHS[date.month - 1]} {date.day}"
    return f"{text}, {date.year}" if with_year else text


# --- project files ----------------------------------------------------------------------------

def site_yaml(title: str, listings: Iterable[SeedListing]) -> str:
    """Settings: a relative base URL, search on (as in the real site), and a capture date for
    every listing (it resolves year-less dates and dates the feed entries of undated papers)."""
    names = [listing.name for listing in listings]
    lines = [f"title: {json.dumps(title)}", "base_url: /", "search: true",
             "capture_dates:" if names else "capture_dates: {}"]
    lines += [f"  {name}: {CAPTURE_DATE.isoformat()}" for name in names]
    return "\n".join(lines) + "\n"


def write_notes(content_dir: Path, papers: Sequence[tuple[str, str]], count: int, rng: random.Random) -> list[Path]:
    """`count` curator notes on (slug, title) papers, each linking to another paper."""
    notes_dir = content_dir / "notes"
    notes_dir.mkdir(parents=True, exist_ok=True)
    chosen = rng.sample(list(papers), min(count, len(papers)))
    written = []
    for number, (slug, title) in enumerate(chosen):
        other_slug, _ = rng.choice(papers)
        status = ("read", "reading", "to-read")[number % 3]
        front = [f"paper: {slug}", f"status: {status}", f"summary: {json.dumps('Worth reading: ' + title)}",
                 f"tags: [{', '.join(rng.sample(NOTE_TAGS, 2))}]"]
        front += [f"rating: {rng.randint(3, 5)}"] if status == "read" else []
        front += ["pick: true"] if number < 2 else []
        body = (f"Read it next to [[{other_slug}]]: the two make the same trade-off differently.\n\n"
                f"- what it measures\n- what it *leaves out*\n\nNote {number + 1} of the benchmark corpus.\n")
        path = notes_dir / f"bench-note-{number + 1}.md"
        path.write_text("---\n" + "\n".join(front) + "\n---\n" + body, encoding="utf-8")
        written.append(path)
    return written


def note_count(papers: int) -> int:
    """A few notes: 3 for a small site, up to 25 for a large one."""
    return max(3, min(25, papers // 400))


def copy_site_support(out_dir: Path, source_root: Path = REPO_ROOT) -> None:
    """templates/ and content/taxonomy.yaml from the repository (the fixture taxonomy if absent)."""
    shutil.copytree(source_root / "templates", out_dir / "templates")
    taxonomy = source_root / "content" / "taxonomy.yaml"
    (out_dir / "content").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(taxonomy if taxonomy.is_file() else FALLBACK_TAXONOMY, out_dir / "content" / "taxonomy.yaml")


def generate(n: int, out_dir: Path, *, seed: int = DEFAULT_SEED, per_file: int = PER_FILE,
             source_root: Path = REPO_ROOT) -> Corpus:
    """Write an N-paper project into `out_dir` (which must be absent or empty)."""
    if n < 1 or per_file < 1:
        raise ValueError("n and per_file must be positive")
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ValueError(f"{out_dir} is not empty")
    rng = random.Random(seed)
    papers = make_papers(n, source_papers(source_root), rng)
    listings = make_listings(papers, per_file, rng)
    (out_dir / "seeds").mkdir(parents=True)
    for listing in listings:
        (out_dir / "seeds" / listing.name).write_text(listing_text(listing), encoding="utf-8")
    copy_site_support(out_dir, source_root)
    (out_dir / "content" / "site.yaml").write_text(site_yaml(f"Benchmark corpus ({n} papers)", listings),
                                                   encoding="utf-8")
    notes = write_notes(out_dir / "content", [(p.slug, p.title) for p in papers], note_count(n), rng)
    return Corpus(out_dir, tuple(papers), tuple(listings),
                  tuple(path.relative_to(out_dir).as_posix() for path in notes))


def copy_real_site(out_dir: Path, source_root: Path = REPO_ROOT, *, seed: int = DEFAULT_SEED) -> list[str]:
    """The repository's own project (seeds, content, templates) in `out_dir`; when it has no
    curator notes, a few are added so that a note edit can be measured. Returns added notes."""
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ValueError(f"{out_dir} is not empty")
    shutil.copytree(source_root / "seeds", out_dir / "seeds")
    if (source_root / "content").is_dir():
        shutil.copytree(source_root / "content", out_dir / "content")
    if not (source_root / "content" / "taxonomy.yaml").is_file():
        (out_dir / "content").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(FALLBACK_TAXONOMY, out_dir / "content" / "taxonomy.yaml")
    shutil.copytree(source_root / "templates", out_dir / "templates")
    if (out_dir / "content" / "notes").is_dir():
        return []
    catalog = build_catalog(read_seed_dir(out_dir / "seeds", out_dir), {})
    papers = [(p.slug, p.title) for p in catalog.papers]
    notes = write_notes(out_dir / "content", papers, note_count(len(papers)), random.Random(seed))
    return [path.relative_to(out_dir).as_posix() for path in notes]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write an N-paper benchmark project.")
    parser.add_argument("n", type=int)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--per-file", type=int, default=PER_FILE)
    args = parser.parse_args(argv)
    corpus = generate(args.n, args.out_dir, seed=args.seed, per_file=args.per_file)
    print(f"wrote {len(corpus.papers)} papers in {len(corpus.listings)} listing files and "
          f"{len(corpus.notes)} notes into {corpus.root}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
