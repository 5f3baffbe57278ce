"""The key ring and the sealing of one credential row's secrets.

A row's secrets (a JSON object) are sealed whole with AES-256-GCM under the
ring's primary key. The associated data is the row's id, so a ciphertext copied
onto another row does not open there. Stored: the key id beside
nonce || ciphertext.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from typing import Any

from cryptography.exceptions import InvalidTag

from syncplane.server.sealing.keys import Key, KeySource

NONCE_BYTES = 12


class SealError(Exception):
    """Secrets that cannot be opened: an unknown key, or a ciphertext that fails its tag."""


class KeyRing:
    """The keys a process holds, newest first: the first seals, all open.

    The source is re-read when it changed (checked before each seal, so a
    rotation's new primary is used from then on) and when a ciphertext names a
    key this ring does not hold (another process rotated first).
    """

    def __init__(self, source: KeySource) -> None:
        self._source = source
        self._lock = threading.Lock()
        self._keys: list[Key] = source.load()

    @property
    def primary(self) -> Key:
        return self._keys[0]

    @property
    def key_ids(self) -> list[str]:
        return [k.id for k in self._keys]

    def refresh(self) -> None:
        if self._source.changed():
            self.reload()

    def reload(self) -> None:
        with self._lock:
            self._keys = self._source.load()

    def key(self, kid: str) -> Key:
        for key in self._keys:
            if key.id == kid:
                return key
        self.reload()
        for key in self._keys:
            if key.id == kid:
                return key
        raise SealError(f"secrets sealed under key {kid}, which this server does not hold")

    def seal(self, row_id: uuid.UUID, secrets: dict[str, Any]) -> tuple[str, bytes]:
        """(key id, nonce || ciphertext) of a row's secrets."""
        self.refresh()
        key = self.primary
        nonce = os.urandom(NONCE_BYTES)
        plain = json.dumps(secrets, separators=(",", ":"), sort_keys=True).encode()
        return key.id, nonce + key.aead.encrypt(nonce, plain, _aad(row_id))

    def open(self, row_id: uuid.UUID, kid: str, sealed: bytes) -> dict[str, Any]:
        key = self.key(kid)
        try:
            plain = key.aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _aad(row_id))
        except InvalidTag:
            raise SealError(f"the secrets of credential {row_id} fail their integrity check") from None
        value = json.loads(plain)
        assert isinstance(value, dict)
        return value


def _aad(row_id: uuid.UUID) -> bytes:
    return b"syncplane.credentials:" + row_id.bytes
