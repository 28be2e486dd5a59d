// char_lm: character-level language modelling on a real text. The corpus is a
// text file (by default the King James Version's Genesis to Deuteronomy,
// data/kjv-pentateuch.txt, public domain) in three fixed parts: train (the
// first 85%), validation (the next 5%: what tune: selects on) and heldout (the
// last 10%). A sequence is `length` + 1 consecutive characters from a
// uniformly drawn place in the chosen split, and every next character is
// scored: the loss is in nats per character (bits per character = loss /
// ln 2). Training uses the split the task names (train); evaluate the
// held-out text with eval.settings: [{split: heldout}]. The parts are fixed,
// not parameters, so no evaluation setting can move a boundary over trained
// text. Tokens are bytes (256 ids, whatever the corpus), so an id means the
// same character in every split and every corpus.
#include <fmt/format.h>

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
// Where the validation part and the held-out part begin, as fractions of the corpus.
constexpr double kValidationBegins = 0.85;
constexpr double kHeldOutBegins = 0.9;

std::string read_corpus(const std::string& given) {
  const std::filesystem::path path =
      given.empty() ? std::filesystem::path(ATTNLAB_DATA_DIR) / "kjv-pentateuch.txt"
                    : std::filesystem::path(given);
  if (!path.is_absolute())  // relative to what? not the working directory, silently
    throw ConfigError(fmt::format(
        "task 'char_lm': corpus: found '{}', expected an absolute path to a text file (or "
        "nothing: the built-in kjv-pentateuch.txt)",
        given));
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (!std::filesystem::exists(status))
    throw ConfigError(fmt::format("task 'char_lm': corpus '{}' does not exist", path.string()));
  if (!std::filesystem::is_regular_file(status))
    throw ConfigError(fmt::format(
        "task 'char_lm': corpus '{}' is not a regular file (a directory, device or pipe); "
        "expected a text file",
        path.string()));
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
  CharLmTask(const std::string& corpus, int64_t length, const std::string& split)
      : corpus_(corpus), text_(read_corpus(corpus)), length_(length) {
    const auto at = [&](double fraction) {
      return static_cast<int64_t>(static_cast<double>(text_.size()) * fraction);
    };
    begin_ = split == "train"        ? 0
             : split == "validation" ? at(kValidationBegins)
                                     : at(kHeldOutBegins);
    end_ = split == "train"        ? at(kValidationBegins)
           : split == "validation" ? at(kHeldOutBegins)
                                   : static_cast<int64_t>(text_.size());
    check_length(length_);
  }
  int64_t vocab_size() const override { return 256; }
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
        sequence[i] = static_cast<unsigned char>(text_[start + i]);
      append_next_token_row(out, sequence, scored);
    }
    return out;
  }
  std::unique_ptr<Task> validation_task() const override {
    return std::make_unique<CharLmTask>(corpus_, length_, "validation");
  }

 private:
  void check_length(int64_t length) const {
    if (length < 1 || end_ - begin_ <= length)
      throw ConfigError(
          fmt::format("task 'char_lm': the split has {} characters, too few for "
                      "sequences of {} + 1; use a shorter length or a larger split",
                      end_ - begin_, length));
  }

  std::string corpus_, text_;
  int64_t length_, begin_ = 0, end_ = 0;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_task({
      .name = "char_lm",
      .description =
          "character-level language modelling on a real text, with validation and held-out "
          "splits (decoder; loss in nats per character)",
      .parameters = {{"corpus", ParameterType::text, "",
                      "a text file, as an absolute path; empty = the King James Version's "
                      "Genesis to Deuteronomy (data/kjv-pentateuch.txt)"},
                     {"length", ParameterType::integer, "64", "characters per sequence",
                      at_least(1)},
                     {"split", ParameterType::text, "train",
                      "which part sequences are drawn from: train (the first 85% of the corpus), "
                      "validation (the next 5%, what tune: selects on) or heldout (the last 10%)",
                      one_of({"train", "validation", "heldout"})}},
      .capabilities = {.decoder = true, .byte_tokens = true},
      .factory = [](const Parameters& p, const Task::BuildContext&) -> std::unique_ptr<Task> {
        return std::make_unique<CharLmTask>(p.text("corpus"), p.integer("length"), p.text("split"));
      },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
