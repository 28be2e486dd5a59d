// The one instance of each kind's registry. Function-local statics: built-in
// components register during static initialisation in any order, and shared
// libraries loaded later find the same objects.
#include "attnlab/attention/attention_variant.hpp"
#include "attnlab/attention/head_layout.hpp"
#include "attnlab/model/positional_encoding.hpp"
#include "attnlab/task/task.hpp"

namespace attnlab {

Registry<AttentionVariant>& attention_registry() {
  static Registry<AttentionVariant> registry;
  return registry;
}

Registry<PositionalEncoding>& positional_registry() {
  static Registry<PositionalEncoding> registry;
  return registry;
}

Registry<HeadLayout>& head_layout_registry() {
  static Registry<HeadLayout> registry;
  return registry;
}

Registry<Task>& task_registry() {
  static Registry<Task> registry;
  return registry;
}

}  // namespace attnlab
