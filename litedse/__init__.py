"""litedse: exact design-space exploration of Lite-GPU vs monolithic GPU clusters for LLM workloads."""

__version__ = "0.1.0"
