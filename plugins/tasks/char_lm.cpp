// char_lm: character-level language modelling on a real text. The corpus is a
// text file (by default the King James Version's Genesis to Deuteronomy,
// data/kjv-pentateuch.txt, public domain); its last `heldout` fraction is held
// out. A sequence is `length` + 1 consecutive characters from a uniformly drawn
// place in the chosen split, and every next character is scored: the loss is
// in nats per character (bits per character = loss / ln 2). Training uses the
// split the task names (train); evaluate the held-out text with
// eval.settings: [{split: heldout}]. The vocabulary is every byte value that
// occurs anywhere in the corpus, so both splits share it.
#include <fmt/format.h>

#include <array>
#include <attnlab/error.hpp>
#include <attnlab/plugin.hpp>
#include <attnlab/task/task.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>

#ifndef ATTNLAB_DATA_DIR
#define ATTNLAB_DATA_DIR "data"
#endif

namespace attnlab {
namespace {

constexpr std::uintmax_t kLargestCorpus = 64u << 20;  // read whole into memory

std::string read_corpus(const std::string& given) {
  const std::filesystem::path path =
      given.empty() ? std::filesystem::path(ATTNLAB_DATA_DIR) / "kjv-pentateuch.txt"
                    : std::filesystem::path(given);
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error))
    throw ConfigError(fmt::format(
        "task 'char_lm': corpus '{}' is not a readable file (a relative path is taken from the "
        "working directory; empty = the built-in {})",
        path.string(), "kjv-pentateuch.txt"));
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (error || size > kLargestCorpus)
    throw ConfigError(
        fmt::format("task 'char_lm': corpus '{}' has {} bytes, more than the {} MiB "
                    "it reads into memory",
                    path.string(), size, kLargestCorpus >> 20));
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof())
    throw ConfigError(fmt::format("task 'char_lm': cannot read corpus '{}'", path.string()));
  return text;
}

class CharLmTask final : public Task {
 public:
  CharLmTask(const std::string& corpus, int64_t length, const std::string& split, double heldout)
      : text_(read_corpus(corpus)), length_(length) {
    std::array<bool, 256> seen{};
    for (const char c : text_) seen[static_cast<unsigned char>(c)] = true;
    for (int byte = 0; byte < 256; ++byte)
      if (seen[byte]) id_of_[byte] = static_cast<int32_t>(vocab_++);
    const auto boundary = static_cast<int64_t>(static_cast<double>(text_.size()) * (1.0 - heldout));
    begin_ = split == "train" ? 0 : boundary;
    end_ = split == "train" ? boundary : static_cast<int64_t>(text_.size());
    check_length(length_);
  }
  int64_t vocab_size() const override { return vocab_; }
  int64_t length() const override { return length_; }
  int64_t sequence_length(ModelShape, int64_t length) const override { return length; }

  TaskBatch sample(ModelShape shape, int64_t batch, int64_t length, Rng& rng) const override {
    if (shape != ModelShape::decoder)
      throw ConfigError("task 'char_lm' is posed to a decoder (next-character prediction)");
    check_length(length);
    if (batch < 1) throw ConfigError(fmt::format("task 'char_lm': batch >= 1, got {}", batch));
    TaskBatch out;
    out.target_input = TokenBatch{batch, length, {}, {}};
    const std::vector<bool> scored = [&] {
      std::vector<bool> all(static_cast<std::size_t>(length + 1), true);
      all[0] = false;  // the first character has no prediction
      return all;
    }();
    const auto places = static_cast<uint64_t>(end_ - begin_ - length);
    std::vector<int32_t> sequence(static_cast<std::size_t>(length + 1));
    for (int64_t b = 0; b < batch; ++b) {
      const int64_t start = begin_ + static_cast<int64_t>(rng() % places);
      for (int64_t i = 0; i <= length; ++i)
        sequence[i] = id_of_[static_cast<unsigned char>(text_[start + i])];
      append_next_token_row(out, sequence, scored);
    }
    return out;
  }

 private:
  void check_length(int64_t length) const {
    if (length < 1 || end_ - begin_ <= length)
      throw ConfigError(
          fmt::format("task 'char_lm': the split has {} characters, too few for "
                      "sequences of {} + 1; use a shorter length or a larger split",
                      end_ - begin_, length));
  }

  std::string text_;
  int64_t length_;
  std::array<int32_t, 256> id_of_{};
  int64_t vocab_ = 0, begin_ = 0, end_ = 0;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_task({
      .name = "char_lm",
      .description = "character-level language modelling on a real text, with a held-out "
                     "split (decoder; loss in nats per character)",
      .parameters = {{"corpus", ParameterType::text, "",
                      "a text file (relative to the working directory); empty = the King James "
                      "Version's Genesis to Deuteronomy (data/kjv-pentateuch.txt)"},
                     {"length", ParameterType::integer, "64", "characters per sequence",
                      at_least(1)},
                     {"split", ParameterType::text, "train", "which part sequences are drawn from",
                      one_of({"train", "heldout"})},
                     {"heldout", ParameterType::number, "0.1",
                      "the last fraction of the corpus held out", in_range(0.01, 0.5)}},
      .capabilities = {.decoder = true},
      .factory = [](const Parameters& p, const Task::BuildContext&) -> std::unique_ptr<Task> {
        return std::make_unique<CharLmTask>(p.text("corpus"), p.integer("length"), p.text("split"),
                                            p.number("heldout"));
      },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
