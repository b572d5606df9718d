#pragma once
// The Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/): families of samples, each
// family once with its # HELP and # TYPE lines, then its samples. Only what /metrics needs:
// counters, gauges and histograms with string labels. Label values come from clients (stream
// ids), so they are escaped here, always: `\` → `\\`, `"` → `\"`, newline → `\n`.
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cs::http {

inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

using Label = std::pair<std::string_view, std::string_view>;  // name (a literal), value

// A label value escaped as the format asks: `\`, `"` and line feed.
std::string escapeLabelValue(std::string_view value);
// A HELP text escaped as the format asks: `\` and line feed.
std::string escapeHelp(std::string_view help);
// A sample value: integers without an exponent, NaN and ±Inf as the format spells them.
std::string formatValue(double v);

// A histogram's figures: bucket upper bounds (ascending, finite; +Inf is implicit), how many
// observations fell at or below each bound (cumulative) or per bucket (not cumulative, with one
// more entry for the +Inf bucket), their sum and count.
struct HistogramSample {
  std::span<const double> bounds;
  std::vector<uint64_t> counts;  // per bucket, not cumulative; bounds.size() + 1 entries
  double sum = 0;
};

class PrometheusText {
 public:
  enum class Type { Counter, Gauge, Histogram };

  // Starts a family. `name` is a literal metric name ([a-zA-Z_:][a-zA-Z0-9_:]*), used for the
  // HELP and TYPE lines and its samples alike; a counter's name ends in _total (the convention
  // parsers expect of 0.0.4 counters).
  void family(std::string_view name, Type type, std::string_view help);
  // One sample of the current counter or gauge family.
  void sample(std::initializer_list<Label> labels, double value);
  void sample(double value) { sample({}, value); }
  // One labelled histogram of the current histogram family: the cumulative _bucket series
  // (le="…" added after the labels, ending with le="+Inf"), _sum and _count.
  void histogram(std::initializer_list<Label> labels, const HistogramSample& h);

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void writeSeries(std::string_view suffix, std::initializer_list<Label> labels,
                   std::string_view extraName, std::string_view extraValue, std::string_view value);

  std::string out_;
  std::string name_;  // the current family's name
  Type type_ = Type::Gauge;
};

}  // namespace cs::http
