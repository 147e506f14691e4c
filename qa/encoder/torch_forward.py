"""The same encoder forward pass in torch, for building indexes faster where torch is installed.

It holds a torch copy of the layer weights (85 MB) and computes exactly what `Encoder.forward`
does; the 4-bit token table stays with the NumPy encoder, which looks rows up for it.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from qa.encoder.model import Encoder
from qa.encoder.threads import apply_threads, compute_lock


class TorchEncoder:
    def __init__(self, encoder: Encoder):
        apply_threads()
        self.numpy = encoder
        self.config = encoder.config
        # Encoder keeps matrices as [in, out] (q, k, v fused, q pre-scaled); F.linear wants [out, in].
        self.w = {name: torch.from_numpy(np.array(value)) for name, value in encoder.w.items()}
        self.layers = [
            {name: torch.from_numpy(np.array(v.T if v.ndim == 2 else v)) for name, v in layer.items()}
            for layer in encoder.layers
        ]

    def forward(self, ids: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """As `Encoder.forward`, taking turns on the cores with it."""
        with compute_lock():
            return self._forward(ids, mask)

    @torch.inference_mode()
    def _forward(self, ids: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        cfg, w = self.config, self.w
        batch, length = ids.shape
        heads, head_dim = cfg.heads, cfg.hidden // cfg.heads
        x = torch.from_numpy(self.numpy.embed_tokens(ids)) + w["emb.pos"][:length] + w["emb.type"][0]
        x = F.layer_norm(x, (cfg.hidden,), w["emb.ln.w"], w["emb.ln.b"], cfg.eps)
        bias = None
        if mask is not None and not mask.all():
            bias = torch.from_numpy(np.where(mask, 0.0, -1e9).astype(np.float32))[:, None, None, :]

        for lw in self.layers:
            qkv = F.linear(x, lw["qkv.w"], lw["qkv.b"]).view(batch, length, 3, heads, head_dim)
            q, k, v = qkv.permute(2, 0, 3, 1, 4)
            # The scale is already in q's weights, so SDPA's own scaling is switched off.
            context = F.scaled_dot_product_attention(q, k, v, bias, scale=1.0)
            context = context.transpose(1, 2).reshape(batch, length, -1)
            x = F.layer_norm(x + F.linear(context, lw["ao.w"], lw["ao.b"]), (cfg.hidden,),
                             lw["aln.w"], lw["aln.b"], cfg.eps)
            mid = F.gelu(F.linear(x, lw["fi.w"], lw["fi.b"]))  # erf form, as the NumPy pass
            x = F.layer_norm(x + F.linear(mid, lw["fo.w"], lw["fo.b"]), (cfg.hidden,),
                             lw["oln.w"], lw["oln.b"], cfg.eps)
        return x.numpy()
