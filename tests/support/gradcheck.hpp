// The tests use the library's gradient check (attnlab/conformance/gradient_check.hpp).
#pragma once

#include <attnlab/conformance/gradient_check.hpp>

namespace attnlab::testing {

using conformance::GradCheckInput;
using conformance::GradCheckOptions;
using conformance::gradient_error;

}  // namespace attnlab::testing
