"""The e5 encoder rebuilt from the bundled weights: tokenizer with offsets, layers on ONNX Runtime."""

from qa.encoder.bundle import Bundle, Config, bundled_path, load_bundle
from qa.encoder.embedding import E5Embedder
from qa.encoder.model import Encoder, layer_weights
from qa.encoder.tokenizer import Encoding, Tokenizer

__all__ = [
    "Bundle",
    "Config",
    "E5Embedder",
    "Encoder",
    "Encoding",
    "Tokenizer",
    "bundled_path",
    "layer_weights",
    "load_bundle",
]
