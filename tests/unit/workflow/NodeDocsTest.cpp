#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "workflow/NodeDocs.h"

namespace cs {

// docs/NODES.md is generated from the registry; a node added or changed without regenerating it
// (build/comfystream --list-nodes > docs/NODES.md) fails here.
TEST(NodesDoc, IsUpToDateWithTheRegistry) {
  std::ifstream in(std::string(COMFYSTREAM_SOURCE_DIR) + "/docs/NODES.md");
  ASSERT_TRUE(in) << "docs/NODES.md is missing";
  std::stringstream doc;
  doc << in.rdbuf();
  EXPECT_EQ(doc.str(), nodesMarkdown(NodeRegistry::builtin()))
      << "regenerate: build/comfystream --list-nodes > docs/NODES.md";
}

}  // namespace cs
