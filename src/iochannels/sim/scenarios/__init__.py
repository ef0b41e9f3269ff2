"""Filled in by its own module docstrings."""
