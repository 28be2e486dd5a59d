// The analysis tables as text: an interval cell on screen and in CSV.
#include <catch2/catch.hpp>

#include "text_table.hpp"

using namespace attnlab::analysis;
using Catch::Contains;

TEST_CASE("a bound a hair from 0 on its cell's scale shows as 0 on screen, in full in CSV") {
  // The bootstrap interval of two seeds {0, 0.0125} interpolates a low end of ~3e-74.
  TextTable table;
  table.title = "t";
  table.columns = {{"x", "x"}};
  table.rows = {{interval(0.00625, 3.179e-74, 0.0125, "boot_")}};
  REQUIRE_THAT(render(table, TextFormat::table), Contains("0.00625 [0, 0.0125]"));
  REQUIRE_THAT(render(table, TextFormat::csv), Contains("3.179e-74"));
  table.rows = {{interval(2e-9, 1e-9, 3e-9, "boot_")}};  // small everywhere: kept
  REQUIRE_THAT(render(table, TextFormat::table), Contains("2e-09 [1e-09, 3e-09]"));
  table.rows = {{interval(0.5, 3e-14, 1.0)}};  // a t interval (a difference): as computed
  REQUIRE_THAT(render(table, TextFormat::table), Contains("[3e-14, 1]"));
  REQUIRE(mean_with_interval(MeanInterval::t) == "mean [95% CI, Student t]");
}
