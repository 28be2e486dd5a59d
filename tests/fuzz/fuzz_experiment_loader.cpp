// libFuzzer target for the experiment loader: any bytes are either an
// experiment or a refusal (an attnlab::Error), within the fuzzer's time and
// memory limits; a crash, a hang or another exception is a bug.
//   fuzz_experiment_loader -max_total_time=60 NEW_CORPUS tests/fuzz/corpus
#include <attnlab/error.hpp>
#include <attnlab/experiment/experiment.hpp>
#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    // A fixed limit, so that a verdict does not depend on the machine's free memory.
    attnlab::experiment_from_text(text, "fuzz.yaml", {}, {.memory_bytes = 512u << 20});
  } catch (const attnlab::Error&) {
    // refused with a message: the expected outcome for most inputs
  }
  return 0;
}
