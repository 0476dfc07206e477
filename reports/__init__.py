"""The report for decision-makers: assembled from the store, rendered as HTML, PDF, CSV and JSON."""
