"""Safe YAML for curator files: size-capped, alias-bomb-proof, with line numbers kept.

Mappings load as `YamlMap` and sequences as `YamlList`: ordinary dict/list subclasses that
also remember where they and each of their keys/items start, so later validation can
report `content/x.yaml:LINE: message` for any value it rejects.
"""

from __future__ import annotations

import yaml

from sitegen.diagnostics import SitegenError, error

MAX_YAML_BYTES = 1_000_000  # a curator file larger than this is a mistake or an attack
MAX_YAML_NODES = 100_000  # nodes after alias expansion; aliases can multiply size
MAX_YAML_DEPTH = 64  # no curator file nests deeper; libyaml crashes the process near 50,000

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
    pass


def _construct_map(loader, node):
    result = YamlMap()
    result.line = node.start_mark.line + 1
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
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_list(loader, node):
    result = YamlList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _construct_timestamp_as_text(loader, node):
    # Dates stay text: validation parses them itself and reports the line.
    return loader.construct_scalar(node)


_LocatingLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_LocatingLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_list)
_LocatingLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_text)


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


def _too_deep_at(text: str) -> int | None:
    """The line where nesting first exceeds the cap, found from the event stream (which,
    unlike building the document, handles any depth); None when the document is fine or
    so broken that the loader will report it."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_BaseLoader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    return event.start_mark.line + 1
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        return None
    return None


def load_yaml(text: str, path: str, first_line: int = 1):
    """Parse one YAML document; raise `SitegenError` located at `path` on any problem.

    `first_line` is the file line where `text` starts (front matter begins after `---`).
    An empty document loads as an empty `YamlMap`.
    """
    offset = first_line - 1
    if len(text.encode("utf-8", "surrogatepass")) > MAX_YAML_BYTES:
        raise SitegenError([error(path, first_line, f"YAML larger than {MAX_YAML_BYTES:,} bytes refused")])
    deep = _too_deep_at(text)
    if deep is not None:
        raise SitegenError([error(path, deep + offset, f"YAML nested more than {MAX_YAML_DEPTH} levels deep; refused")])
    loader = _LocatingLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            empty = YamlMap()
            empty.line, empty.key_lines = first_line, {}
            return empty
        if _expanded_size(node, MAX_YAML_NODES) > MAX_YAML_NODES:
            raise SitegenError([error(
                path, node.start_mark.line + 1 + offset,
                f"YAML expands to more than {MAX_YAML_NODES:,} nodes (alias bomb?); refused",
            )])
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 + offset) if mark else first_line
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
