"""Helpers shared by the tests: the tiny-GGUF factory (tiny_gguf) and other test support."""
