"""Input files at the I/O edge: how a file under the project is named in messages, and how it
is read. Every reader of `seeds/`, `content/` and `templates/static/` goes through here.

- Names: POSIX file names are bytes; Python hands back the ones that are not UTF-8 with lone
  surrogates (`caf\\udce9.txt`), which no page, export or terminal can encode. Labels show
  such bytes (and control characters) as escapes (`seeds/caf\\xe9.txt`), and the file is
  refused with that label.
- Reading: only regular files are opened. Opening a FIFO blocks until a writer comes (a
  build that never ends), and a device may never stop giving bytes.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TypeVar

from sitegen.diagnostics import Diagnostic, error

if TYPE_CHECKING:
    from sitegen.memo import ByContent

Parsed = TypeVar("Parsed")


def label_of(path: Path, root: Path) -> str:
    """The project-relative POSIX path shown in messages: bytes that are not UTF-8, and control
    characters (a newline would split a `path:line: message` in two), as `\\xNN`."""
    shown = os.fsencode(_relative(path, root)).decode("utf-8", "backslashreplace")
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", shown)


def name_problem(path: Path, root: Path) -> Diagnostic | None:
    """An error when the file's name (or a folder's on the way) is not valid UTF-8 or holds a
    control character: no page, feed or terminal can show it as it is."""
    label = label_of(path, root)
    if label == _relative(path, root):
        return None
    return error(label, None, "the file name is not valid UTF-8 or holds a control character "
                              "(shown as \\xNN); rename it")


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()


_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def read_regular(path: Path) -> bytes:
    """The bytes of the regular file at `path` (symlinks followed); OSError for anything else,
    without ever opening a FIFO, socket or device."""
    _refuse_special(os.stat(path).st_mode)
    # O_NONBLOCK: should a FIFO be swapped in after the check, opening it still returns at once.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as stream:
        _refuse_special(os.fstat(fd).st_mode)
        return stream.read()


def _refuse_special(mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    raise OSError(errno.EINVAL, f"{kind}, not a regular file; sitegen reads only regular files")


def read_folder(folder: Path, pattern: str, label_root: Path, memo: ByContent | None,
                parse: Callable[[bytes, str], Parsed],
                refused: Callable[[str, Diagnostic], Parsed]) -> tuple[Parsed, ...]:
    """`parse(bytes, label)` of every file in `folder` matching `pattern`, in name order.

    A file whose name cannot be shown or that cannot be read becomes `refused(label,
    problem)`, never a crash; unchanged bytes come back from `memo` without parsing again.
    """
    if not folder.is_dir():
        return ()
    return tuple(read_file(path, label_root, memo, parse, refused) for path in sorted(folder.glob(pattern)))


def read_file(path: Path, label_root: Path, memo: ByContent | None, parse: Callable[[bytes, str], Parsed],
              refused: Callable[[str, Diagnostic], Parsed]) -> Parsed:
    """One file of `read_folder`."""
    label = label_of(path, label_root)
    bad_name = name_problem(path, label_root)
    if bad_name is not None:
        return refused(label, bad_name)
    try:
        data = read_regular(path)  # never a FIFO or a device
    except OSError as exc:
        return refused(label, error(label, None, f"cannot read file: {exc.strerror or exc}"))
    if memo is not None:
        return memo.get(label, data, lambda: parse(data, label))
    return parse(data, label)
