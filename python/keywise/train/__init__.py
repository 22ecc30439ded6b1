"""Training pipeline for the neural language model (optional ``train`` extra).

Needs torch, sentencepiece, onnx and onnxruntime; nothing here runs on the
keystroke path. ``python -m keywise.train build --shared ../shared --out
models/en-clinical/neural`` rebuilds the shipped model with a fixed seed.
"""
