"""Dispatch of projects to render workers: the embedded pool by default, Celery for many machines."""
