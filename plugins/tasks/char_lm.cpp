// char_lm: character-level language modelling on a real text. The corpus is a
// text file (by default the King James Version of the Bible, data/kjv.txt,
// public domain) in three fixed parts: train (the first 85%), validation (the
// next 5%: what validation evaluations, and so tune:, read) and heldout (the
// last 10%). A sequence is `length` + 1 consecutive characters from a
// uniformly drawn place in one part, and every next character is scored: the
// loss is in nats per character (bits per character = loss / ln 2). Training
// uses the split the task names (train); evaluate the held-out text with
// eval.settings: [{split: heldout}]. The parts are fixed, not parameters, and
// a configuration cannot name the validation part, so no setting can move a
// boundary over trained text or train on what selects. Tokens are bytes (256
// ids, whatever the corpus), so an id means the same character in every part
// and every corpus.
#include <dlfcn.h>
#include <fmt/format.h>

#include <attnlab/error.hpp>
#include <attnlab/named_choices.hpp>
#include <attnlab/plugin.hpp>
#include <attnlab/task/task.hpp>
#include <filesystem>
#include <fstream>
#include <memory>

#if !defined(ATTNLAB_DATA_DIR) || !defined(ATTNLAB_BUILD_LIBRARY_DIR) || \
    !defined(ATTNLAB_DATA_FROM_LIBRARY)
#error "plugins/CMakeLists.txt defines where the built-in data lives"
#endif

namespace attnlab {
namespace {

constexpr std::uintmax_t kLargestCorpus = 64u << 20;  // read whole into memory
// Where the validation part and the held-out part begin, as fractions of the corpus.
constexpr double kValidationBegins = 0.85;
constexpr double kHeldOutBegins = 0.9;

// kjv.txt: the library of the build tree reads the source's data/; an
// installed one, only the copy installed with it (never the build machine's
// source, which a trial's configuration could not tell apart).
std::filesystem::path builtin_corpus() {
  static const char anchor = 0;  // any address inside this library
  Dl_info library{};
  if (dladdr(&anchor, &library) == 0 || library.dli_fname == nullptr)
    throw Error(
        "task 'char_lm': cannot tell where libattnlab was loaded from, so not where "
        "its corpus is; give task.corpus");
  std::error_code error;
  const std::filesystem::path directory =
      std::filesystem::absolute(library.dli_fname, error).parent_path().lexically_normal();
  if (std::filesystem::equivalent(directory, ATTNLAB_BUILD_LIBRARY_DIR, error))
    return std::filesystem::path(ATTNLAB_DATA_DIR) / "kjv.txt";
  return (directory / ATTNLAB_DATA_FROM_LIBRARY / "kjv.txt").lexically_normal();
}

std::string read_corpus(const std::string& given) {
  const std::filesystem::path path =
      given.empty() ? builtin_corpus() : std::filesystem::path(given);
  if (!path.is_absolute())  // relative to what? not the working directory, silently
    throw ConfigError(fmt::format(
        "task 'char_lm': corpus: found '{}', expected an absolute path to a text file (or "
        "nothing: the built-in kjv.txt)",
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
  // One read of the size found (a character at a time is slow under the sanitizers); a
  // file that shrank meanwhile reads short, and is refused.
  std::ifstream in(path, std::ios::binary);
  std::string text(static_cast<std::size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  if (!in || in.gcount() != static_cast<std::streamsize>(size))
    throw ConfigError(fmt::format("task 'char_lm': cannot read corpus '{}'", path.string()));
  return text;
}

// The three parts of a corpus, in order: train, validation, held out.
enum class Part { train, validation, heldout };

const NamedChoices<Part>& split_names() {  // the parts a configuration may name
  static const NamedChoices<Part> names{{"train", Part::train}, {"heldout", Part::heldout}};
  return names;
}

std::string_view name_of(Part part) {
  return part == Part::train ? "train" : part == Part::validation ? "validation" : "heldout";
}

class CharLmTask final : public Task {
 public:
  CharLmTask(const std::string& corpus, int64_t length, Part part)
      : CharLmTask(std::make_shared<const std::string>(read_corpus(corpus)), length, part) {}
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
    // A window is length + 1 characters: the last start keeps it inside the part.
    const auto places = static_cast<uint64_t>(end_ - begin_ - length);
    std::vector<int32_t> sequence(static_cast<std::size_t>(length + 1));
    for (int64_t b = 0; b < batch; ++b) {
      const int64_t start = begin_ + static_cast<int64_t>(rng() % places);
      for (int64_t i = 0; i <= length; ++i)
        sequence[i] = static_cast<unsigned char>((*text_)[start + i]);
      append_next_token_row(out, sequence, scored);
    }
    return out;
  }
  // The validation part, whichever part this task reads: no configuration can
  // name it (split takes train or heldout), so nothing trains or is tested on it.
  std::unique_ptr<Task> validation_task() const override {
    return std::unique_ptr<Task>(new CharLmTask(text_, length_, Part::validation));
  }

 private:
  CharLmTask(std::shared_ptr<const std::string> text, int64_t length, Part part)
      : text_(std::move(text)), length_(length), part_(part) {
    const auto at = [&](double fraction) {
      return static_cast<int64_t>(static_cast<double>(text_->size()) * fraction);
    };
    const int64_t bounds[] = {0, at(kValidationBegins), at(kHeldOutBegins),
                              static_cast<int64_t>(text_->size())};
    begin_ = bounds[static_cast<int>(part)];
    end_ = bounds[static_cast<int>(part) + 1];
    check_length(length_);
  }
  void check_length(int64_t length) const {
    if (length < 1 || end_ - begin_ <= length)
      throw ConfigError(
          fmt::format("task 'char_lm': the {} part of the corpus has {} characters, too few for "
                      "sequences of {} + 1; use a shorter length or a larger corpus",
                      name_of(part_), end_ - begin_, length));
  }

  std::shared_ptr<const std::string> text_;  // shared by the parts of one corpus
  int64_t length_;
  Part part_;
  int64_t begin_ = 0, end_ = 0;
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_task({
      .name = "char_lm",
      .description =
          "character-level language modelling on a real text, with validation and held-out "
          "splits (decoder; loss in nats per character)",
      .parameters = {{"corpus", ParameterType::text, "",
                      "a text file, as an absolute path; empty = the King James Version of the "
                      "Bible (data/kjv.txt, 4.1 MB)"},
                     {"length", ParameterType::integer, "64", "characters per sequence",
                      at_least(1)},
                     {"split", ParameterType::text, "train",
                      "which part sequences are drawn from: train (the first 85% of the corpus) "
                      "or heldout (the last 10%); the 5% between is the validation part, what "
                      "validation evaluations and so tune: read, never trained or tested on",
                      one_of(split_names().names())}},
      .capabilities = {.decoder = true, .byte_tokens = true},
      .factory = [](const Parameters& p, const Task::BuildContext&) -> std::unique_ptr<Task> {
        return std::make_unique<CharLmTask>(p.text("corpus"), p.integer("length"),
                                            split_names().decode(p.text("split"), "split"));
      },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
