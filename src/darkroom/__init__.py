"""Darkroom: a self-hosted image rendering server that speaks the Magic Hour v1 image API."""

__version__ = "0.1.0"
