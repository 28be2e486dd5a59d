// The one matcher of dotted names (record.tensors, patch --activation), held to
// the table its Python twin is held to as well.
#include <attnlab/nn/dotted_pattern.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

using namespace attnlab;

TEST_CASE("dotted patterns match as the shared table says") {
  std::ifstream table(ATTNLAB_DOTTED_PATTERNS);
  REQUIRE(table.good());
  int cases = 0;
  for (std::string line; std::getline(table, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string pattern, name, expected;
    std::getline(fields, pattern, '\t');
    std::getline(fields, name, '\t');
    std::getline(fields, expected, '\t');
    INFO(pattern << " vs " << name);
    REQUIRE(matches_dotted_pattern(pattern, name) == (expected == "yes"));
    ++cases;
  }
  REQUIRE(cases >= 15);
}

TEST_CASE("many '**' cost no exponential search") {
  std::string pattern, name;
  for (int i = 0; i < 60; ++i) pattern += "**.";
  for (int i = 0; i < 60; ++i) name += "a.";
  REQUIRE_FALSE(matches_dotted_pattern(pattern + "b", name + "c"));
  REQUIRE(matches_dotted_pattern(pattern + "c", name + "c"));
}
