#include "workflow/CompiledGraph.h"

#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "util/JsonLimits.h"
#include "util/LogEscape.h"
#include "workflow/WorkflowError.h"

namespace cs {
namespace {

std::string num(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}

// A literal as it appears in an error message: never throws, never long.
std::string shortDump(const nlohmann::json& v) {
  return logSafe(safeDump(v), 120);
}

bool isLink(const nlohmann::json& v) {
  return v.is_array() && v.size() == 2 && (v[0].is_string() || v[0].is_number_integer()) &&
         v[1].is_number_integer();
}

std::string linkId(const nlohmann::json& v) {
  return v[0].is_string() ? v[0].get<std::string>() : std::to_string(v[0].get<int64_t>());
}

// ComfyUI's validate_inputs conversions: a literal must convert to the input's type.
std::optional<NodeErrorItem> literalValue(const InputSpec& in, const nlohmann::json& raw,
                                          Value& out) {
  auto bad = [&](const std::string& type, const std::string& msg, const std::string& details) {
    return NodeErrorItem{type, msg, details, in.name};
  };
  switch (in.type) {
    case ValueType::Int: {
      double d = 0;
      if (raw.is_number_integer())
        d = static_cast<double>(raw.get<int64_t>());
      else if (raw.is_number_float() && std::floor(raw.get<double>()) == raw.get<double>())
        d = raw.get<double>();
      else
        return bad("invalid_input_type", "Failed to convert an input value to a INT value",
                   in.name + ", " + shortDump(raw));
      if (in.min && d < *in.min)
        return bad("value_smaller_than_min",
                   "Value " + num(d) + " smaller than min of " + num(*in.min), in.name);
      if (in.max && d > *in.max)
        return bad("value_bigger_than_max",
                   "Value " + num(d) + " bigger than max of " + num(*in.max), in.name);
      out = static_cast<int64_t>(d);
      return std::nullopt;
    }
    case ValueType::Float: {
      if (!raw.is_number())
        return bad("invalid_input_type", "Failed to convert an input value to a FLOAT value",
                   in.name + ", " + shortDump(raw));
      const double d = raw.get<double>();
      if (in.min && d < *in.min)
        return bad("value_smaller_than_min",
                   "Value " + num(d) + " smaller than min of " + num(*in.min), in.name);
      if (in.max && d > *in.max)
        return bad("value_bigger_than_max",
                   "Value " + num(d) + " bigger than max of " + num(*in.max), in.name);
      out = d;
      return std::nullopt;
    }
    case ValueType::String:
      if (!raw.is_string())
        return bad("invalid_input_type", "Failed to convert an input value to a STRING value",
                   in.name + ", " + shortDump(raw));
      out = raw.get<std::string>();
      return std::nullopt;
    case ValueType::Boolean:
      if (!raw.is_boolean())
        return bad("invalid_input_type", "Failed to convert an input value to a BOOLEAN value",
                   in.name + ", " + shortDump(raw));
      out = raw.get<bool>();
      return std::nullopt;
    case ValueType::Combo: {
      const std::string s = raw.is_string() ? raw.get<std::string>() : safeDump(raw);
      for (const auto& o : in.options)
        if (o == s) {
          out = s;
          return std::nullopt;
        }
      std::string list;
      for (const auto& o : in.options) list += (list.empty() ? "" : ", ") + o;
      return bad("value_not_in_list", "Value not in list",
                 in.name + ": '" + logSafe(s, 120) + "' not in [" + list + "]");
    }
    default:
      return bad("invalid_input_type",
                 std::string(typeName(in.type)) + " input must be a link [node_id, output_index]",
                 in.name);
  }
}

// The server's resource limits on the literal inputs that set a size (NodeSpec SizeRole): checked
// before any node is built, so a workflow asking for a 16384² image is refused in microseconds
// instead of allocating gigabytes during warm-up.
std::vector<NodeErrorItem> sizeErrors(const NodeSpec& spec, const nlohmann::json& inputs,
                                      const NodeContext& ctx) {
  const WorkflowLimits& lim = ctx.limits;
  std::vector<NodeErrorItem> errs;
  auto over = [&](const InputSpec& in, const std::string& message) {
    errs.push_back({"value_bigger_than_max", message, in.name, in.name});
  };
  std::optional<int64_t> width, height;
  const InputSpec* heightInput = nullptr;
  for (const auto& in : spec.inputs) {
    if (in.sizeRole == SizeRole::None) continue;
    Value v = in.defaultValue;
    if (inputs.contains(in.name)) {
      if (isLink(inputs[in.name]) || literalValue(in, inputs[in.name], v)) continue;
    }
    double n = 0;
    if (auto* i = std::get_if<int64_t>(&v))
      n = static_cast<double>(*i);
    else if (auto* d = std::get_if<double>(&v))
      n = *d;
    else
      continue;
    const std::string side = std::to_string(lim.maxImageSide);
    switch (in.sizeRole) {
      case SizeRole::Width:
      case SizeRole::Height:
      case SizeRole::Extent:
        if (std::abs(n) > lim.maxImageSide) {
          over(in, "Value " + num(n) + " bigger than this server's image limit of " + side +
                       " pixels a side (--max-image-size)");
          continue;
        }
        if (in.sizeRole == SizeRole::Width) width = static_cast<int64_t>(n);
        if (in.sizeRole == SizeRole::Height) {
          height = static_cast<int64_t>(n);
          heightInput = &in;
        }
        break;
      case SizeRole::Batch:
        if (n > lim.maxBatch)
          over(in, "Value " + num(n) + " bigger than this server's batch limit of " +
                       std::to_string(lim.maxBatch) + " (--max-batch)");
        break;
      case SizeRole::Scale: {
        const double w = std::round(ctx.width * n), h = std::round(ctx.height * n);
        if (!lim.allowsImage(static_cast<int64_t>(w), static_cast<int64_t>(h)))
          over(in, "scale " + num(n) + " turns the stream's " + std::to_string(ctx.width) + "x" +
                       std::to_string(ctx.height) + " picture into " +
                       lim.describeImage(static_cast<int64_t>(w), static_cast<int64_t>(h)));
        break;
      }
      case SizeRole::None:
        break;
    }
  }
  if (width && height && heightInput && !lim.allowsImage(*width, *height))
    over(*heightInput, lim.describeImage(*width, *height));
  return errs;
}

bool linkable(const OutputSpec& from, const InputSpec& to) {
  if (to.type == ValueType::Combo) return from.type == ValueType::String;
  if (from.type != to.type) return false;
  return to.type != ValueType::Model || to.modelType.empty() || to.modelType == from.modelType;
}

}  // namespace

std::unique_ptr<CompiledGraph> CompiledGraph::compile(const nlohmann::json& prompt,
                                                      const NodeRegistry& registry,
                                                      NodeContext& ctx) {
  // 0. Defence in depth: nlohmann::json copies and dumps recursively, and this function copies
  //    node inputs. The network parsers already refuse deeper documents (util/JsonLimits.h).
  if (jsonDepth(prompt) > kMaxJsonDepth)
    throw WorkflowError("invalid_prompt", "the workflow is nested deeper than " +
                                              std::to_string(kMaxJsonDepth) + " levels");
  // 1. Every unknown or unsupported class_type, all at once.
  std::map<std::string, NodeErrors> unknown;
  std::string names, ids;
  for (const auto& [id, node] : prompt.items()) {
    const std::string t = node["class_type"];
    if (registry.find(t)) continue;
    const auto reason = registry.unsupportedReason(t);
    unknown[id] = {t,
                   {{"unsupported_node",
                     reason ? "Node type " + t + " is not supported: " + *reason
                            : "Node type " + t + " does not exist",
                     reason.value_or(""), ""}}};
    names += (names.empty() ? "" : ", ") + t + " (node #" + id + ")";
    ids += std::string(ids.empty() ? "" : ", ") + "'#" + id + "'";
  }
  if (!unknown.empty())
    throw WorkflowError("invalid_prompt",
                        "Cannot execute because these node types are not supported: " + names,
                        "Node ID " + ids, unknown);

  // 2. Order the nodes the outputs need; a cycle is an error on every node in it.
  std::map<std::string, NodeErrors> errors;
  auto fail = [&](const std::string& id, const std::string& t, NodeErrorItem e) {
    auto& ne = errors[id];
    ne.classType = t;
    ne.errors.push_back(std::move(e));
  };
  std::vector<std::string> order;
  std::map<std::string, int> mark;  // 0 new, 1 on stack, 2 done
  std::function<void(const std::string&, std::vector<std::string>&)> visit =
      [&](const std::string& id, std::vector<std::string>& stack) {
        if (mark[id] == 2) return;
        if (mark[id] == 1) {
          bool in = false;
          for (const auto& s : stack) {
            if (s == id) in = true;
            if (in)
              fail(s, prompt[s]["class_type"],
                   {"dependency_cycle", "Dependency cycle detected",
                    "node " + s + " depends on itself", ""});
          }
          return;
        }
        mark[id] = 1;
        stack.push_back(id);
        const auto inputs = prompt[id].value("inputs", nlohmann::json::object());
        for (const auto& [name, raw] : inputs.items())
          if (isLink(raw) && prompt.contains(linkId(raw))) visit(linkId(raw), stack);
        stack.pop_back();
        mark[id] = 2;
        order.push_back(id);
      };
  bool anyOutput = false;
  for (const auto& [id, node] : prompt.items()) {
    if (!registry.find(node["class_type"])->spec.outputNode) continue;
    anyOutput = true;
    std::vector<std::string> stack;
    visit(id, stack);
  }
  if (!anyOutput) throw WorkflowError("prompt_no_outputs", "Prompt has no outputs");

  // 3. Inputs of the nodes the outputs need (as ComfyUI, an unused node is not validated):
  //    presence, literal types and ranges, links.
  for (const auto& id : order) {
    const auto& node = prompt[id];
    const std::string t = node["class_type"];
    const NodeSpec& spec = registry.find(t)->spec;
    const auto inputs = node.value("inputs", nlohmann::json::object());
    for (const auto& in : spec.inputs) {
      if (!inputs.contains(in.name)) {
        // As ComfyUI: a required input must be in the workflow, widget or link alike.
        if (in.required)
          fail(id, t, {"required_input_missing", "Required input is missing", in.name, in.name});
        continue;
      }
      const auto& raw = inputs[in.name];
      if (isLink(raw)) {
        const std::string from = linkId(raw);
        const int64_t slot = raw[1].get<int64_t>();
        if (!prompt.contains(from)) {
          fail(id, t,
               {"bad_linked_input", "Linked node '" + from + "' does not exist",
                in.name + ": [" + from + ", " + std::to_string(slot) + "]", in.name});
          continue;
        }
        const NodeSpec& src = registry.find(prompt[from]["class_type"])->spec;
        if (slot < 0 || slot >= static_cast<int64_t>(src.outputs.size())) {
          fail(id, t,
               {"bad_linked_input",
                "Node '" + from + "' (" + src.classType + ") has no output " + std::to_string(slot),
                in.name, in.name});
          continue;
        }
        const OutputSpec& out = src.outputs[static_cast<size_t>(slot)];
        if (!linkable(out, in))
          fail(id, t,
               {"return_type_mismatch", "Return type mismatch between linked nodes",
                in.name + ", received_type(" + typeName(out.type) + ") mismatch input_type(" +
                    typeName(in.type) + ")",
                in.name});
        continue;
      }
      Value v;
      if (auto e = literalValue(in, raw, v)) fail(id, t, *e);
    }
    for (auto& e : sizeErrors(spec, inputs, ctx)) fail(id, t, std::move(e));
  }

  auto summarize = [](const std::map<std::string, NodeErrors>& errs) {
    std::string s;
    for (const auto& [id, ne] : errs)
      for (const auto& e : ne.errors)
        s += (s.empty() ? "" : "; ") + ne.classType + " (node #" + id + ")" +
             (e.inputName.empty() ? "" : " input '" + e.inputName + "'") + ": " + e.message +
             (e.details.empty() || e.details == e.inputName ? "" : " (" + e.details + ")");
    return s;
  };
  if (!errors.empty()) {
    const std::string s = summarize(errors);
    throw WorkflowError("prompt_outputs_failed_validation",
                        "Prompt outputs failed validation: " + s, s, errors);
  }

  // 4. Build the steps: literal values, slots for links, configure() once.
  auto g = std::make_unique<CompiledGraph>();
  g->prompt_ = prompt;
  std::map<std::string, Step*> byId;
  for (const auto& id : order) {
    const std::string t = prompt[id]["class_type"];
    const auto* entry = registry.find(t);
    auto step = std::make_unique<Step>(id, t);
    step->outputs.resize(entry->spec.outputs.size());
    const auto inputs = prompt[id].value("inputs", nlohmann::json::object());
    step->literals.resize(entry->spec.inputs.size());
    std::vector<const Value*> bound(entry->spec.inputs.size());
    for (size_t i = 0; i < entry->spec.inputs.size(); ++i) {
      const InputSpec& in = entry->spec.inputs[i];
      if (inputs.contains(in.name) && isLink(inputs[in.name])) {
        const auto& raw = inputs[in.name];
        bound[i] = &byId.at(linkId(raw))->outputs[static_cast<size_t>(raw[1].get<int64_t>())];
      } else {
        if (inputs.contains(in.name))
          literalValue(in, inputs[in.name], step->literals[i]);
        else
          step->literals[i] = in.defaultValue;
        bound[i] = &step->literals[i];
      }
    }
    // The one place a node's compile-time exception is caught: whatever building or configuring
    // it throws (a NodeInputError naming an input, an OpenCV or model error, anything else) is
    // reported on this node, as ComfyUI reports an exception during validation.
    try {
      step->node = entry->make();
      // configure() sees the literals only; linked inputs have no value before the first frame.
      static const Value kUnset{};
      std::vector<const Value*> literalView(bound.size(), &kUnset);
      for (size_t i = 0; i < bound.size(); ++i)
        if (bound[i] == &step->literals[i]) literalView[i] = bound[i];
      step->node->configure(NodeArgs(std::move(literalView)), ctx);
    } catch (const NodeInputError& e) {
      fail(id, t, {"invalid_input", e.what(), e.input(), e.input()});
    } catch (const std::exception& e) {  // cv::Exception included
      fail(id, t, {"exception_during_validation", e.what(), "", ""});
    } catch (...) {
      fail(id, t,
           {"exception_during_validation",
            "setting the node up threw an exception that is not a std::exception", "", ""});
    }
    step->args = std::make_unique<NodeArgs>(std::move(bound));
    if (t == "LoadTensor") g->takesVideo_ = true;
    if (t == "LoadAudioTensor") g->takesAudio_ = true;
    if (t == "SaveTensor") g->givesVideo_ = true;
    if (t == "SaveAudioTensor") g->givesAudio_ = true;
    if (t == "SaveTextTensor") g->givesText_ = true;
    byId[id] = step.get();
    g->steps_.push_back(std::move(step));
  }
  if (!errors.empty()) {
    const std::string s = summarize(errors);
    throw WorkflowError("prompt_outputs_failed_validation",
                        "Prompt outputs failed validation: " + s, s, errors);
  }
  g->passthrough_ = g->steps_.size() == 2 && g->steps_[0]->classType() == "LoadTensor" &&
                    g->steps_[1]->classType() == "SaveTensor";
  return g;
}

void CompiledGraph::run(FrameContext& frame) noexcept {
  for (auto& s : steps_) {
    const auto t0 = std::chrono::steady_clock::now();
    s->runner.run(*s->node, *s->args, s->outputs, frame);
    s->lastMs =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }
}

std::vector<CompiledGraph::NodeTiming> CompiledGraph::timings() const {
  std::vector<NodeTiming> out;
  for (const auto& s : steps_)
    out.push_back({s->id(), s->classType(), s->lastMs, s->runner.failures()});
  return out;
}

}  // namespace cs
