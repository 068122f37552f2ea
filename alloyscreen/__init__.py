"""alloyscreen: screen Li alloys and design metal-incorporated interphases for Li-metal batteries."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
