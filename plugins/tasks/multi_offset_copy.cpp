// multi_offset_copy: at every position t, name the tokens at several relative
// positions at once: the target is the tuple (x[t - o_1], ..., x[t - o_k]) for
// the offsets o (default 1, 2, 4), as one class of symbols^k. One softmax head
// gives one weighted average of its values, and W_V(token + position) adds the
// tokens up, losing which token came from which offset; k heads can each fetch
// one offset. So at one layer a single head should struggle (it can only
// separate the tokens by giving the offsets different weights, a precision
// trick), while h >= k heads should not: the experiment for "different heads
// capture different relations". Posed to an encoder (token classification);
// positions with t < max(o) have no target.
#include <fmt/format.h>

#include <algorithm>
#include <attnlab/error.hpp>
#include <attnlab/plugin.hpp>
#include <attnlab/task/task.hpp>
#include <cmath>
#include <sstream>

namespace attnlab {
namespace {

std::vector<int64_t> parse_offsets(const std::string& text) {
  std::vector<int64_t> offsets;
  std::stringstream items(text);
  for (std::string item; std::getline(items, item, ',');) {
    std::size_t used = 0;
    int64_t offset = 0;
    try {
      offset = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || item.find_first_not_of(' ', used) != std::string::npos || offset < 1)
      throw ConfigError(fmt::format(
          "task 'multi_offset_copy': offsets: found '{}' in '{}', expected positive integers "
          "separated by commas, e.g. 1,2,4",
          item, text));
    if (std::find(offsets.begin(), offsets.end(), offset) != offsets.end())
      throw ConfigError(fmt::format("task 'multi_offset_copy': offsets: {} is listed twice in '{}'",
                                    offset, text));
    offsets.push_back(offset);
  }
  if (offsets.empty())
    throw ConfigError("task 'multi_offset_copy': offsets: expected at least one, e.g. 1,2,4");
  return offsets;
}

class MultiOffsetCopyTask final : public Task {
 public:
  MultiOffsetCopyTask(int64_t symbols, int64_t length, std::vector<int64_t> offsets)
      : symbols_(symbols), length_(length), offsets_(std::move(offsets)) {
    const double classes = std::pow(static_cast<double>(symbols_), offsets_.size());
    if (classes > 65536)
      throw ConfigError(fmt::format(
          "task 'multi_offset_copy': symbols^offsets = {}^{} = {:.0f} classes, more than 65536",
          symbols_, offsets_.size(), classes));
    if (length_ <= deepest())
      throw ConfigError(fmt::format(
          "task 'multi_offset_copy': length {} leaves no position with all offsets ({}) "
          "inside the sequence; use length > {}",
          length_, deepest(), deepest()));
  }
  int64_t vocab_size() const override { return symbols_; }
  int64_t num_classes() const override {
    int64_t classes = 1;
    for (std::size_t i = 0; i < offsets_.size(); ++i) classes *= symbols_;
    return classes;
  }
  int64_t length() const override { return length_; }
  int64_t sequence_length(ModelShape, int64_t length) const override { return length; }

  TaskBatch sample(ModelShape shape, int64_t batch, int64_t length, Rng& rng) const override {
    if (shape != ModelShape::encoder)
      throw ConfigError("task 'multi_offset_copy' is posed to an encoder");
    if (batch < 1 || length <= deepest())
      throw ConfigError(
          fmt::format("task 'multi_offset_copy': batch >= 1 and length > {}, got {} and {}",
                      deepest(), batch, length));
    TaskBatch out;
    out.source = TokenBatch{batch, length, {}, {}};
    for (int64_t b = 0; b < batch; ++b) {
      const std::size_t start = out.source.ids.size();
      for (int64_t t = 0; t < length; ++t)
        out.source.ids.push_back(static_cast<int32_t>(rng() % static_cast<uint64_t>(symbols_)));
      const int32_t* x = out.source.ids.data() + start;
      for (int64_t t = 0; t < length; ++t) out.targets.push_back(target_at(x, t));
    }
    return out;
  }

  /// The class of position t of sequence x: its offsets' tokens as digits, the
  /// first offset most significant; kIgnoreTarget where one falls before x.
  int32_t target_at(const int32_t* x, int64_t t) const {
    if (t < deepest()) return kIgnoreTarget;
    int64_t code = 0;
    for (const int64_t offset : offsets_) code = code * symbols_ + x[t - offset];
    return static_cast<int32_t>(code);
  }

 private:
  int64_t deepest() const { return *std::max_element(offsets_.begin(), offsets_.end()); }

  int64_t symbols_, length_;
  std::vector<int64_t> offsets_;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_task({
      .name = "multi_offset_copy",
      .description = "name the tokens at several offsets back at once, (x[t-1], x[t-2], "
                     "x[t-4]) as one class (encoder): one relation per head",
      .parameters = {{"symbols", ParameterType::integer, "4", "content vocabulary", at_least(2)},
                     {"length", ParameterType::integer, "16", "tokens per sequence", at_least(2)},
                     {"offsets", ParameterType::text, "1,2,4",
                      "the relative positions each target names, comma-separated"}},
      .capabilities = {.encoder = true},
      .factory = [](const Parameters& p, const Task::BuildContext&) -> std::unique_ptr<Task> {
        return std::make_unique<MultiOffsetCopyTask>(p.integer("symbols"), p.integer("length"),
                                                     parse_offsets(p.text("offsets")));
      },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
