"""File primitives of the writer: create, replace or remove one file, each reached one
folder at a time without following a symlink, and each naming the file in its error.
"""

from __future__ import annotations

import errno
import os
from contextlib import suppress
from pathlib import Path

from sitegen.output.guard import TEMP_SUFFIX

_FOLDER_NOFOLLOW = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC  # one step of `open_folder`


def open_folder(root: Path, folder: str, make: bool) -> int:
    """A descriptor of `root/folder`, reached one folder at a time without following a symlink.

    The survey checked the way already; this makes the write itself safe too: a folder
    swapped for a symlink meanwhile fails the write (ELOOP, ENOTDIR) instead of leading it out
    of the output. With `make`, missing folders are created on the way.
    """
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    reached = ""
    try:
        for name in folder.split("/") if folder else ():
            reached = f"{reached}/{name}"
            try:
                inner = os.open(name, _FOLDER_NOFOLLOW, dir_fd=fd)
            except FileNotFoundError:
                if not make:
                    raise
                with suppress(FileExistsError):  # made meanwhile: opened (and checked) below
                    os.mkdir(name, dir_fd=fd)
                inner = os.open(name, _FOLDER_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = inner
    except OSError as exc:
        os.close(fd)
        raise OSError(exc.errno, exc.strerror, f"{root}{reached}") from None
    return fd


def replace_file(path: str, data: bytes, folder_fd: int | None = None) -> None:
    """Replace the file `path` by `data` in one step, through a temp file beside it.

    `folder_fd`, an open descriptor of the folder of `path`, is where both names are looked
    up (see `open_folder`); without it the folder is opened by its path.
    """
    folder, _, name = path.rpartition("/")
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC) if folder_fd is None else folder_fd
    temp = f".{name}{TEMP_SUFFIX}"
    try:
        with suppress(FileNotFoundError):  # left by a killed rebuild
            os.unlink(temp, dir_fd=fd)
        write_new_file(temp, data, fd)
        os.replace(temp, name, src_dir_fd=fd, dst_dir_fd=fd)
    except BaseException as exc:
        with suppress(OSError):
            os.unlink(temp, dir_fd=fd)
        if isinstance(exc, OSError):  # name the file being replaced, not its temp file
            raise OSError(exc.errno, exc.strerror, path) from None
        raise
    finally:
        if folder_fd is None:
            os.close(fd)


def remove_file(root: Path, path: str) -> None:
    """Delete one file of the last build, then the folders this leaves empty."""
    folder, _, name = path.rpartition("/")
    try:
        fd = open_folder(root, folder, make=False)
    except OSError as exc:
        if exc.errno == errno.ENOENT:  # gone already
            return
        raise
    try:
        with suppress(FileNotFoundError):
            os.unlink(name, dir_fd=fd)
    finally:
        os.close(fd)
    while folder:
        try:
            os.rmdir(f"{root}/{folder}")
        except OSError:  # not empty (or gone already): the folders above stay too
            return
        folder = folder.rpartition("/")[0]


def write_new_file(path: str, data: bytes, folder_fd: int | None = None) -> None:
    """Create the file `path` (in the folder `folder_fd`, if given), which must not exist yet, holding `data`."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666, dir_fd=folder_fd)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except OSError as exc:  # os.write does not say which file
        raise OSError(exc.errno, exc.strerror, path) from None
    finally:
        os.close(fd)
