"""The encoder's layers on ONNX Runtime: the same weights, written as an ONNX graph of standard
operators (opset 20) and run by onnxruntime's CPU kernels.

The graph is made from the encoder's own arrays with `onnx.helper` (no torch, no export step); it
takes what follows the token lookup (token + position + type embeddings), so the 4-bit token table
stays with `Encoder`, and holds only the 85 MB of layer weights. Built in memory when an encoder is
made (about a second), so nothing is written to disk or can go stale.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from qa.encoder.bundle import Config
from qa.encoder.threads import configured_threads

OPSET = 20  # the first opset with Gelu
IR_VERSION = 10  # onnx 1.16's: what onnxruntime releases of the last two years all read


def encoder_graph(config: Config, embedding: Mapping[str, np.ndarray], layers: Iterable[Mapping[str, np.ndarray]]):
    """An onnx ModelProto: inputs ``x`` [batch, length, hidden] (the embeddings before their
    LayerNorm) and ``bias`` [batch, 1, 1, length] (0 for real tokens, -1e9 for padding); output
    ``hidden``. ``layers``: `qa.encoder.model.prepared_layers`, consumed one at a time."""
    from onnx import TensorProto, helper

    heads, head_dim = config.heads, config.hidden // config.heads
    inits, nodes = [], []

    def const(name: str, value: np.ndarray) -> str:
        value = np.ascontiguousarray(value)
        kind = TensorProto.INT64 if value.dtype == np.int64 else TensorProto.FLOAT
        inits.append(helper.make_tensor(name, kind, value.shape, value.astype(value.dtype).tobytes(), raw=True))
        return name

    def node(op: str, inputs: list[str], name: str, **attrs) -> str:
        nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def norm(x: str, w: np.ndarray, b: np.ndarray, name: str) -> str:
        return node("LayerNormalization", [x, const(name + ".w", w), const(name + ".b", b)], name,
                    axis=-1, epsilon=config.eps)

    def linear(x: str, w: np.ndarray, b: np.ndarray, name: str) -> str:
        return node("Add", [node("MatMul", [x, const(name + ".w", w)], name + ".mm"), const(name + ".b", b)], name)

    shape_qkv = const("shape.qkv", np.array([0, 0, 3, heads, head_dim], dtype=np.int64))
    shape_out = const("shape.out", np.array([0, 0, config.hidden], dtype=np.int64))
    axis0 = const("axis0", np.array([0], dtype=np.int64))
    x = norm("x", embedding["emb.ln.w"], embedding["emb.ln.b"], "emb.ln")
    for i, lw in enumerate(layers):
        p = f"l{i}."
        qkv = node("Reshape", [linear(x, lw["qkv.w"], lw["qkv.b"], p + "qkv"), shape_qkv], p + "qkv.r")
        qkv = node("Transpose", [qkv], p + "qkv.t", perm=[2, 0, 3, 1, 4])  # [3, batch, heads, length, dim]
        nodes.append(helper.make_node("Split", [qkv], [p + "q3", p + "k3", p + "v3"], axis=0, num_outputs=3))
        q, k, v = (node("Squeeze", [p + n + "3", axis0], p + n) for n in "qkv")
        scores = node("MatMul", [q, node("Transpose", [k], p + "kt", perm=[0, 1, 3, 2])], p + "scores")
        probs = node("Softmax", [node("Add", [scores, "bias"], p + "masked")], p + "probs", axis=-1)
        context = node("Transpose", [node("MatMul", [probs, v], p + "ctx")], p + "ctx.t", perm=[0, 2, 1, 3])
        context = node("Reshape", [context, shape_out], p + "ctx.r")
        attn = node("Add", [linear(context, lw["ao.w"], lw["ao.b"], p + "ao"), x], p + "ares")
        x = norm(attn, lw["aln.w"], lw["aln.b"], p + "aln")
        mid = node("Gelu", [linear(x, lw["fi.w"], lw["fi.b"], p + "fi")], p + "gelu", approximate="none")
        out = node("Add", [linear(mid, lw["fo.w"], lw["fo.b"], p + "fo"), x], p + "ores")
        x = norm(out, lw["oln.w"], lw["oln.b"], p + "oln")
    nodes.append(helper.make_node("Identity", [x], ["hidden"], name="hidden"))
    dims = ["batch", "length", config.hidden]
    graph = helper.make_graph(
        nodes, "e5-encoder",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, dims),
         helper.make_tensor_value_info("bias", TensorProto.FLOAT, ["batch", 1, 1, "length"])],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, dims)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="qa",
                             ir_version=IR_VERSION)


class OnnxLayers:
    """An onnxruntime session over `encoder_graph`; ``run(x, bias)`` -> hidden states."""

    def __init__(self, config: Config, embedding: Mapping[str, np.ndarray],
                 layers: Iterable[Mapping[str, np.ndarray]]):
        import onnxruntime as ort

        model = encoder_graph(config, embedding, layers).SerializeToString()
        options = ort.SessionOptions()
        # The page's gate (`compute_lock`) decides how many passes run at once; each uses these threads.
        options.intra_op_num_threads = configured_threads() or 0  # 0: onnxruntime's default, one per core
        options.inter_op_num_threads = 1
        # Its threads would otherwise spin after each pass, taking the cores from the Python work
        # between passes (tokenising, retrieval) and from the other session (embedder and reader).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # Basic optimisations: ran as fast as "all" here, and the session starts in a fifth of the time.
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        self.session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])

    def run(self, x: np.ndarray, bias: np.ndarray) -> np.ndarray:
        return self.session.run(["hidden"], {"x": np.ascontiguousarray(x, dtype=np.float32), "bias": bias})[0]
