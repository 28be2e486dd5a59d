// Damage to a file attnlab wrote is detected: a single flipped bit anywhere
// either makes verify() fail (in the isolated reader attnlab uses, where a hang
// or a crash of HDF5 is a failure too) or changes nothing that can be read back.
#include <fmt/format.h>
#include <unistd.h>

#include <attnlab/error.hpp>
#include <attnlab/io/hdf5_file.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>

#include "io/isolated_read.hpp"  // the reader of trial files, from the framework's sources

using namespace attnlab;
namespace fs = std::filesystem;

namespace {

struct Scratch {
  fs::path dir = fs::temp_directory_path() / fmt::format("attnlab-integrity-{}", ::getpid());
  Scratch() { fs::create_directories(dir); }
  ~Scratch() { fs::remove_all(dir); }
};

// A file shaped like a trial's: string, integer and number attributes (some in
// groups), a string array, float and integer datasets, a streamed one.
void write_sample(const std::string& path) {
  Hdf5File file(path, Hdf5File::Mode::create);
  file.set_attribute("/", "status", "finished");
  file.set_attribute("/", "config_yaml", "model:\n  d_model: 16\ntask:\n  name: reverse\n");
  file.set_attribute("/", "seed", int64_t{7});
  file.create_group("final");
  file.set_attribute("final", "eval_accuracy", 0.9375);
  file.set_attribute("final", "eval_loss", 0.25);
  std::vector<float> values(3000);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = 0.001f * static_cast<float>(i);
  file.write_tensor("metrics/train/loss", Tensor::from_values({3000}, values));
  file.set_attribute("metrics/train/loss", "dims", std::vector<std::string>{"step"});
  file.write_ints("metrics/train/step", std::vector<int32_t>{1, 2, 3, 4}, {4});
  file.create_streamed("activations/weights", {4, 2, 8, 8}, 2);
  file.write_rows("activations/weights", 0,
                  Tensor::from_values({2, 2, 8, 8}, std::vector<float>(256, 0.5f)));
  file.write_rows("activations/weights", 2,
                  Tensor::from_values({2, 2, 8, 8}, std::vector<float>(256, 0.25f)));
  file.close();
}

// Everything a reader can get out of the sample file.
std::string content(const std::string& path) {
  const Hdf5File file(path, Hdf5File::Mode::read);
  std::string text = file.attributes_digest();
  for (const char* name : {"metrics/train/loss", "activations/weights"})
    for (const float v : file.read_tensor(name).values()) text += fmt::format("{},", v);
  for (const int32_t v : file.read_ints("metrics/train/step")) text += fmt::format("{};", v);
  return text;
}

std::vector<char> bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_bytes(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

TEST_CASE("a file attnlab wrote verifies, and its seal covers every attribute") {
  Scratch scratch;
  const std::string path = (scratch.dir / "sample.h5").string();
  write_sample(path);
  const Hdf5File file(path, Hdf5File::Mode::read);
  REQUIRE_NOTHROW(file.verify(true));
  REQUIRE(file.string_attribute("/", Hdf5File::kSealAttribute) == file.attributes_digest());
}

TEST_CASE("every single-bit flip is detected or harmless") {
  Scratch scratch;
  const std::string original = (scratch.dir / "sample.h5").string();
  write_sample(original);
  const std::string expected = content(original);
  const std::vector<char> bytes = bytes_of(original);
  const std::string flipped = (scratch.dir / "flipped.h5").string();
  std::mt19937_64 rng(2026);
  int detected = 0, harmless = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<char> damaged = bytes;
    const std::size_t bit = rng() % (damaged.size() * 8);
    damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (1 << (bit % 8)));
    write_bytes(flipped, damaged);
    bool failed = false;
    try {
      read_isolated(
          [&] {
            const Hdf5File file(flipped, Hdf5File::Mode::read);
            file.verify(true);
            return std::string();
          },
          flipped, std::chrono::seconds(2));
    } catch (const IoError&) {
      failed = true;
    }
    if (failed) {
      ++detected;
      continue;
    }
    INFO("bit " << bit << " of " << damaged.size() * 8 << " was flipped undetected");
    REQUIRE(content(flipped) == expected);
    ++harmless;
  }
  INFO(detected << " detected, " << harmless << " harmless");
  REQUIRE(detected > 0);
}
