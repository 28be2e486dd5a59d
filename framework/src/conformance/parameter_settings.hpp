// The parameter settings a conformance check tries a component with: the
// defaults, then one parameter changed at a time to the values most likely to
// break it (its limits, small powers of two, the default halved and doubled,
// every choice, the other boolean), as `eval.settings` and ablation axes will.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "attnlab/registry/parameters.hpp"

namespace attnlab::conformance {

using ParameterSetting = std::map<std::string, std::string>;

/// The defaults ({}) first, then each declared parameter at each of its
/// probe values that it accepts (parse_parameter), the default excluded.
std::vector<ParameterSetting> parameter_settings(const std::vector<ParameterSpec>& specs);

/// "defaults" or "groups=4, width=fixed".
std::string describe(const ParameterSetting& setting);

}  // namespace attnlab::conformance
