"""Safe YAML for curator files: size-capped, alias-bomb-proof, with line numbers kept.

Mappings load as `YamlMap` and sequences as `YamlList`: ordinary dict/list subclasses that
also remember where they and each of their keys/items start, so later validation can
report `content/x.yaml:LINE: message` for any value it rejects. Lines are the editor's
(`sitegen.text.lines`), whatever line breaks YAML saw.

sitegen's own limits (size, nesting, aliases) are checked on the text before PyYAML sees
it, so their messages are sitegen's whichever PyYAML version is installed (6.0.4 started
refusing deep nesting itself, in its own words). Explicit tags are limited to the ones a
curator file can mean, and a value a tag cannot convert is a located error.
"""

from __future__ import annotations

import yaml

from sitegen.diagnostics import SitegenError, error
from sitegen.text.lines import YamlLines
from sitegen.text.yamlscan import first_excess

MAX_YAML_BYTES = 1_000_000  # a curator file larger than this is a mistake or an attack
MAX_YAML_NODES = 100_000  # nodes after alias expansion; aliases can multiply size
MAX_YAML_DEPTH = 64  # no curator file nests deeper; libyaml crashes the process near 50,000
MAX_YAML_ALIASES = 1_000  # curator files use a handful at most

# Explicit tags a curator file may carry; others (!!binary, !!set, !!python/...) are refused.
ACCEPTED_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in (
    "str", "int", "float", "bool", "null", "map", "seq", "timestamp", "merge", "value"))

_EXCESS = {
    "depth": f"YAML nested more than {MAX_YAML_DEPTH} levels deep; refused",
    "aliases": f"YAML uses more than {MAX_YAML_ALIASES:,} aliases; refused",
}

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # C loader is ~9x faster


class YamlMap(dict):
    """A mapping that remembers its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict

    def line_of(self, key) -> int:
        return self.key_lines.get(key, self.line)


class YamlList(list):
    """A sequence that remembers its own line and the line of each item (1-based)."""

    line: int = 0
    item_lines: list

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class _LocatingLoader(_BaseLoader):
    """Builds YamlMap/YamlList with editor lines; any value a tag cannot convert is a
    located `ConstructorError` rather than the converter's own exception."""

    def __init__(self, text: str):
        super().__init__(text)
        self.lines = YamlLines(text)

    def line_of(self, node) -> int:
        return self.lines.editor_line(node.start_mark.line)

    def construct_object(self, node, deep=False):
        if node.tag not in ACCEPTED_TAGS and node.tag != "!" and (node.tag or "").startswith(("!", "tag:")):
            raise yaml.constructor.ConstructorError(
                None, None, f"the YAML tag {_tag_name(node.tag)} is not accepted here", node.start_mark)
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError):
            # e.g. `!!int abc`, `!!map [1]`, an integer of 5,000 digits
            raise yaml.constructor.ConstructorError(
                None, None, f"{_describe_node(node)} cannot be read as {_tag_name(node.tag)}",
                node.start_mark) from None


def _tag_name(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


def _describe_node(node) -> str:
    if isinstance(node, yaml.ScalarNode):
        value = node.value if len(node.value) <= 40 else node.value[:37] + "..."
        return f"the value {value!r}"
    return "a mapping" if isinstance(node, yaml.MappingNode) else "a sequence"


def _construct_map(loader, node):
    if not isinstance(node, yaml.MappingNode):
        raise TypeError("not a mapping")
    result = YamlMap()
    result.line = loader.line_of(node)
    result.key_lines = {}
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise yaml.constructor.ConstructorError(
                None, None, "mapping keys must be plain values", key_node.start_mark
            )
        if key in result.key_lines:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = loader.line_of(key_node)
    return result


def _construct_list(loader, node):
    if not isinstance(node, yaml.SequenceNode):
        raise TypeError("not a sequence")
    result = YamlList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = loader.line_of(node)
    result.item_lines = [loader.line_of(child) for child in node.value]
    return result


def _construct_as_text(loader, node):
    # Dates stay text: validation parses them itself and reports the line.
    return loader.construct_scalar(node)


_LocatingLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_LocatingLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_list)
_LocatingLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_as_text)
# PyYAML resolves a lone `=` to the YAML 1.1 "value" tag, which has no constructor: text.
_LocatingLoader.add_constructor("tag:yaml.org,2002:value", _construct_as_text)


def _expanded_size(node, limit: int) -> int:
    """Count nodes as if every alias were expanded, stopping once past `limit`."""
    count = 0
    stack = [node]
    while stack:
        current = stack.pop()
        count += 1
        if count > limit:
            return count
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                stack.append(key)
                stack.append(value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return count


def load_yaml(text: str, path: str, first_line: int = 1):
    """Parse one YAML document; raise `SitegenError` located at `path` on any problem.

    `first_line` is the file line where `text` starts (front matter begins after `---`).
    An empty document loads as an empty `YamlMap`.
    """
    offset = first_line - 1
    if len(text.encode("utf-8", "surrogatepass")) > MAX_YAML_BYTES:
        raise SitegenError([error(path, first_line, f"YAML larger than {MAX_YAML_BYTES:,} bytes refused")])
    loader = _LocatingLoader(text)
    excess = first_excess(text, MAX_YAML_DEPTH, MAX_YAML_ALIASES)
    if excess is not None:
        loader.dispose()
        raise SitegenError([error(path, loader.lines.editor_line(excess.yaml_line) + offset, _EXCESS[excess.limit])])
    try:
        node = loader.get_single_node()
        if node is None:
            empty = YamlMap()
            empty.line, empty.key_lines = first_line, {}
            return empty
        if _expanded_size(node, MAX_YAML_NODES) > MAX_YAML_NODES:
            raise SitegenError([error(
                path, loader.line_of(node) + offset,
                f"YAML expands to more than {MAX_YAML_NODES:,} nodes (alias bomb?); refused",
            )])
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (loader.lines.editor_line(mark.line) + offset) if mark else first_line
        problem = " ".join(p for p in (exc.context, exc.problem) if p)
        raise SitegenError([error(path, line, f"invalid YAML: {problem}")]) from None
    except yaml.YAMLError as exc:
        raise SitegenError([error(path, first_line, f"invalid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    if offset:
        _shift_lines(data, offset)
    return data


def _shift_lines(value, offset: int) -> None:
    if isinstance(value, YamlMap):
        value.line += offset
        value.key_lines = {k: v + offset for k, v in value.key_lines.items()}
        for child in value.values():
            _shift_lines(child, offset)
    elif isinstance(value, YamlList):
        value.line += offset
        value.item_lines = [n + offset for n in value.item_lines]
        for child in value:
            _shift_lines(child, offset)
