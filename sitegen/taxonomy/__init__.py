"""Stage 3, taxonomy: load `content/taxonomy.yaml`, classify papers, keep the evidence.

The topics, the hardware hierarchy (vendor > family > model) and the match rules all
live in the taxonomy file; this package only knows how to read, check and apply them.
Everything here is pure except `load_taxonomy`, which reads the file.

    tax = load_taxonomy(Path("content/taxonomy.yaml"))
    tags = classify(tax, paper.title, paper.abstract)
    tags = apply_override(tax, tags, Override(add_topics=("kv-cache",)), "content/notes/x.md")
    print(explain(tax, paper.title, paper.abstract, tags))

Modules: `model` (the records: Taxonomy, Topic, HardwareEntry, HardwareModel), `parse` (the
file to a Taxonomy) with `validate` (typed readers, located problems, cross-entry checks),
`rules` (one phrase or regex checked and compiled) with `patterns` (what a regex can start
with), `index` (every rule found in a text in one pass over its words), `classify` (matches
to topics and hardware, overrides) and `explain` (counted and uncounted evidence, in words).
"""

from __future__ import annotations

from pathlib import Path

from sitegen.diagnostics import SitegenError, error
from sitegen.sources.inputfiles import read_regular
from sitegen.taxonomy.classify import (
    CURATOR_FIELD, Evidence, NearMiss, Override, Tag, Tags, apply_override, check_override, classify,
)
from sitegen.taxonomy.explain import explain
from sitegen.taxonomy.model import (
    HardwareEntry, HardwareModel, Taxonomy, Topic, TopicScoring, ancestors, hardware_children,
)
from sitegen.taxonomy.parse import parse_taxonomy

DEFAULT_LABEL = "content/taxonomy.yaml"

__all__ = [
    "CURATOR_FIELD", "DEFAULT_LABEL", "Evidence", "HardwareEntry", "HardwareModel", "NearMiss", "Override",
    "Tag", "Tags", "Taxonomy", "Topic", "TopicScoring", "ancestors", "apply_override", "check_override",
    "classify", "explain", "hardware_children", "load_taxonomy", "parse_taxonomy",
]


def load_taxonomy(path: Path, label: str = DEFAULT_LABEL) -> Taxonomy:
    """Read and validate the taxonomy file; problems are reported against `label`."""
    try:
        data = read_regular(path)
    except OSError as exc:
        raise SitegenError([error(label, None, f"cannot read the taxonomy: {exc.strerror or exc}")]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise SitegenError([error(label, line, "the taxonomy is not valid UTF-8")]) from None
    return parse_taxonomy(text, label)
