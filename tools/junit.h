// JUnit XML for `sluice sim sweep --junit FILE`, the format CI servers (Jenkins, GitLab, GitHub
// test reporters) read: one <testsuite name="SCENARIO"> with one <testcase name="seed N"
// classname="sluice.sim.SCENARIO" time="SECONDS"> per seed run, and a <failure message="...">
// holding the failure report (repro command first) for each failing seed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tools/sim_report.h"

namespace sluice::tools {

// `text` made safe for XML 1.0 character data and attribute values: & < > " ' escaped, bytes that
// are not valid UTF-8 and characters XML 1.0 forbids (control characters other than tab, newline
// and carriage return) replaced by U+FFFD.
std::string XmlEscape(std::string_view text);

// The whole document. `outcomes` in the order the test cases should appear (seed order).
// `properties` (name → value) become the suite's <properties>.
std::string JUnitXml(const RunSpec& spec, const std::vector<RunOutcome>& outcomes,
                     const std::vector<std::pair<std::string, std::string>>& properties);

}  // namespace sluice::tools
