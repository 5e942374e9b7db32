"""Stores and retrieval: embedders, indexes, the knowledge graph, hybrid retrieval."""
