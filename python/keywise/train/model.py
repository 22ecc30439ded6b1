"""The LSTM language model over sentencepiece pieces, and its one-step export form."""

from __future__ import annotations

import torch
from torch import nn


class PieceLSTM(nn.Module):
    """Embedding -> 1-layer LSTM -> projection -> tied output embedding.

    Tying the output to the input embedding halves the parameters, which matters
    both for the 12 MB pack budget and for a model trained for minutes, not days.
    """

    def __init__(self, vocab: int, embed: int, hidden: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.vocab, self.embed, self.hidden = vocab, embed, hidden
        self.emb = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=1, batch_first=True)
        self.proj = nn.Linear(hidden, embed, bias=False)
        self.out_bias = nn.Parameter(torch.zeros(vocab))
        self.drop = nn.Dropout(dropout)
        nn.init.normal_(self.emb.weight, std=0.05)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.drop(self.emb(tokens))
        y, _ = self.lstm(x)
        y = self.drop(self.proj(y))
        return y @ self.emb.weight.t() + self.out_bias


class PieceLSTMStep(nn.Module):
    """One step with explicit state in and out: what the runtime runs per piece.

    The LSTM is written as one fused matmul over [x, h] so that dynamic int8
    quantisation (which handles MatMul) covers it; gate order matches nn.LSTM (i, f, g, o).
    """

    def __init__(self, model: PieceLSTM) -> None:
        super().__init__()
        lstm = model.lstm
        w = torch.cat([lstm.weight_ih_l0, lstm.weight_hh_l0], dim=1).detach().clone()
        self.w_gates = nn.Parameter(w.t().contiguous())  # [E+H, 4H]
        self.b_gates = nn.Parameter((lstm.bias_ih_l0 + lstm.bias_hh_l0).detach().clone())
        self.emb = nn.Parameter(model.emb.weight.detach().clone())  # [V, E]
        self.w_proj = nn.Parameter(model.proj.weight.detach().t().contiguous())  # [H, E]
        self.w_out = nn.Parameter(model.emb.weight.detach().t().contiguous())  # [E, V]
        self.out_bias = nn.Parameter(model.out_bias.detach().clone())
        self.hidden = model.hidden

    def forward(
        self, tokens: torch.Tensor, h: torch.Tensor, c: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = torch.nn.functional.embedding(tokens, self.emb)
        z = torch.cat([x, h], dim=1) @ self.w_gates + self.b_gates
        i, f, g, o = z.chunk(4, dim=1)
        c2 = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h2 = torch.sigmoid(o) * torch.tanh(c2)
        logits = (h2 @ self.w_proj) @ self.w_out + self.out_bias
        return torch.log_softmax(logits, dim=1), h2, c2
