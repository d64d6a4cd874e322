"""Taxonomies, classification runs and labels (filled by the classification issue)."""
