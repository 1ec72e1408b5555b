#include "tools/junit.h"

#include <gtest/gtest.h>

namespace sluice::tools {
namespace {

TEST(XmlEscapeTest, EscapesMarkupAndReplacesWhatXmlForbids) {
  EXPECT_EQ(XmlEscape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
  EXPECT_EQ(XmlEscape("tab\tnew\nline"), "tab\tnew\nline");
  EXPECT_EQ(XmlEscape(std::string("nul\0x", 5)), "nul\xEF\xBF\xBDx");
  EXPECT_EQ(XmlEscape("\x01"), "\xEF\xBF\xBD");
  EXPECT_EQ(XmlEscape("caf\xC3\xA9"), "caf\xC3\xA9");            // valid UTF-8 kept
  EXPECT_EQ(XmlEscape("bad \xFF end"), "bad \xEF\xBF\xBD end");  // invalid byte replaced
  EXPECT_EQ(XmlEscape("\xC3"), "\xEF\xBF\xBD");                  // truncated sequence
  EXPECT_EQ(XmlEscape("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
}

TEST(JUnitXmlTest, OneTestCasePerSeedAndFailuresWithTheRepro) {
  RunSpec spec{"build/tools/sluice", "tm-crash", "", "commit-not-idempotent", ""};
  std::vector<RunOutcome> outcomes(2);
  outcomes[0].result.seed = 1;
  outcomes[0].result.pass = true;
  outcomes[0].wall_ms = 250;
  outcomes[1].result.seed = 2;
  outcomes[1].result.failure = "exactly once: duplicate <'fox'> & more\nsecond line";
  outcomes[1].wall_ms = 1500;
  const std::string xml = JUnitXml(spec, outcomes, {{"build.commit", "abc1234"}});
  EXPECT_NE(xml.find("<testsuite name=\"tm-crash\" tests=\"2\" failures=\"1\""),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<testcase name=\"seed 1\" classname=\"sluice.sim.tm-crash\" "
                     "time=\"0.250\"/>"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<failure message=\"exactly once: duplicate &lt;&apos;fox&apos;&gt; &amp; "
                     "more\""),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find(">build/tools/sluice sim run tm-crash --seed 2 --job wordcount --plant-bug "
                     "commit-not-idempotent\n"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<property name=\"build.commit\" value=\"abc1234\"/>"), std::string::npos);
  EXPECT_EQ(xml.find("<'fox'>"), std::string::npos);
}

}  // namespace
}  // namespace sluice::tools
