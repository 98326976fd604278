"""Analysis of Inspect logs: statistics (stats.py); the tidy table and report arrive with #7."""
