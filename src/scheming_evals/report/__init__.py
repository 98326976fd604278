"""The HTML + Markdown report and tidy CSV from Inspect logs (``write_report``)."""

from .build import SECTION_HOOKS, ReportError, ReportFiles, Section, write_report

__all__ = ["SECTION_HOOKS", "ReportError", "ReportFiles", "Section", "write_report"]
