"""The package version, in a module of its own at the bottom of the layers, so that every layer
(provenance of documents, the CLI's --version) reads it without importing the package root."""

__version__ = "0.1.0"
