// Every registered component of every kind, through its kind's checks.
#include <type_traits>

#include "attnlab/registry/component_kinds.hpp"
#include "check_support.hpp"

namespace attnlab::conformance {
namespace {

template <class Component>
ComponentReport check_one(const std::string& name) {
  if constexpr (std::is_same_v<Component, AttentionVariant>)
    return check_attention_variant(name);
  else if constexpr (std::is_same_v<Component, PositionalEncoding>)
    return check_positional_encoding(name);
  else if constexpr (std::is_same_v<Component, HeadLayout>)
    return check_head_layout(name);
  else
    return check_task(name);
}

}  // namespace

std::vector<ComponentReport> check_components(std::string_view origin) {
  std::vector<ComponentReport> reports;
  ComponentKinds::for_each([&]<class Component>() {
    for (const auto& entry : registry_of<Component>().entries())
      if (origin.empty() || entry.origin == origin)
        reports.push_back(check_one<Component>(entry.name));
  });
  return reports;
}

}  // namespace attnlab::conformance
