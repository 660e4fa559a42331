// The bundle's report.html in a real browser (Debian's chromium, headless): it loads from the file
// alone with no console errors, its plots are in the DOM after load, and a screenshot is saved
// under the build folder for a person to look at. Skips where chromium is absent.
#include "tests/codegen/host_compile.hpp"
#include "tests/pipeline/tiny_pipeline.hpp"
#include "tests/test_support.hpp"

#include <fstream>
#include <sstream>

namespace nncert {
namespace {

using test::q;
using test::run_nncert;
using test::TempDir;

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Report, RendersInHeadlessChromiumWithItsPlots) {
  if (test::shell("command -v chromium >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "chromium is not installed (Debian package chromium); skipping the browser check";
  TempDir tmp;
  const auto data = test::write_data(tmp);
  std::ofstream(tmp / "p.toml") << test::pipeline_text(data);
  const auto r = run_nncert("certify " + q(tmp / "p.toml") + " -o " + q(tmp / "bundle"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto report = tmp / "bundle" / "report.html";
  const std::string html = slurp(report);
  // Self-contained: nothing is fetched from anywhere (the SVG namespace is a name, not a request).
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("href="), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);

  const std::string browser = "HOME=" + q(tmp.path()) + " timeout 120 chromium --headless --no-sandbox --disable-gpu "
                              "--no-first-run --enable-logging=stderr --v=0 --virtual-time-budget=2000 ";
  const auto shot = std::filesystem::path(NNCERT_BINARY).parent_path() / "report_screenshot.png";
  std::filesystem::remove(shot);
  std::string log;
  ASSERT_EQ(test::shell(browser + "--dump-dom file://" + report.string() + " >" + q(tmp / "dom.html") + " 2>" +
                        q(tmp / "console.log"), &log), 0) << slurp(tmp / "console.log");
  const std::string dom = slurp(tmp / "dom.html"), console = slurp(tmp / "console.log");
  // Chromium logs every console message as "CONSOLE(line)" and page errors as "Uncaught ...".
  EXPECT_EQ(console.find("CONSOLE"), std::string::npos) << console;
  EXPECT_EQ(console.find("Uncaught"), std::string::npos) << console;
  for (const char* id : {"plot-accuracy", "plot-verdicts-verify", "plot-times-verify", "stages", "certificates"})
    EXPECT_NE(dom.find(std::string("id=\"") + id + "\""), std::string::npos) << id;
  std::size_t rects = 0;
  for (std::size_t at = dom.find("<rect "); at != std::string::npos; at = dom.find("<rect ", at + 1)) ++rects;
  EXPECT_GE(rects, 30u + 3u);  // one verdict square per sample 0..29, and accuracy bars

  ASSERT_EQ(test::shell(browser + "--window-size=1200,1800 --screenshot=" + q(shot) + " file://" + report.string() +
                        " >/dev/null 2>&1"), 0);
  ASSERT_TRUE(std::filesystem::exists(shot));
  EXPECT_GT(std::filesystem::file_size(shot), 1000u);
  std::cout << "report screenshot: " << shot.string() << "\n";
}

}  // namespace
}  // namespace nncert
