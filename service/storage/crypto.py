"""Strava tokens at rest: Fernet encryption with a key from the environment.

``POSTRUN_TOKEN_KEY`` holds one or more Fernet keys separated by commas. The
first encrypts; every one of them decrypts, so a new key can be put in front and
the old one dropped once every token has been written again (tokens are
rewritten at each refresh, at least every six hours for an active athlete).

The cipher travels with the database engine (``attach``), not in a global: one
process can hold two engines with different keys, as the tests do.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet
from cryptography.fernet import InvalidToken
from cryptography.fernet import MultiFernet

from service.config import ConfigError

_ATTRIBUTE = "postrun_token_cipher"


class TokenKeyError(ConfigError):
    """The token key is missing or not a Fernet key."""


class TokenCipher:
    def __init__(self, keys: str) -> None:
        parts = [part.strip() for part in keys.split(",") if part.strip()]
        if not parts:
            raise TokenKeyError("POSTRUN_TOKEN_KEY is empty")
        try:
            self._fernet = MultiFernet([Fernet(part.encode()) for part in parts])
        except ValueError:
            raise TokenKeyError(
                "POSTRUN_TOKEN_KEY must be Fernet keys (32 url-safe base64-encoded bytes)"
            ) from None

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode()
        except (InvalidToken, UnicodeEncodeError):
            # Never echo the stored value: it may be a token.
            raise TokenKeyError("a stored token does not decrypt with POSTRUN_TOKEN_KEY") from None

    def __repr__(self) -> str:
        return "TokenCipher(<hidden>)"


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


def attach(engine: sa.Engine, cipher: TokenCipher | None) -> sa.Engine:
    """Let the engine's token columns encrypt and decrypt with ``cipher``."""
    setattr(engine.dialect, _ATTRIBUTE, cipher)
    return engine


def cipher_for(dialect: Any) -> TokenCipher:
    cipher = getattr(dialect, _ATTRIBUTE, None)
    if cipher is None:
        raise TokenKeyError("no token key: set POSTRUN_TOKEN_KEY to read or write Strava tokens")
    return cipher


def ensure_key_file(path: Path) -> str:
    """The key stored at ``path``, created first (owner read/write only) if it is missing.

    Used by the embedded default: ``postrun demo`` and the test stack keep their key in
    their data directory, so the demo's database stays readable across runs.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        os.chmod(path, 0o600)
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        key = new_key()
        handle.write(key + "\n")
    return key
