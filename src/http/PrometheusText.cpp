#include "http/PrometheusText.h"

#include <charconv>
#include <cmath>

namespace cs::http {

std::string escapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string escapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string formatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Whole numbers (every counter) without a fraction or an exponent while they are exact.
  if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0)  // 2^53
    return std::to_string(static_cast<int64_t>(v));
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
  return std::string(buf, r.ptr);
}

void PrometheusText::family(std::string_view name, Type type, std::string_view help) {
  name_ = name;
  type_ = type;
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += escapeHelp(help);
  out_ += "\n# TYPE ";
  out_ += name;
  switch (type) {
    case Type::Counter:
      out_ += " counter\n";
      break;
    case Type::Gauge:
      out_ += " gauge\n";
      break;
    case Type::Histogram:
      out_ += " histogram\n";
      break;
  }
}

void PrometheusText::writeSeries(std::string_view suffix, std::initializer_list<Label> labels,
                                 std::string_view extraName, std::string_view extraValue,
                                 std::string_view value) {
  out_ += name_;
  out_ += suffix;
  if (labels.size() > 0 || !extraName.empty()) {
    out_ += '{';
    bool first = true;
    auto add = [&](std::string_view n, std::string_view v) {
      if (!first) out_ += ',';
      first = false;
      out_ += n;
      out_ += "=\"";
      out_ += escapeLabelValue(v);
      out_ += '"';
    };
    for (const auto& [n, v] : labels) add(n, v);
    if (!extraName.empty()) add(extraName, extraValue);
    out_ += '}';
  }
  out_ += ' ';
  out_ += value;
  out_ += '\n';
}

void PrometheusText::sample(std::initializer_list<Label> labels, double value) {
  writeSeries({}, labels, {}, {}, formatValue(value));
}

void PrometheusText::histogram(std::initializer_list<Label> labels, const HistogramSample& h) {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < h.bounds.size(); ++i) {
    if (i < h.counts.size()) cumulative += h.counts[i];
    writeSeries("_bucket", labels, "le", formatValue(h.bounds[i]),
                formatValue(static_cast<double>(cumulative)));
  }
  // The +Inf bucket holds every observation, and _count equals it (the format's rule).
  if (h.counts.size() > h.bounds.size()) cumulative += h.counts[h.bounds.size()];
  const std::string count = formatValue(static_cast<double>(cumulative));
  writeSeries("_bucket", labels, "le", "+Inf", count);
  writeSeries("_sum", labels, {}, {}, formatValue(h.sum));
  writeSeries("_count", labels, {}, {}, count);
}

}  // namespace cs::http
