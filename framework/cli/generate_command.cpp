// `attnlab generate FILE --prompt "..."`: a trained model continues a prompt,
// greedily or by sampling, with its key/value cache.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <boost/program_options.hpp>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "attnlab/error.hpp"
#include "attnlab/io/provenance.hpp"
#include "attnlab/io/saved_model.hpp"
#include "attnlab/model/sampling.hpp"
#include "attnlab/plugin.hpp"
#include "attnlab/train/seeding.hpp"
#include "commands.hpp"
#include "positional_argument.hpp"

namespace po = boost::program_options;

namespace attnlab::cli {
namespace {

struct GenerateFlags {
  std::string file, prompt;
  int64_t max_tokens = 32, top_k = 0;
  double temperature = 0.0;
  uint64_t seed = 0;
  bool json = false;
};

// The prompt's token ids: its bytes for a task whose tokens are bytes of a
// text (char_lm), else ids separated by spaces or commas; each one of the
// model's input vocabulary.
std::vector<int32_t> prompt_ids(const std::string& prompt, bool bytes, int64_t vocabulary) {
  std::vector<int32_t> ids;
  if (bytes) {
    for (const char c : prompt) ids.push_back(static_cast<unsigned char>(c));
  } else {
    std::string text = prompt;
    std::replace(text.begin(), text.end(), ',', ' ');
    std::istringstream in(text);
    for (std::string word; in >> word;) {
      if (word.find_first_not_of("0123456789") != std::string::npos || word.size() > 9)
        throw ConfigError(fmt::format(
            "--prompt: '{}' is not a token id (this task's tokens are ids 0 to {}, given as "
            "numbers separated by spaces)",
            word, vocabulary - 1));
      ids.push_back(std::stoi(word));
    }
  }
  if (ids.empty()) throw ConfigError("--prompt: expected at least one token");
  for (const int32_t id : ids)
    if (id >= vocabulary)
      throw ConfigError(
          fmt::format("--prompt: token {} is outside the model's vocabulary (ids 0 to {}{})", id,
                      vocabulary - 1, bytes ? ": a byte this text was never written in" : ""));
  return ids;
}

// Tokens as text for a byte task: the bytes as they are (a terminal shows
// UTF-8), control characters but newline and tab escaped; else the ids.
std::string shown(const std::vector<int32_t>& ids, bool bytes) {
  if (!bytes) return fmt::format("{}", fmt::join(ids, " "));
  std::string text;
  for (const int32_t id : ids)
    text += (id >= 32 && id != 127) || id == '\n' || id == '\t'
                ? std::string(1, static_cast<char>(id))
                : fmt::format("\\x{:02x}", id);
  return text;
}

}  // namespace

int run_generate(const std::vector<std::string>& arguments) {
  GenerateFlags flags;
  po::options_description options("attnlab generate FILE --prompt TEXT [options]");
  options.add_options()("help,h", "show this text")(
      "prompt", po::value(&flags.prompt),
      "what the model continues (an encoder-decoder: its source): text for a task of bytes "
      "(char_lm), else token ids separated by spaces, e.g. \"3 1 4\"")(
      "max-tokens", po::value(&flags.max_tokens)->default_value(flags.max_tokens),
      "tokens to generate")("temperature",
                            po::value(&flags.temperature)->default_value(flags.temperature),
                            "sampling temperature; 0 = greedy (the most likely token)")(
      "top-k", po::value(&flags.top_k)->default_value(flags.top_k),
      "sample among the k most likely tokens only (0 = all)")(
      "seed", po::value(&flags.seed)->default_value(flags.seed), "the sampling's seed")(
      "json", po::bool_switch(&flags.json), "print prompt and generated ids as JSON");
  if (parse_with_positional(
          arguments, options, flags.file,
          "Rebuilds the model of FILE (a trial file of a run or a checkpoint that stores its "
          "configuration) and continues the prompt by --max-tokens tokens, one at a time with "
          "its key/value cache (where the causal mask allows one), greedily unless "
          "--temperature is above 0. An encoder-decoder decodes from its task's start token "
          "with the prompt as its source. Layout: docs/interchange.md.\n"
          "e.g. attnlab generate runs/char_lm_heads/trials/<id>.h5 --prompt \"In the beginning\""))
    return 0;
  if (flags.file.empty() || flags.prompt.empty())
    throw ConfigError(
        "expected a trial file or checkpoint and --prompt, e.g. attnlab generate "
        "runs/NAME/trials/<id>.h5 --prompt \"3 1 4\"");
  // Each step attends to every token before it: a bound keeps time and memory bounded.
  constexpr int64_t kMostTokens = 100'000;
  if (flags.max_tokens < 1 || flags.max_tokens > kMostTokens)
    throw ConfigError(
        fmt::format("--max-tokens: found {}, expected 1 to {}", flags.max_tokens, kMostTokens));
  check_file_at(flags.file);  // in a child: HDF5 may crash on a damaged file
  const SavedModel saved(flags.file);
  const TrialSpec& spec = saved.spec();
  const bool bytes = task_registry().find(spec.task.name).capabilities.byte_tokens;
  const std::vector<int32_t> ids = prompt_ids(flags.prompt, bytes, spec.model.vocab_size);
  Rng sampling = seeded_rng(flags.seed, "generate");
  const TokenChooser choose = sampling_chooser(flags.temperature, flags.top_k, sampling);
  // An encoder-decoder starts from its task's start token: the first of a target input.
  Rng example_rng = seeded_rng(0, "generate-start");
  const int32_t start_token = spec.shape == ModelShape::encoder_decoder
                                  ? saved.task()
                                        .sample(spec.shape, 1, saved.task().length(), example_rng)
                                        .target_input.ids.front()
                                  : 0;
  const TokenBatch prompt{1, static_cast<int64_t>(ids.size()), ids, {}};
  Generation generation;
  try {
    generation = saved.model().generate(prompt, flags.max_tokens, start_token, choose);
  } catch (const Error& error) {
    throw ConfigError(fmt::format("{}: cannot generate {} tokens after a prompt of {}: {}",
                                  flags.file, flags.max_tokens, ids.size(), error.what()));
  }
  const std::vector<int32_t>& all = generation.tokens.ids;
  const std::vector<int32_t> generated(all.end() - flags.max_tokens, all.end());
  if (flags.json) {
    nlohmann::ordered_json json = {{"file", flags.file},     {"prompt", ids},
                                   {"generated", generated}, {"temperature", flags.temperature},
                                   {"top_k", flags.top_k},   {"seed", flags.seed}};
    if (bytes) json["text"] = std::string(generated.begin(), generated.end());
    std::cout << json.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
    return 0;
  }
  fmt::print("{}{}{}\n", shown(ids, bytes), bytes ? "" : " | ", shown(generated, bytes));
  return 0;
}

}  // namespace attnlab::cli
