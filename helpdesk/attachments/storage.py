"""Where attachment files live: a small ``Storage`` protocol, and the local disk behind it.

The database row keeps a ``stored_name`` (``YYYY/MM/<random hex><extension>``, ours, never the
sender's name); the storage maps it to bytes. ``LocalDiskStorage`` keeps them under
``data_dir/attachments`` and writes durably: the file is fsync'ed when ``save`` returns and its
directory by ``make_durable``, both before the database commit, so "accepted" means on disk.
Another backend (an S3-compatible store) implements the same four methods and is chosen by
``AFTERCARE_ATTACHMENT_STORAGE`` in ``storage_for``.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from pathlib import Path
from typing import Protocol

from aftercare.config import Settings


class Storage(Protocol):
    def save(self, payload: bytes, *, extension: str, now: datetime) -> str:
        """Store the bytes under a new name of ours; returns that name."""
        ...

    def read(self, stored_name: str) -> bytes:
        """The bytes; FileNotFoundError if they are gone."""
        ...

    def delete(self, stored_name: str) -> None:
        """Remove the bytes (and anything derived from them); nothing if they are gone already."""
        ...

    def make_durable(self, stored_names: list[str]) -> None:
        """Everything saved under these names survives a crash once this returns."""
        ...


def attachments_dir(data_dir: Path) -> Path:
    return data_dir / "attachments"


def write_durably(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "xb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())


def fsync_directories(paths: list[Path]) -> None:
    """Make the new directory entries durable too (a crash could otherwise lose a fresh file's name)."""
    for directory in {path.parent for path in paths}:
        try:
            descriptor = os.open(directory, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def remove_files(paths: list[Path]) -> None:
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def new_stored_name(*, extension: str, now: datetime) -> str:
    return f"{now:%Y/%m}/{uuid.uuid4().hex}{extension}"


class LocalDiskStorage:
    """Files under ``root`` (``data_dir/attachments``), in the layout mail-in has always used."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, stored_name: str) -> Path:
        path = (self.root / stored_name).resolve()
        # Names are ours, but a row edited by hand must still not reach outside the folder.
        if not path.is_relative_to(self.root.resolve()):
            raise FileNotFoundError(stored_name)
        return path

    def save(self, payload: bytes, *, extension: str, now: datetime) -> str:
        stored_name = new_stored_name(extension=extension, now=now)
        write_durably(self.root / stored_name, payload)
        return stored_name

    def read(self, stored_name: str) -> bytes:
        return self.path(stored_name).read_bytes()

    def delete(self, stored_name: str) -> None:
        remove_files([self.path(stored_name)])

    def make_durable(self, stored_names: list[str]) -> None:
        fsync_directories([self.root / name for name in stored_names])


def storage_for(settings: Settings) -> Storage:
    """The configured storage (``AFTERCARE_ATTACHMENT_STORAGE``; only "local" so far)."""
    return LocalDiskStorage(attachments_dir(settings.data_dir))
