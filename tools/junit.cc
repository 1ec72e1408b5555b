#include "tools/junit.h"

#include <fmt/core.h>

#include "tools/cli_common.h"

namespace sluice::tools {
namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

// Length of the valid UTF-8 sequence at the start of `text`, or 0 if it is not one.
size_t Utf8SequenceLength(std::string_view text) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  size_t length = 0;
  uint32_t code_point = 0;
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code_point = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code_point = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code_point = lead & 0x07;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    code_point = code_point << 6 | (byte(i) & 0x3F);
  }
  const bool overlong =
      (length == 3 && code_point < 0x800) || (length == 4 && code_point < 0x10000);
  const bool surrogate = code_point >= 0xD800 && code_point <= 0xDFFF;
  // U+FFFE and U+FFFF are not XML characters either.
  const bool non_character = code_point == 0xFFFE || code_point == 0xFFFF;
  if (overlong || surrogate || non_character || code_point > 0x10FFFF) return 0;
  return length;
}

}  // namespace

std::string XmlEscape(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    const size_t length = Utf8SequenceLength(text.substr(i));
    if (length == 0) {
      escaped += kReplacement;
      ++i;
      continue;
    }
    if (length > 1) {
      escaped.append(text.substr(i, length));
      i += length;
      continue;
    }
    switch (c) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      case '\'':
        escaped += "&apos;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          escaped += kReplacement;
        } else {
          escaped.push_back(c);
        }
    }
    ++i;
  }
  return escaped;
}

std::string JUnitXml(const RunSpec& spec, const std::vector<RunOutcome>& outcomes,
                     const std::vector<std::pair<std::string, std::string>>& properties) {
  int64_t failures = 0;
  int64_t wall_ms = 0;
  for (const RunOutcome& outcome : outcomes) {
    failures += outcome.result.pass ? 0 : 1;
    wall_ms += outcome.wall_ms;
  }
  const std::string name = XmlEscape(spec.scenario);
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  xml += fmt::format(
      "<testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\" "
      "time=\"{:.3f}\">\n",
      name, outcomes.size(), failures, static_cast<double>(wall_ms) / 1000.0);
  xml += "  <properties>\n";
  for (const auto& [key, value] : properties) {
    xml +=
        fmt::format("    <property name=\"{}\" value=\"{}\"/>\n", XmlEscape(key), XmlEscape(value));
  }
  xml += "  </properties>\n";
  for (const RunOutcome& outcome : outcomes) {
    const auto& result = outcome.result;
    xml += fmt::format("  <testcase name=\"seed {}\" classname=\"sluice.sim.{}\" time=\"{:.3f}\"",
                       result.seed, name, static_cast<double>(outcome.wall_ms) / 1000.0);
    if (result.pass) {
      xml += "/>\n";
      continue;
    }
    // The body: the repro command first (what a reader copies), then the whole report.
    const std::string body =
        ReproCommand(spec, result.seed) + "\n\n" + FailureReport(spec, outcome);
    xml += fmt::format(">\n    <failure message=\"{}\" type=\"invariant\">{}</failure>\n",
                       XmlEscape(FirstLine(result.failure)), XmlEscape(body));
    xml += "  </testcase>\n";
  }
  xml += "</testsuite>\n";
  return xml;
}

}  // namespace sluice::tools
