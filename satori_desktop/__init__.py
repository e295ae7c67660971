"""Satori Desktop: an offline math assistant around the Satori-7B-Round2 reasoning model."""

__version__ = "0.1.0"
