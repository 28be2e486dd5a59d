// The kinds of component attnlab has registries for, listed once. Everything
// that handles every kind (the plugin registrar and loader, `attnlab plugins`,
// the conformance checks) walks this list, so a new kind is added here.
#pragma once

#include <tuple>

#include "attnlab/attention/attention_variant.hpp"
#include "attnlab/attention/head_layout.hpp"
#include "attnlab/model/positional_encoding.hpp"
#include "attnlab/task/task.hpp"

namespace attnlab {

template <class... Kinds>
struct KindList {
  /// std::tuple<Of<Kind>...>, e.g. one list of entries per kind.
  template <template <class> class Of>
  using Tuple = std::tuple<Of<Kinds>...>;

  /// Calls visit.template operator()<Kind>() for each kind, in order.
  template <class Visitor>
  static void for_each(Visitor&& visit) {
    (visit.template operator()<Kinds>(), ...);
  }
};

/// Every kind, in the order listings show them.
using ComponentKinds = KindList<AttentionVariant, PositionalEncoding, HeadLayout, Task>;

template <class Component>
using EntriesOf = std::vector<typename Registry<Component>::Entry>;

}  // namespace attnlab
