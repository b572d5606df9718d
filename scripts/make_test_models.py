#!/usr/bin/python3
"""Tiny models with fixed, known weights for the model-node tests and benchmarks.

Writes them into a ComfyUI workspace layout (WS/models/<category>/...), so a test can compute the
exact expected output from the same constants (tests/unit/workflow/ModelTestSupport.h).

  make_test_models.py WS            ONNX models, built with python3-onnx's onnx.helper (no torch)
  make_test_models.py WS --torch    also TorchScript twins (python3-torch, for -DCOMFYSTREAM_WITH_TORCH=ON)
                                    and a torch.onnx.export model with and without the Identity fix
  make_test_models.py --fix-onnx IN OUT
                                    rewrites a torch.onnx.export file for OpenCV 4.6: every
                                    Identity node fed by an initializer becomes a copy of it

Models (input "input": float32 1x3xHxW RGB in [0, 1]; output "output"):
  upscale_models/conv3x3.onnx          3x3 conv, 3->3 channels: W[o][i] = K/16 * MIX[o][i] + BIAS[o]
  upscale_models/invert_up2x.onnx      nearest 2x upscale, then 1 - x
  tensorrt/depth-anything/tiny_depth.onnx  3x3 conv, 3->1 channel: K/16 * LUMA[i] (a blurred luma "depth")
  tensorrt/depth-anything/tiny_depth_metric.onnx, tiny_depth_DA3.onnx: the same model, names that
      switch DepthAnythingTensorrt's post-processing
  tensorrt/depth-anything/tiny_depth.engine  a placeholder (not an engine): resolution must skip it
"""
import os
import sys

# Keep in step with tests/unit/workflow/ModelTestSupport.h.
K = [[1, 2, 1], [2, 4, 2], [1, 2, 1]]  # /16
MIX = [[1.5, 0.0, 0.0], [0.25, 0.5, 0.25], [0.0, 0.0, 1.0]]
BIAS = [-0.25, 0.0, 0.1]
LUMA = [0.299, 0.587, 0.114]


def conv3x3_weights():
    return [MIX[o][i] * K[y][x] / 16.0 for o in range(3) for i in range(3) for y in range(3) for x in range(3)]


def depth_weights():
    return [LUMA[i] * K[y][x] / 16.0 for i in range(3) for y in range(3) for x in range(3)]


def onnx_model(nodes, inits, out_channels, name):
    from onnx import TensorProto, helper
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, "H", "W"])
    y = helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, out_channels, "OH", "OW"])
    graph = helper.make_graph(nodes, name, [x], [y], initializer=inits)
    # opset 11 / IR 7: well inside what OpenCV 4.6's importer knows.
    model = helper.make_model(graph, producer_name="comfystream-tests",
                              opset_imports=[helper.make_opsetid("", 11)])
    model.ir_version = 7
    return model


