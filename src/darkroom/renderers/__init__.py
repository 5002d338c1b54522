"""Renderers: one module per tool, and the registry that names them. No HTTP or database code here."""
