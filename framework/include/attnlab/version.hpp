#pragma once

namespace attnlab {

/// The attnlab release, e.g. "0.1.0".
const char* version();

}  // namespace attnlab
