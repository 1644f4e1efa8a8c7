"""One-time and bearer secrets: only their SHA-256 is ever stored."""

from __future__ import annotations

import hashlib


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
