"""Lifecycle helpers against the emulator."""
