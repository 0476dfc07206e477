"""Reading the files a coordinator names: regular files only, their size checked before a byte is read.

A path such as /dev/zero, a named pipe or a folder would make a plain read run out of memory or wait for
ever, so the file is opened without blocking and its kind and size are taken from the open descriptor.
"""

import os
import stat
from pathlib import Path


class InputFileError(Exception):
    """A file that cannot be read as input; the message says why (without the file's name)."""


def read_input_file(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most `max_bytes`; refuses devices, pipes, folders and larger files."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise InputFileError(f"cannot be read: {error.strerror}") from None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise InputFileError(f"is not a regular file (it is {_kind(status.st_mode)}); name a file")
        if status.st_size > max_bytes:
            raise InputFileError(f"is larger than {_size(max_bytes)} ({_size(status.st_size)})")
        with os.fdopen(descriptor, "rb", closefd=False) as file:
            data = file.read(max_bytes + 1)  # the file may have grown since fstat
    except OSError as error:
        raise InputFileError(f"cannot be read: {error.strerror}") from None
    finally:
        os.close(descriptor)
    if len(data) > max_bytes:
        raise InputFileError(f"is larger than {_size(max_bytes)}")
    return data


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device"


def _size(count: int) -> str:
    return f"{count / 1024**2:.1f} MiB" if count >= 1024**2 else f"{count / 1024:.0f} KiB"
