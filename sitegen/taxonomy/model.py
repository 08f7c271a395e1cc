"""Records of a loaded taxonomy: topics, the hardware hierarchy, models, compiled rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from sitegen.diagnostics import Diagnostic
from sitegen.taxonomy.index import RuleIndex
from sitegen.taxonomy.rules import MatchRule

HARDWARE_KINDS = ("vendor", "family", "category")
MENTION_OWNER = ""  # the owner of the `mentions:` rules (no id can be empty)


@dataclass(frozen=True, slots=True)
class Topic:
    """What a paper is about, e.g. `kv-cache`."""

    id: str
    title: str
    description: str
    line: int  # where it is defined in the taxonomy file


@dataclass(frozen=True, slots=True)
class HardwareEntry:
    """A vendor (`nvidia`), a family of one vendor (`nvidia-hopper`) or a category that
    cuts across vendors (`fpga`, `single-gpu`)."""

    id: str
    kind: str  # one of HARDWARE_KINDS
    title: str
    description: str
    parent: str | None  # the vendor of a family; None for vendors and categories
    line: int


@dataclass(frozen=True, slots=True)
class HardwareModel:
    """One product with its own page, e.g. slug `h100`, name `H100`, family `nvidia-hopper`."""

    slug: str
    name: str  # how the site spells it
    family: str  # the hardware entry it belongs to (a family, or a vendor/category)
    aliases: tuple[str, ...]  # phrases that name it
    line: int


@dataclass(frozen=True, slots=True)
class TopicScoring:
    """How rule matches become topics. A rule adds its weight once per field, times
    `title_weight` in the title. A topic is kept with at least `threshold` points and at
    least `share_of_best` of the best topic's points (a paper is mostly about one or two
    things; the rest are mentions); at most `max_topics` are kept, best first."""

    threshold: int = 4
    share_of_best: float = 0.4
    max_topics: int = 3
    title_weight: int = 2


@dataclass(frozen=True, slots=True)
class Reading:
    """How model names are written in running text besides their aliases (the
    `reading:` block): `counts` are glued multipliers read apart from the name after them
    ("8xA100" is 8 × "A100"); `series` finds a list that continues a name prefix ("RTX
    4090, 3090" names the RTX 3090 too), one pattern for all the prefixes."""

    counts: tuple[re.Pattern, ...] = ()
    series: re.Pattern | None = None


@dataclass(frozen=True, slots=True)
class Taxonomy:
    """The whole taxonomy, validated, with every rule compiled once."""

    label: str  # the file it came from, as diagnostics name it
    topics: tuple[Topic, ...]  # file order
    hardware: tuple[HardwareEntry, ...]  # file order
    models: tuple[HardwareModel, ...]  # file order
    scoring: TopicScoring
    rules: tuple[MatchRule, ...]  # every rule, file order
    implied: Mapping[str, tuple[str, ...]]  # hardware id or model slug -> ids it implies
    unless: Mapping[str, tuple[str, ...]]  # hardware id -> ids whose presence cancels it
    warnings: tuple[Diagnostic, ...]
    reading: Reading  # glued counts and series of model names
    aliases: Mapping[str, MatchRule]  # a model alias folded by `alias_key` -> its rule
    index: RuleIndex = field(repr=False, compare=False)  # every rule, ready to search (built on first use)
    _order: Mapping[str, int] = field(init=False, repr=False, compare=False)
    _topics: Mapping[str, Topic] = field(init=False, repr=False, compare=False)
    _hardware: Mapping[str, HardwareEntry] = field(init=False, repr=False, compare=False)
    _models: Mapping[str, HardwareModel] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        ids = [t.id for t in self.topics] + [h.id for h in self.hardware] + [m.slug for m in self.models]
        object.__setattr__(self, "_order", MappingProxyType({i: n for n, i in enumerate(ids)}))
        object.__setattr__(self, "_topics", MappingProxyType({t.id: t for t in self.topics}))
        object.__setattr__(self, "_hardware", MappingProxyType({h.id: h for h in self.hardware}))
        object.__setattr__(self, "_models", MappingProxyType({m.slug: m for m in self.models}))

    def topic(self, topic_id: str) -> Topic | None:
        return self._topics.get(topic_id)

    def hardware_entry(self, hardware_id: str) -> HardwareEntry | None:
        return self._hardware.get(hardware_id)

    def model(self, slug: str) -> HardwareModel | None:
        return self._models.get(slug)

    def order(self, some_id: str) -> int:
        """Position in the file, for sorting anything keyed by taxonomy ids."""
        return self._order[some_id]

    def title_of(self, some_id: str) -> str:
        """The display name of a topic, hardware entry or model."""
        found = self._topics.get(some_id) or self._hardware.get(some_id)
        if found:
            return found.title
        return self._models[some_id].name


def alias_key(name: str) -> str:
    """A model name as aliases are compared: lower case, without spaces and hyphens
    ("RTX 4090", "rtx-4090" and "RTX4090" are one name)."""
    return re.sub(r"[\s\-]+", "", name).lower()


def ancestors(tax: Taxonomy, hardware_id: str) -> tuple[str, ...]:
    """The parent chain of a hardware entry or model, nearest first (`h100` ->
    `nvidia-hopper`, `nvidia`)."""
    chain = []
    model = tax.model(hardware_id)
    current = model.family if model else (tax.hardware_entry(hardware_id).parent)
    while current is not None and current not in chain:
        chain.append(current)
        current = tax.hardware_entry(current).parent
    return tuple(chain)


def hardware_children(tax: Taxonomy, hardware_id: str) -> tuple[HardwareEntry | HardwareModel, ...]:
    """The families of a vendor, then the models directly under the entry, file order."""
    families = tuple(h for h in tax.hardware if h.parent == hardware_id)
    models = tuple(m for m in tax.models if m.family == hardware_id)
    return families + models
