"""Atypical-billing analytics for Luz del Sur: synthetic data, medallion lake, IQR detection, book."""

__version__ = "0.1.0"