def build_onnx(ws):
    import onnx
    from onnx import TensorProto, helper

    def save(model, rel):
        onnx.checker.check_model(model)
        path = os.path.join(ws, "models", rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        onnx.save(model, path)

    conv = onnx_model(
        [helper.make_node("Conv", ["input", "W", "B"], ["output"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])],
        [helper.make_tensor("W", TensorProto.FLOAT, [3, 3, 3, 3], conv3x3_weights()),
         helper.make_tensor("B", TensorProto.FLOAT, [3], BIAS)], 3, "conv3x3")
    save(conv, "upscale_models/conv3x3.onnx")

    inv = [-1.0 if o == i else 0.0 for o in range(3) for i in range(3)]
    up = onnx_model(
        [helper.make_node("Resize", ["input", "roi", "scales"], ["up"], mode="nearest",
                          coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
         helper.make_node("Conv", ["up", "Winv", "Binv"], ["output"], kernel_shape=[1, 1])],
        [helper.make_tensor("roi", TensorProto.FLOAT, [0], []),
         helper.make_tensor("scales", TensorProto.FLOAT, [4], [1.0, 1.0, 2.0, 2.0]),
         helper.make_tensor("Winv", TensorProto.FLOAT, [3, 3, 1, 1], inv),
         helper.make_tensor("Binv", TensorProto.FLOAT, [3], [1.0, 1.0, 1.0])], 3, "invert_up2x")
    save(up, "upscale_models/invert_up2x.onnx")

    depth = onnx_model(
        [helper.make_node("Conv", ["input", "W", "B"], ["output"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])],
        [helper.make_tensor("W", TensorProto.FLOAT, [1, 3, 3, 3], depth_weights()),
         helper.make_tensor("B", TensorProto.FLOAT, [1], [0.0])], 1, "tiny_depth")
    for name in ("tiny_depth", "tiny_depth_metric", "tiny_depth_DA3"):
        save(depth, "tensorrt/depth-anything/%s.onnx" % name)
    with open(os.path.join(ws, "models", "tensorrt/depth-anything/tiny_depth.engine"), "wb") as f:
        f.write(b"not a TensorRT engine: a placeholder the resolver must skip\n")


def torch_modules():
    import torch

    conv = torch.nn.Conv2d(3, 3, 3, padding=1)
    depth = torch.nn.Conv2d(3, 1, 3, padding=1)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(conv3x3_weights()).reshape(3, 3, 3, 3))
        conv.bias.copy_(torch.tensor(BIAS))
        depth.weight.copy_(torch.tensor(depth_weights()).reshape(1, 3, 3, 3))
        depth.bias.zero_()
    return conv.eval(), depth.eval()


class TwoBranch:
    """Two 1x1 convs with equal biases: torch 1.13's exporter de-duplicates the equal initializers
    and leaves an Identity node, which OpenCV 4.6 cannot import (docs/INFERENCE-NOTES.md §I6)."""

    @staticmethod
    def make():
        import torch

        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.a = torch.nn.Conv2d(3, 3, 1)
                self.b = torch.nn.Conv2d(3, 3, 1)
                with torch.no_grad():
                    self.a.weight.copy_(torch.eye(3).reshape(3, 3, 1, 1) * 0.5)
                    self.b.weight.copy_(torch.eye(3).reshape(3, 3, 1, 1) * 0.25)
                    self.a.bias.fill_(0.125)
                    self.b.bias.fill_(0.125)

            def forward(self, x):
                return self.a(x) + self.b(x)  # 0.75 x + 0.25

        return Net().eval()


def build_torch(ws):
    import torch

    torch.manual_seed(0)
    conv, depth = torch_modules()
    example = torch.rand(1, 3, 64, 64)
    d = os.path.join(ws, "models")
    os.makedirs(os.path.join(d, "upscale_models"), exist_ok=True)
    os.makedirs(os.path.join(d, "tensorrt/depth-anything"), exist_ok=True)
    os.makedirs(os.path.join(d, "onnx"), exist_ok=True)
    # Plain traces: Python-side optimize_for_inference() output does not serialise
    # (docs/INFERENCE-NOTES.md §I5).
    with torch.no_grad():
        torch.jit.trace(conv, example).save(os.path.join(d, "upscale_models/conv3x3.pt"))
        torch.jit.trace(depth, example).save(os.path.join(d, "tensorrt/depth-anything/tiny_depth.pt"))
        raw = os.path.join(d, "onnx/torch_export_raw.onnx")
        torch.onnx.export(TwoBranch.make(), example, raw, opset_version=11,
                          input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {2: "H", 3: "W"}, "output": {2: "H", 3: "W"}})
    fix_onnx(raw, os.path.join(d, "onnx/torch_export_fixed.onnx"))


def fix_onnx(src, dst):
    """Replaces Identity(initializer) nodes with copies of the initializer (OpenCV 4.6)."""
    import onnx

    model = onnx.load(src)
    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    kept, fixed = [], 0
    for node in graph.node:
        if node.op_type == "Identity" and node.input[0] in inits:
            copy = onnx.TensorProto()
            copy.CopyFrom(inits[node.input[0]])
            copy.name = node.output[0]
            graph.initializer.append(copy)
            fixed += 1
        else:
            kept.append(node)
    del graph.node[:]
    graph.node.extend(kept)
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    return fixed


def main(argv):
    if len(argv) == 3 and argv[0] == "--fix-onnx":
        print("replaced %d Identity node(s)" % fix_onnx(argv[1], argv[2]))
        return 0
    if not argv or argv[0].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    ws = argv[0]
    build_onnx(ws)
    if "--torch" in argv[1:]:
        build_torch(ws)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
