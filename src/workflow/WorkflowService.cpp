#include "workflow/WorkflowService.h"

#include "util/ControlError.h"

namespace cs {

WorkflowService::WorkflowService(WorkflowSettings settings)
    : settings_(std::move(settings)),
      library_(settings_.workspace),
      models_(settings_.workspace),
      executor_("cs:workflow", settings_.threads, settings_.queue) {
  models_.setMaxModelBytes(settings_.limits.maxModelBytes);
}

WorkflowSource WorkflowService::named(const std::string& name) const {
  return WorkflowSource::of(name, library_.load(name));
}

void WorkflowService::checkSize(int width, int height) const {
  if (!settings_.limits.allowsImage(width, height))
    throw ControlError(ErrorKind::BadRequest,
                       "the requested size " + settings_.limits.describeImage(width, height));
}

std::shared_ptr<GraphWorkflow> WorkflowService::prepare(const WorkflowSource& source, int width,
                                                        int height, const WarmUp& warmUp,
                                                        const std::string& what) {
  checkSize(width, height);
  return executor_.run<std::shared_ptr<GraphWorkflow>>(
      [source, warmUp = WarmUp(warmUp),
       ctx = nodeContext(width, height)](const CancelFlag& cancel) mutable {
        // Moved out (a non-const copy: a captured `const&` would stay const and be copied), so
        // what it holds (the stream) is released before the caller is answered.
        const WarmUp run = std::move(warmUp);
        auto wf = GraphWorkflow::build(source.name, *source.prompts, ctx);
        if (run && !cancel->load()) run(*wf, cancel.get());
        return wf;
      },
      settings_.timeout, "compiling and warming up " + what);
}

std::shared_ptr<GraphWorkflow> WorkflowService::warmUp(std::shared_ptr<GraphWorkflow> compiled,
                                                       const WarmUp& warmUp,
                                                       const std::string& what) {
  return executor_.run<std::shared_ptr<GraphWorkflow>>(
      [compiled, warmUp = WarmUp(warmUp)](const CancelFlag& cancel) mutable {
        const WarmUp run = std::move(warmUp);
        if (run && !cancel->load()) run(*compiled, cancel.get());
        return compiled;
      },
      settings_.timeout, "warming up " + what);
}

std::shared_ptr<GraphWorkflow> WorkflowService::compile(const WorkflowSource& source, int width,
                                                        int height) {
  return prepare(source, width, height, nullptr, "workflow '" + source.name + "'");
}

NodeContext WorkflowService::nodeContext(int width, int height) {
  NodeContext ctx;
  ctx.models = &models_;
  ctx.width = width;
  ctx.height = height;
  ctx.limits = settings_.limits;
  return ctx;
}

}  // namespace cs
