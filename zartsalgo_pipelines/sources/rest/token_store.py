"""Where a rotated OAuth2 refresh token is kept for the next run: a file only this user can
read, under the data folder every run and worker already shares.

A provider that rotates refresh tokens answers each refresh with a new one and refuses the old
one from then on, so the environment variable that held the first token is stale after one
run. The newest one is written to ``<data dir>/credentials/<provider>.json`` (mode 0600, in a
0700 folder) before the access token it came with is used, atomically (a crash leaves the old
file or the new one), under an exclusive lock held across read, refresh and write, so two runs
of one provider never both spend the same token. The file also keeps a fingerprint of the
variable's value it descends from: when the owner consents again and sets a new value, that
value wins. Not a database row: secrets stay out of tables (docs/intake.md says why).
"""

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

from zartsalgo_pipelines import settings

FOLDER = "credentials"


def fingerprint(secret: str) -> str:
    """A one-way mark of a secret: which value a kept token descends from, not the value."""
    return hashlib.sha256(secret.encode()).hexdigest()


class RefreshTokenStore:
    """The newest refresh token of one provider, with the variable's first one as its origin."""

    def __init__(self, provider_key: str, initial: str, folder: Path | None = None) -> None:
        self.folder = folder or settings.data_dir() / FOLDER
        self.path = self.folder / f"{provider_key}.json"
        self.initial = initial

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the provider's refresh lock (other processes wait) for a read-refresh-write."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        descriptor = os.open(self.path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
            os.close(descriptor)

    def current(self) -> str:
        """The kept token if it descends from the variable's present value, else that value."""
        try:
            kept = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return self.initial
        if kept.get("origin") != fingerprint(self.initial) or not kept.get("refresh_token"):
            return self.initial
        return str(kept["refresh_token"])

    def save(self, token: str) -> None:
        """Keep ``token`` as the newest (0600, atomically, synced to disk first)."""
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
        data = json.dumps({"origin": fingerprint(self.initial), "refresh_token": token})
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(descriptor, data.encode())
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, self.path)
        folder = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(folder)  # the rename itself reaches the disk before the token is used
        finally:
            os.close(folder)
