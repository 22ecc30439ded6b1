"""The context model: the step model's LSTM cell inside an ONNX Scan, without the output layer.

It runs a whole run of pieces in one onnxruntime call and returns the state after each, so the
runtime catches up on text it has not seen (a note opened for editing, a pasted paragraph) at
about a third of the cost of one step call per piece (`python -m benches.neural_cold`). It is
derived from the shipped `model.onnx` (same nodes, same int8 weights), so its states are the
step model's, which the runtime checks at load.

    python -m keywise.train context --out models/en-clinical/neural
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

NAME = "context.onnx"


def context_model(step: Any) -> Any:
    """An ONNX model: (tokens [T], h [1, H], c [1, H]) -> (hs [T, 1, H], cs [T, 1, H])."""
    from onnx import NodeProto, TensorProto, checker, helper

    g = step.graph
    producer = {out: node for node in g.node for out in node.output}
    if "h_out" not in producer or "c_out" not in producer:
        raise ValueError("not a keywise step model (no h_out / c_out)")
    needed: set[int] = set()
    todo = ["h_out", "c_out"]
    while todo:  # the nodes h_out and c_out depend on: the cell, not the output layer
        node = producer.get(todo.pop())
        if node is not None and id(node) not in needed:
            needed.add(id(node))
            todo.extend(node.input)
    rename = {"tokens": "tok", "h": "h_in", "c": "c_in", "h_out": "h_next", "c_out": "c_next"}
    body_nodes = []
    for node in g.node:  # graph order is a topological order
        if id(node) in needed:
            copy = NodeProto()
            copy.CopyFrom(node)
            copy.input[:] = [rename.get(x, x) for x in node.input]
            copy.output[:] = [rename.get(x, x) for x in node.output]
            body_nodes.append(copy)
    body_nodes += [helper.make_node("Identity", ["h_next"], ["h_each"]),
                   helper.make_node("Identity", ["c_next"], ["c_each"])]
    hidden = _width(g, "h")

    def vi(name: str, elem: int, shape: list[Any]) -> Any:
        return helper.make_tensor_value_info(name, elem, shape)

    body = helper.make_graph(
        body_nodes, "cell",
        [vi("h_in", TensorProto.FLOAT, [1, hidden]), vi("c_in", TensorProto.FLOAT, [1, hidden]),
         vi("tok", TensorProto.INT64, [1])],
        [vi(n, TensorProto.FLOAT, [1, hidden]) for n in ("h_next", "c_next", "h_each", "c_each")])
    used = {x for node in body_nodes for x in node.input}
    inits = [i for i in g.initializer if i.name in used]
    nodes = [helper.make_node("Reshape", ["tokens", "column"], ["tokens_t1"]),  # [T] -> [T, 1]
             helper.make_node("Scan", ["h", "c", "tokens_t1"], ["h_last", "c_last", "hs", "cs"],
                              body=body, num_scan_inputs=1)]
    graph = helper.make_graph(
        nodes, "keywise_context",
        [vi("tokens", TensorProto.INT64, ["T"]), vi("h", TensorProto.FLOAT, [1, hidden]),
         vi("c", TensorProto.FLOAT, [1, hidden])],
        [vi("hs", TensorProto.FLOAT, ["T", 1, hidden]), vi("cs", TensorProto.FLOAT, ["T", 1, hidden])],
        initializer=inits + [helper.make_tensor("column", TensorProto.INT64, [2], [-1, 1])])
    model = helper.make_model(graph, opset_imports=list(step.opset_import))
    model.ir_version = step.ir_version
    checker.check_model(model)
    return model


def _width(graph: Any, name: str) -> int:
    for vi in graph.input:
        if vi.name == name:
            dims = vi.type.tensor_type.shape.dim
            if len(dims) == 2 and dims[1].dim_value > 0:
                return int(dims[1].dim_value)
    raise ValueError(f"not a keywise step model (input {name!r} has no fixed width)")


def write_context_model(neural_dir: Path) -> dict[str, Any]:
    """Derive context.onnx from the folder's model.onnx and list it, with its sha256, in the manifest."""
    import onnx

    from .build import sha256_file

    manifest_path = neural_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    step = onnx.load(str(neural_dir / manifest["model"]))
    out = neural_dir / NAME
    out.write_bytes(context_model(step).SerializeToString())
    manifest["context_model"] = NAME
    manifest["sha256"][NAME] = sha256_file(out)
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return {"file": NAME, "bytes": out.stat().st_size, "sha256": manifest["sha256"][NAME]}
