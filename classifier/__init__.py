"""Triage classifier library (work in progress)."""
