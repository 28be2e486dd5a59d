// Model.generate: what `attnlab generate` does (framework/cli/generate_command.cpp),
// from Python: the prompt continued by max_tokens tokens, one at a time with
// the key/value cache where the model allows one, greedily unless temperature
// is above 0 (model/sampling.hpp); the same seed draws the same tokens as
// `attnlab generate --seed`.
#include <fmt/format.h>

#include "arrays.hpp"
#include "attnlab/error.hpp"
#include "attnlab/model/sampling.hpp"
#include "attnlab/plugin.hpp"
#include "attnlab/train/seeding.hpp"
#include "compute_lock.hpp"
#include "model_handle.hpp"
#include "tokens.hpp"

namespace attnlab::python {
namespace {

// Each step attends to every token before it: a bound keeps time and memory
// bounded (as attnlab generate's).
constexpr int64_t kMostTokens = 100'000;

// A str is a byte task's text (char_lm); anything else token ids.
TokenBatch prompt_of(const ModelHandle& model, const py::object& prompt, bool& one_row) {
  const TrialSpec& spec = model.saved().spec();
  const bool bytes = task_registry().find(spec.task.name).capabilities.byte_tokens;
  if (!py::isinstance<py::str>(prompt))
    return token_batch(prompt, spec.model.vocab_size, "prompt", &one_row);
  if (!bytes)
    throw ConfigError(fmt::format(
        "prompt: a text is a prompt for a task whose tokens are bytes (char_lm); task '{}' "
        "takes token ids, e.g. [3, 1, 4]",
        spec.task.name));
  const std::string text = prompt.cast<std::string>();  // UTF-8
  std::vector<int64_t> ids;
  for (const char byte : text) ids.push_back(static_cast<unsigned char>(byte));
  const auto length = static_cast<int64_t>(ids.size());
  return token_batch(vector_array(std::move(ids), {length}), spec.model.vocab_size, "prompt",
                     &one_row);
}

// The start token of an encoder-decoder's decoding: the first of a target
// input its task makes (attnlab generate takes it the same way).
int32_t start_token_of(const SavedModel& saved) {
  if (saved.spec().shape != ModelShape::encoder_decoder) return 0;
  Rng example_rng = seeded_rng(0, "generate-start");
  return saved.task()
      .sample(saved.spec().shape, 1, saved.task().length(), example_rng)
      .target_input.ids.front();
}

// The generated tokens of each row, [rows, steps].
std::vector<int32_t> generated_tokens(const Generation& generation, int64_t steps) {
  const TokenBatch& all = generation.tokens;
  std::vector<int32_t> generated;
  for (int64_t row = 0; row < all.batch; ++row) {
    const auto end = all.ids.begin() + (row + 1) * all.length;
    generated.insert(generated.end(), end - steps, end);
  }
  return generated;
}

py::array generate(ModelHandle& model, const py::object& prompt, int64_t max_tokens,
                   double temperature, int64_t top_k, uint64_t seed) {
  if (max_tokens < 1 || max_tokens > kMostTokens)
    throw ConfigError(
        fmt::format("max_tokens: found {}, expected 1 to {}", max_tokens, kMostTokens));
  bool one_row = false;
  const TokenBatch tokens = prompt_of(model, prompt, one_row);
  std::vector<int32_t> generated = without_gil([&] {
    Rng sampling = seeded_rng(seed, "generate");
    const TokenChooser choose = sampling_chooser(temperature, top_k, sampling);
    const SavedModel& saved = model.saved();
    try {
      const Generation generation =
          saved.model().generate(tokens, max_tokens, start_token_of(saved), choose);
      return generated_tokens(generation, max_tokens);
    } catch (const Error& error) {
      throw ConfigError(fmt::format("{}: cannot generate {} tokens after a prompt of {}: {}",
                                    saved.path().string(), max_tokens, tokens.length,
                                    error.what()));
    }
  });
  if (one_row) return vector_array(std::move(generated), {max_tokens});
  return vector_array(std::move(generated), {tokens.batch, max_tokens});
}

}  // namespace

void bind_model_generate(ModelClass& model) {
  model.def("generate", &generate, py::arg("prompt"), py::arg("max_tokens") = 32,
            py::arg("temperature") = 0.0, py::arg("top_k") = 0, py::arg("seed") = 0,
            "Continues `prompt` (token ids [length] or [batch, length]; a str for a task whose "
            "tokens are bytes) by max_tokens tokens, as `attnlab generate` does: with the "
            "key/value cache where the model allows one; greedily at temperature 0, else "
            "sampled from softmax(logits / temperature) over the top_k most likely (0: all), "
            "drawn from `seed`. An encoder-decoder decodes from its task's start token with the "
            "prompt as its source. Returns the generated ids, int32 [max_tokens] (or [batch, "
            "max_tokens]); for a byte task bytes(ids) is the text. ConfigError for an encoder, "
            "ids outside the vocabulary, or a prompt and max_tokens longer than the model "
            "reaches.");
}

}  // namespace attnlab::python
