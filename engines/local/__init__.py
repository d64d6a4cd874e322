"""Framewise's offline engine. Importing this package loads PyAV and numpy, not the models."""
