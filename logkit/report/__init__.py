"""One self-contained HTML page about a log: summary, volume over time, templates, anomalies (``logkit report``)."""

from logkit.report.api import ReportResult, build_report

__all__ = ["ReportResult", "build_report"]
