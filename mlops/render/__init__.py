"""Rendering shared by every report: HTML pages with one stylesheet (html.py) and inline SVG charts (svg.py)."""
