// ModelStore: ComfyUI folder semantics, escape refusal, sibling fallback, errors that list every
// path tried, and one load per file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "ModelTestSupport.h"

namespace cs {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;
using modeltest::TempDir;

class ModelStoreTest : public ::testing::Test {
 protected:
  // An empty file: resolve() never opens files, so names can be tested without models.
  fs::path touch(const std::string& rel) {
    const fs::path p = ws_.path() / "models" / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << "x";
    return p;
  }
  std::string resolveError(const std::string& category, const std::string& name) {
    try {
      store_.resolve(category, name);
    } catch (const ModelError& e) {
      return e.what();
    }
    ADD_FAILURE() << "'" << name << "' resolved";
    return {};
  }

  TempDir ws_;
  ModelStore store_{ws_.path()};
};

TEST_F(ModelStoreTest, ResolvesNamesWithSubfoldersInTheCategoryFolder) {
  const auto p = touch("upscale_models/sub/dir/net.onnx");
  EXPECT_EQ(store_.resolve("upscale_models", "sub/dir/net.onnx"), p);
  // "." and empty components are dropped; '\' separates too (workflows saved on Windows).
  EXPECT_EQ(store_.resolve("upscale_models", "./sub//dir/./net.onnx"), p);
  EXPECT_EQ(store_.resolve("upscale_models", "sub\\dir\\net.onnx"), p);
}

TEST_F(ModelStoreTest, RefusesAbsoluteNamesAndParentComponents) {
  touch("upscale_models/net.onnx");
  EXPECT_THAT(resolveError("upscale_models", "/etc/passwd"),
              HasSubstr("'/etc/passwd' is an absolute path"));
  EXPECT_THAT(
      resolveError("tensorrt/depth-anything", "../../../../etc/passwd"),
      HasSubstr("model name '../../../../etc/passwd' escapes models/tensorrt/depth-anything"));
  // Even a '..' that would land back inside is refused, and '\' cannot smuggle one in.
  EXPECT_THAT(resolveError("upscale_models", "a/../net.onnx"), HasSubstr("escapes"));
  EXPECT_THAT(resolveError("upscale_models", "..\\upscale_models\\net.onnx"), HasSubstr("escapes"));
  EXPECT_THAT(resolveError("upscale_models", ""), HasSubstr("no model name given"));
  EXPECT_THAT(resolveError("upscale_models", "./"), HasSubstr("names no file"));
}

TEST_F(ModelStoreTest, MissingModelListsEveryPathTriedInEveryFolder) {
  touch("controlnet/other.onnx");
  const std::string e = resolveError("controlnet", "cn.onnx");
  const fs::path m = ws_.path() / "models";
  EXPECT_THAT(e, HasSubstr("model 'cn.onnx' not found in models/controlnet; looked in:"));
  // ComfyUI's controlnet category is two folders, searched in order.
  EXPECT_THAT(e, HasSubstr("\n    " + (m / "controlnet/cn.onnx").string()));
  EXPECT_THAT(e, HasSubstr("\n    " + (m / "t2i_adapter/cn.onnx").string()));
  EXPECT_THAT(e, HasSubstr("available: other.onnx"));
}

TEST_F(ModelStoreTest, EngineFallsBackToASiblingAndTheErrorListsThemAll) {
  const fs::path dir = ws_.path() / "models/tensorrt/depth-anything";
  touch("tensorrt/depth-anything/depth.engine");
  const std::string e = resolveError("tensorrt/depth-anything", "depth.engine");
  EXPECT_THAT(
      e, HasSubstr((dir / "depth.engine").string() + " (exists, cannot be run by this build)"));
  for (const auto& ext : ModelStore::loadableExtensions())
    EXPECT_THAT(e, HasSubstr("\n    " + (dir / ("depth" + ext)).string()));
  EXPECT_THAT(e, HasSubstr("'depth.engine' is a TensorRT engine"));
  EXPECT_THAT(e, HasSubstr("no loadable models"));

  const auto onnx = touch("tensorrt/depth-anything/depth.onnx");
  EXPECT_EQ(store_.resolve("tensorrt/depth-anything", "depth.engine"), onnx);
  EXPECT_EQ(store_.resolve("tensorrt/depth-anything", "depth.plan"), onnx);
  EXPECT_EQ(store_.resolve("tensorrt/depth-anything", "depth"), onnx);  // no extension
}

TEST_F(ModelStoreTest, CheckpointNamesFallBackToExports) {
  const auto onnx = touch("upscale_models/RealESRGAN_x4.onnx");
  touch("upscale_models/RealESRGAN_x4.pth");
  EXPECT_EQ(store_.resolve("upscale_models", "RealESRGAN_x4.pth"), onnx);
  EXPECT_EQ(store_.resolve("upscale_models", "RealESRGAN_x4.safetensors"), onnx);
}

TEST_F(ModelStoreTest, LoadableFormatsAreNotSubstituted) {
  touch("upscale_models/net.pt");
  touch("upscale_models/net.engine");
  // The file named is the file used: a missing .onnx is not replaced by a .pt.
  EXPECT_THAT(resolveError("upscale_models", "net.onnx"), HasSubstr("not found"));
}

TEST_F(ModelStoreTest, TorchScriptNameUsesOnnxSiblingOnlyWithoutLibtorch) {
  const auto pt = touch("upscale_models/net.pt");
  const auto onnx = touch("upscale_models/net.onnx");
#if HAVE_TORCH
  EXPECT_EQ(store_.resolve("upscale_models", "net.pt"), pt);
  EXPECT_EQ(store_.resolve("upscale_models", "net.onnx"), onnx);
  // Siblings prefer TorchScript: 1.25-1.7x faster than OpenCV DNN (docs/INFERENCE-NOTES.md §I1).
  EXPECT_EQ(store_.resolve("upscale_models", "net.engine"), pt);
  EXPECT_EQ(ModelStore::loadableExtensions(), (std::vector<std::string>{".pt", ".ts", ".onnx"}));
#else
  EXPECT_EQ(store_.resolve("upscale_models", "net.pt"), onnx);
  EXPECT_EQ(store_.resolve("upscale_models", "net.engine"), onnx);
  EXPECT_EQ(ModelStore::loadableExtensions(), (std::vector<std::string>{".onnx"}));
  fs::remove(onnx);
  EXPECT_THAT(resolveError("upscale_models", "net.pt"),
              HasSubstr(pt.string() + " (exists, cannot be run by this build)"));
#endif
}

TEST_F(ModelStoreTest, FoldersAreSearchedInComfyUiOrder) {
  touch("diffusion_models/m.onnx");
  const auto unet = touch("unet/m.onnx");
  EXPECT_EQ(store_.resolve("diffusion_models", "m.onnx"), unet);
  EXPECT_EQ(ModelStore::folders("controlnet"),
            (std::vector<std::string>{"controlnet", "t2i_adapter"}));
  EXPECT_EQ(ModelStore::folders("tensorrt/depth-anything"),
            (std::vector<std::string>{"tensorrt/depth-anything"}));
  EXPECT_THROW(ModelStore::folders("nope"), std::invalid_argument);
}

TEST_F(ModelStoreTest, ListsLoadableModelsWithSubfolders) {
  touch("tensorrt/depth-anything/b.onnx");
  touch("tensorrt/depth-anything/sub/a.onnx");
  touch("tensorrt/depth-anything/c.engine");
  touch("tensorrt/depth-anything/readme.txt");
  EXPECT_EQ(store_.list("tensorrt/depth-anything"),
            (std::vector<std::string>{"b.onnx", "sub/a.onnx"}));
  // ComfyUI lists the tensorrt category recursively too.
  EXPECT_EQ(store_.list("tensorrt"),
            (std::vector<std::string>{"depth-anything/b.onnx", "depth-anything/sub/a.onnx"}));
  EXPECT_TRUE(store_.list("upscale_models").empty());
}

TEST(ModelStore, WithoutWorkspaceSaysHowToGiveOne) {
  ModelStore store{""};
  try {
    store.resolve("upscale_models", "x.onnx");
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_THAT(e.what(), HasSubstr("--workspace"));
  }
}

TEST_F(ModelStoreTest, UnreadableModelNamesTheFile) {
  const auto p = touch("upscale_models/broken.onnx");
  try {
    store_.load("upscale_models", "broken.onnx");
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot load ONNX model " + p.string()));
  }
}

// Two nodes or workflows naming one file share one load; a changed file loads again.
TEST(ModelStoreLoad, SharesOneLoadPerFileAndReloadsChangedFiles) {
  const fs::path ws = modeltest::generatedWorkspace();
  ModelStore store{ws};
  auto a = store.load("tensorrt/depth-anything", "tiny_depth.onnx");
  auto b = store.load("tensorrt/depth-anything", "tiny_depth.onnx");
  auto c = store.load("tensorrt/depth-anything", "./tiny_depth");
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, c);
  EXPECT_STREQ(a->backendName(), "OpenCV DNN");

  const fs::path file = a->file();
  fs::last_write_time(file, fs::last_write_time(file) + std::chrono::seconds(5));
  auto d = store.load("tensorrt/depth-anything", "tiny_depth.onnx");
  EXPECT_NE(a, d);

  // Nothing keeps a model alive but its users.
  std::weak_ptr<Model> weak = d;
  a.reset(), b.reset(), c.reset(), d.reset();
  EXPECT_TRUE(weak.expired());
}

}  // namespace
}  // namespace cs
