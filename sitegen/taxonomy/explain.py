"""`sitegen explain`: every tag of a paper with its evidence quoted in context, then the
hardware the abstract only mentions (evidence that did not count) and the rules that
matched but were excluded."""

from __future__ import annotations

from sitegen.taxonomy.classify import CURATOR_FIELD, Evidence, NearMiss, Tag, Tags
from sitegen.taxonomy.model import Taxonomy

CONTEXT = 40  # characters of text shown on each side of a match


def explain(tax: Taxonomy, title: str, abstract: str, tags: Tags) -> str:
    """Multi-line human text; `title` and `abstract` are the texts `tags` came from."""
    texts = {"title": title or "", "abstract": abstract or ""}
    lines: list[str] = []
    for heading, axis in (("Topics", tags.topics), ("Hardware", tags.hardware), ("Models", tags.models)):
        lines.append(f"{heading}:" if axis else f"{heading}: none")
        for tag in axis:
            lines.extend(_tag_lines(tax, tag, texts))
    lines.extend(_misses("Mentioned, not counted", "hardware named only in passing", tags.mentions, texts,
                         "mentioned in"))
    lines.extend(_misses("Near misses", "matched, then excluded", tags.near_misses, texts, "excluded by"))
    return "\n".join(lines) + "\n"


def _misses(name: str, detail: str, misses: tuple[NearMiss, ...], texts: dict[str, str], verb: str) -> list[str]:
    """Matches that did not count, each with the rule that stopped it, quoted in context."""
    if not misses:
        return [f"{name}: none"]
    lines = [f"{name} ({detail}):"]
    for miss in misses:
        where = f"{miss.field} {miss.start}-{miss.end}"
        lines.append(f"  {miss.id}: {miss.rule} matched {miss.text!r} at {where}, "
                     f"{verb} {miss.excluded_by} on {miss.excluding_text!r}")
        lines.append(f"      {quote(texts[miss.field], miss.start, miss.end)}")
    return lines


def _tag_lines(tax: Taxonomy, tag: Tag, texts: dict[str, str]) -> list[str]:
    lines = [f"  {tag.id} ({tax.title_of(tag.id)})"]
    for evidence in tag.evidence:
        lines.append(f"    - {_where(evidence)}{evidence.rule}")
        if evidence.field != CURATOR_FIELD:
            lines.append(f"      {quote(texts[evidence.field], evidence.start, evidence.end)}")
    return lines


def _where(evidence: Evidence) -> str:
    if evidence.field == CURATOR_FIELD:
        return ""
    return f"{evidence.field} {evidence.start}-{evidence.end}: "


def quote(text: str, start: int, end: int) -> str:
    """The match in its context on one line, marked with «»."""
    before = text[max(0, start - CONTEXT):start]
    after = text[end:end + CONTEXT]
    lead = "…" if start > CONTEXT else ""
    tail = "…" if end + CONTEXT < len(text) else ""
    return " ".join(f"{lead}{before}«{text[start:end]}»{after}{tail}".split())
