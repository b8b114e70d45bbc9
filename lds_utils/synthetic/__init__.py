"""Synthetic operational data: the RAW extract of a utility like Luz del Sur and its ground truth (generate)."""
