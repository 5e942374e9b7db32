"""congming: a local-first chat agent that remembers and does not make things up."""

__version__ = "0.1.0"
