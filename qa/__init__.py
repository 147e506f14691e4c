"""qa: grounded question answering over a collection of Chinese news articles."""

__version__ = "0.1.0"
