"""Validation: rules, and the findings, reports and summaries they produce."""
