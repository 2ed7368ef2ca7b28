"""Normalizers: turn the text of a field (a date, a count) into a typed value with its evidence spans."""
