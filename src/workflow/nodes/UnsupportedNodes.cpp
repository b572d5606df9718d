// Node types ComfyStream workflows use that need a GPU diffusion/TensorRT backend this build does
// not have. Known by name so the refusal says why, instead of "does not exist".
#include "workflow/NodeRegistry.h"

namespace cs {

void registerUnsupportedNodes(NodeRegistry& r) {
  const std::string diffusion =
      "needs a GPU diffusion backend (PyTorch/TensorRT); this C++ build runs native image nodes "
      "and TorchScript/ONNX models only";
  for (const char* t : {"KSampler",
                        "KSamplerAdvanced",
                        "CheckpointLoaderSimple",
                        "CLIPTextEncode",
                        "CLIPLoader",
                        "VAEDecode",
                        "VAEEncode",
                        "VAELoader",
                        "EmptyLatentImage",
                        "LoraLoader",
                        "ControlNetLoader",
                        "ControlNetApply",
                        "ControlNetApplyAdvanced",
                        "TorchCompileLoadControlNet",
                        "TorchCompileLoadVAE",
                        "TensorRTLoader",
                        "StreamDiffusionSampler",
                        "StreamDiffusionModelLoader",
                        "StreamDiffusionConfig",
                        "StreamDiffusionCheckpointLoader",
                        "StreamDiffusionLPCheckpointLoader",
                        "StreamDiffusionPrebuiltConfig",
                        "LivePortraitProcess",
                        "DownloadAndLoadLivePortraitModels",
                        "FasterLivePortraitFastLip",
                        "Florence2Run",
                        "DownloadAndLoadFlorence2Model",
                        "Sam2Segmentation",
                        "FaceMeshNode",
                        "FeatureBankAttentionProcessor",
                        "CreateHookLora",
                        "SetClipHooks",
                        "AudioTranscriptionNode"})
    r.markUnsupported(t, diffusion);
}

}  // namespace cs
