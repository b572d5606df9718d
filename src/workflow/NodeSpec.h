#pragma once
// What a node type takes and gives: drives validation, the control channel's get_nodes answer and
// docs/NODES.md.
#include <optional>
#include <string>
#include <vector>

#include "workflow/Value.h"

namespace cs {

// How an input bounds the resources a node needs (workflow/Limits.h). The compiler checks literal
// values of such inputs against the limits before anything is built.
enum class SizeRole {
  None,
  Width,   // width of an image/mask the node makes: side and, with Height, pixel limits
  Height,  // height of an image/mask the node makes
  Extent,  // a length in pixels (crop window, offset, pad, grow): side limit
  Scale,   // a factor on the input's size: the stream's size × factor must fit the limits
  Batch,   // images per batch: the batch limit
};

struct InputSpec {
  std::string name;
  ValueType type = ValueType::Image;
  bool required = true;
  Value defaultValue{};              // used when an optional input is absent
  std::optional<double> min, max;    // INT / FLOAT
  std::vector<std::string> options;  // COMBO
  std::string modelType;             // for Model inputs: the output type name that may link here
  std::string doc;                   // one line for docs/NODES.md
  SizeRole sizeRole = SizeRole::None;
};

struct OutputSpec {
  std::string name;
  ValueType type = ValueType::Image;
  std::string modelType;  // for Model outputs, e.g. "DEPTH_MODEL"
};

struct NodeSpec {
  NodeSpec(std::string type, std::string cat, std::string desc)
      : classType(std::move(type)), category(std::move(cat)), description(std::move(desc)) {}

  std::string classType;
  std::string category;
  std::string description;
  std::vector<InputSpec> inputs;
  std::vector<OutputSpec> outputs;
  bool outputNode = false;  // SaveTensor and friends: what the graph runs for

  // Builders keep node definitions short and readable.
  NodeSpec& image(std::string n) { return add(input(std::move(n), ValueType::Image)); }
  NodeSpec& mask(std::string n) { return add(input(std::move(n), ValueType::Mask)); }
  NodeSpec& audio(std::string n) { return add(input(std::move(n), ValueType::Audio)); }
  NodeSpec& model(std::string n, std::string modelType) {
    InputSpec s = input(std::move(n), ValueType::Model);
    s.modelType = std::move(modelType);
    return add(std::move(s));
  }
  NodeSpec& integer(std::string n, int64_t def, double lo, double hi) {
    InputSpec s = input(std::move(n), ValueType::Int, def);
    s.min = lo;
    s.max = hi;
    return add(std::move(s));
  }
  NodeSpec& number(std::string n, double def, double lo, double hi) {
    InputSpec s = input(std::move(n), ValueType::Float, def);
    s.min = lo;
    s.max = hi;
    return add(std::move(s));
  }
  NodeSpec& boolean(std::string n, bool def) {
    return add(input(std::move(n), ValueType::Boolean, def));
  }
  NodeSpec& text(std::string n, std::string def) {
    return add(input(std::move(n), ValueType::String, std::move(def)));
  }
  NodeSpec& combo(std::string n, std::vector<std::string> opts) {
    InputSpec s = input(std::move(n), ValueType::Combo, opts.empty() ? Value{} : Value{opts[0]});
    s.options = std::move(opts);
    return add(std::move(s));
  }
  NodeSpec& optional() {
    inputs.back().required = false;
    return *this;
  }
  // Marks how the input added last sets a size (see SizeRole).
  NodeSpec& sizes(SizeRole role) {
    inputs.back().sizeRole = role;
    return *this;
  }
  // Documents the input added last.
  NodeSpec& doc(std::string d) {
    inputs.back().doc = std::move(d);
    return *this;
  }
  NodeSpec& output(std::string n, ValueType t, std::string modelType = {}) {
    OutputSpec o;
    o.name = std::move(n);
    o.type = t;
    o.modelType = std::move(modelType);
    outputs.push_back(std::move(o));
    return *this;
  }
  NodeSpec& add(InputSpec s) {
    inputs.push_back(std::move(s));
    return *this;
  }
  static InputSpec input(std::string n, ValueType t, Value def = {}) {
    InputSpec s;
    s.name = std::move(n);
    s.type = t;
    s.defaultValue = std::move(def);
    return s;
  }
  int inputIndex(const std::string& name) const;
};

}  // namespace cs
