"""The raw-layer loader, in parts: reading files, validating rows, writing raw.*, reporting.

The public entry point is :func:`warehouse.load.load_directory`.
"""
