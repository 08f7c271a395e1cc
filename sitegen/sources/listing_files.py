"""Listing files in `seeds/` read into `SeedFile` records: the only part of listing parsing
that touches the disk. Bytes are decoded as UTF-8 (BOM allowed), else as Windows-1252 with
a warning; a binary file is refused. Unchanged files come from the memo.
"""


from __future__ import annotations

from pathlib import Path

from sitegen.diagnostics import Diagnostic, error, warning
from sitegen.memo import ByContent
from sitegen.sources.inputfiles import read_file, read_folder
from sitegen.sources.listing import Layout, SeedFile, parse_listing


def read_seed_dir(seeds_dir: Path, label_root: Path, memo: ByContent | None = None) -> tuple[SeedFile, ...]:
    """Parse every `*.txt` listing in `seeds_dir`, in name order (unchanged files from `memo`)."""
    return read_folder(seeds_dir, "*.txt", label_root, memo, parse_seed_bytes, _empty)


def read_seed_file(path: Path, label_root: Path, memo: ByContent | None = None) -> SeedFile:
    """Read and parse one listing file; unreadable files become diagnostics, not crashes."""
    return read_file(path, label_root, memo, parse_seed_bytes, _empty)


def parse_seed_bytes(data: bytes, label: str) -> SeedFile:
    """Decode and parse the bytes of one listing file."""
    text, problem = decode_listing(data, label)
    if text is None:
        return _empty(label, problem)
    parsed = parse_listing(text, label)
    if problem is None:
        return parsed
    return SeedFile(parsed.path, parsed.layout, parsed.heading_date, parsed.entries,
                    (problem,) + parsed.diagnostics)


def _empty(label: str, problem: Diagnostic) -> SeedFile:
    return SeedFile(label, Layout.EMPTY, None, (), (problem,))


def decode_listing(data: bytes, label: str) -> tuple[str | None, Diagnostic | None]:
    """Bytes -> text. UTF-8 (BOM allowed); otherwise Windows-1252 with a warning; binary refused."""
    if b"\x00" in data[:65536]:
        return None, error(label, None, "binary file (NUL bytes), not a listing; remove it or fix its encoding")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        # cp1252 leaves 5 bytes undefined; latin-1 maps every byte, so it always succeeds.
        for encoding in ("cp1252", "latin-1"):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            return text, warning(label, line, f"not valid UTF-8; decoded as {encoding}")
    raise AssertionError("latin-1 decodes every byte string")
