// The parameter settings the conformance checks try a component with.
#include <catch2/catch.hpp>
#include <set>

#include "conformance/parameter_settings.hpp"  // from the framework's sources

using namespace attnlab;
using namespace attnlab::conformance;

TEST_CASE(
    "parameter settings: the defaults first, then one parameter at a time at values it accepts") {
  const std::vector<ParameterSpec> specs{
      {"groups", ParameterType::integer, "2", "", at_least(1)},
      {"p", ParameterType::number, "0.8", "", in_range(0, 1)},
      {"width", ParameterType::text, "split", "", one_of({"split", "fixed"})},
      {"on", ParameterType::boolean, "true", ""}};
  const std::vector<ParameterSetting> settings = parameter_settings(specs);
  REQUIRE(settings.front().empty());
  REQUIRE(describe(settings.front()) == "defaults");
  std::set<ParameterSetting> distinct(settings.begin(), settings.end());
  REQUIRE(distinct.size() == settings.size());
  std::set<std::string> groups, p;
  for (const ParameterSetting& setting : settings) {
    if (setting.empty()) continue;
    REQUIRE(setting.size() == 1);  // one change at a time, as eval.settings usually are
    const std::string name = setting.begin()->first, value = setting.begin()->second;
    const ParameterSpec& spec =
        *std::find_if(specs.begin(), specs.end(), [&](auto& s) { return s.name == name; });
    REQUIRE(parse_parameter(spec, value).has_value());                                   // accepted
    REQUIRE(parse_parameter(spec, value) != parse_parameter(spec, spec.default_value));  // changed
    if (name == "groups") groups.insert(value);
    if (name == "p") p.insert(value);
  }
  // The limit, small powers of two, the default doubled; never 0 (below the limit).
  REQUIRE(groups == std::set<std::string>{"1", "4", "8"});
  REQUIRE(p.count("0") == 1);
  REQUIRE(p.count("1") == 1);
  REQUIRE(p.count("0.4") == 1);
  REQUIRE(std::count(settings.begin(), settings.end(), ParameterSetting{{"width", "fixed"}}) == 1);
  REQUIRE(std::count(settings.begin(), settings.end(), ParameterSetting{{"on", "false"}}) == 1);
  REQUIRE(describe(ParameterSetting{{"width", "fixed"}, {"groups", "4"}}) ==
          "groups=4, width=fixed");
}
