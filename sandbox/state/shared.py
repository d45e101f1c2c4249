"""What every part of the sandbox's state shares: the live settings, one lock, the clock."""

from __future__ import annotations

import dataclasses
import secrets
import threading
from typing import Any

from sandbox.config import SandboxConfig


class Shared:
    """The live configuration, the one lock all parts take, and the (injectable) clock.

    One lock for everything keeps webhook events in the order their changes happened,
    whichever part made them.
    """

    def __init__(self, config: SandboxConfig) -> None:
        # A private copy: runtime changes (POST /sandbox/faults) must not leak into the
        # caller's object, which a test may reuse for another server.
        self.config = dataclasses.replace(config)
        self.lock = threading.RLock()

    def now(self) -> float:
        return float(self.config.clock())

    def is_client(self, client_id: Any) -> bool:
        """Whether ``client_id`` names the one application the sandbox knows."""
        try:
            return int(client_id) == self.config.client_id
        except (TypeError, ValueError):
            return False

    def is_secret(self, client_secret: Any) -> bool:
        return secrets.compare_digest(str(client_secret or ""), self.config.client_secret)
