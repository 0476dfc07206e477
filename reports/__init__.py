"""The report for decision-makers: assembled from the store, rendered as HTML, PDF, CSV and JSON; and the
round's raw data as a workbook for the coordinator (raw_data)."""
