#include "attnlab/version.hpp"

namespace attnlab {

const char* version() {
  return ATTNLAB_VERSION;
}

}  // namespace attnlab
