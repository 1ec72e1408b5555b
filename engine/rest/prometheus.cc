#include "engine/rest/prometheus.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "engine/base/assert.h"

namespace sluice {
namespace {

bool ValidName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

void AppendEscaped(std::string& out, std::string_view value, bool quote_too) {
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote_too) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

}  // namespace

void PrometheusText::Add(std::string_view name, std::string_view help, Type type,
                         const Labels& labels, double value) {
  SLUICE_ASSERT(ValidName(name), "a Prometheus metric name");
  auto family = std::find_if(families_.begin(), families_.end(),
                             [&](const Family& f) { return f.name == name; });
  if (family == families_.end()) {
    Family added;
    added.name = std::string(name);
    added.header = "# HELP " + added.name + " ";
    AppendEscaped(added.header, help, /*quote_too=*/false);
    added.header += "\n# TYPE " + added.name + (type == Type::kCounter ? " counter\n" : " gauge\n");
    families_.push_back(std::move(added));
    family = families_.end() - 1;
  }
  std::string& out = family->samples;
  out += name;
  if (!labels.empty()) {
    out += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      SLUICE_ASSERT(ValidName(labels[i].first), "a Prometheus label name");
      if (i > 0) out += ',';
      out += labels[i].first;
      out += "=\"";
      AppendEscaped(out, labels[i].second, /*quote_too=*/true);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else if (value == std::floor(value) && std::fabs(value) < 1e15) {
    out += fmt::format("{}", static_cast<int64_t>(value));
  } else {
    out += fmt::format("{}", value);
  }
  out += '\n';
}

std::string PrometheusText::text() const {
  std::string out;
  for (const Family& family : families_) out += family.header + family.samples;
  return out;
}

}  // namespace sluice
