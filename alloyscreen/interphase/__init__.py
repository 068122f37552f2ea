"""interphase."""
