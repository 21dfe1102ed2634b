"""Pitstop: the daily multi-agency domestic-abuse notification meeting."""

__version__ = "0.1.0"
