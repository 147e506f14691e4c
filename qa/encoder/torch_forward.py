"""The encoder's layers on torch, for embedding on a CUDA GPU (float16; `qa build --device cuda`).

It computes what the ONNX graph computes (`qa.encoder.onnx_forward`), from the same prepared
weights; the 4-bit token table stays with `Encoder`, which looks rows up for it on the CPU.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from qa.encoder.model import Encoder, padding_bias, prepared_layers


class TorchEncoder:
    def __init__(self, encoder: Encoder, device: str = "cuda", dtype: torch.dtype = torch.float16):
        self.numpy = encoder
        self.config = encoder.config
        self.device, self.dtype = torch.device(device), dtype

        def put(value: np.ndarray) -> torch.Tensor:
            return torch.from_numpy(np.array(value)).to(self.device, self.dtype)

        self.ln = (put(encoder.w["emb.ln.w"]), put(encoder.w["emb.ln.b"]))
        # The prepared matrices are [in, out]; F.linear wants [out, in].
        self.layers = [{name: put(v.T if v.ndim == 2 else v) for name, v in layer.items()}
                       for layer in prepared_layers(encoder.config, encoder.weights)]

    @torch.inference_mode()
    def forward(self, ids: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """As `Encoder.forward`; the hidden states come back as float32."""
        cfg = self.config
        batch, length = ids.shape
        heads, head_dim = cfg.heads, cfg.hidden // cfg.heads
        x = torch.from_numpy(self.numpy.embeddings(ids)).to(self.device, self.dtype, non_blocking=True)
        x = F.layer_norm(x, (cfg.hidden,), *self.ln, cfg.eps)
        live = np.ones(ids.shape, dtype=bool) if mask is None else mask
        # float16 holds -1e9 as -inf, which softmax handles while a row keeps one real token (all do).
        bias = torch.from_numpy(padding_bias(live)).to(self.device, self.dtype)
        for lw in self.layers:
            qkv = F.linear(x, lw["qkv.w"], lw["qkv.b"]).view(batch, length, 3, heads, head_dim)
            q, k, v = qkv.permute(2, 0, 3, 1, 4)
            # The scale is already in q's weights, so SDPA's own scaling is switched off.
            context = F.scaled_dot_product_attention(q, k, v, bias, scale=1.0)
            context = context.transpose(1, 2).reshape(batch, length, -1)
            x = F.layer_norm(x + F.linear(context, lw["ao.w"], lw["ao.b"]), (cfg.hidden,),
                             lw["aln.w"], lw["aln.b"], cfg.eps)
            mid = F.gelu(F.linear(x, lw["fi.w"], lw["fi.b"]))  # erf form, as the ONNX graph
            x = F.layer_norm(x + F.linear(mid, lw["fo.w"], lw["fo.b"]), (cfg.hidden,),
                             lw["oln.w"], lw["oln.b"], cfg.eps)
        return x.float().cpu().numpy()
