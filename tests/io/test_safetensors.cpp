// safetensors files: what attnlab writes reads back bit for bit, and every way
// a header can lie is refused with the file and what is wrong.
#include <attnlab/error.hpp>
#include <attnlab/io/safetensors.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

#include "support/experiment_files.hpp"

using namespace attnlab;
using Catch::Matchers::Contains;

namespace {

// A file of `header` (its length first, as the format has it) and then `data_bytes` bytes.
std::string raw_file(const TemporaryFolder& folder, const std::string& header,
                     std::size_t data_bytes, uint64_t claimed_length = 0) {
  const uint64_t length = claimed_length != 0 ? claimed_length : header.size();
  std::string bytes(reinterpret_cast<const char*>(&length), sizeof length);
  bytes += header + std::string(data_bytes, '\x01');
  return folder.write("raw.safetensors", bytes);
}

}  // namespace

TEST_CASE("safetensors: tensors and metadata round-trip bit for bit, in order") {
  const TemporaryFolder folder;
  const std::vector<float> odd{1.5f,
                               -0.0f,
                               std::numeric_limits<float>::denorm_min(),
                               std::numeric_limits<float>::infinity(),
                               3.0e38f,
                               -7.25f};
  SafetensorsContent content;
  content.tensors.emplace_back("decoder.layers.0.self_attn.q_proj.weight",
                               Tensor::from_values({2, 3}, odd));
  content.tensors.emplace_back("a.bias", Tensor::from_values({3}, {odd.data(), 3}));
  content.tensors.emplace_back("scalar", Tensor::from_values({}, {odd.data() + 5, 1}));
  content.tensors.emplace_back("empty", Tensor::zeros({0, 4}));
  content.metadata = {{"format", "attnlab"}, {"note", "a \"quoted\" text"}};
  const auto path = folder.path() / "model.safetensors";
  write_safetensors(path, content);

  std::ifstream in(path, std::ios::binary);
  uint64_t header_length = 0;
  in.read(reinterpret_cast<char*>(&header_length), 8);
  CHECK(header_length % 8 == 0);  // the data starts aligned
  const SafetensorsContent back = read_safetensors(path);
  CHECK(back.metadata == content.metadata);
  REQUIRE(back.tensors.size() == content.tensors.size());
  for (std::size_t i = 0; i < back.tensors.size(); ++i) {
    const auto& [name, tensor] = back.tensors[i];
    CHECK(name == content.tensors[i].first);
    REQUIRE(tensor.shape() == content.tensors[i].second.shape());
    CHECK(std::memcmp(tensor.data(), content.tensors[i].second.data(),
                      static_cast<std::size_t>(tensor.numel()) * sizeof(float)) == 0);
  }
}

TEST_CASE("safetensors: a name twice, an empty name or __metadata__ is refused when writing") {
  const TemporaryFolder folder;
  for (const std::string& bad : std::vector<std::string>{"twice", "", "__metadata__"}) {
    SafetensorsContent content;
    content.tensors.emplace_back(bad, Tensor::zeros({1}));
    if (bad == "twice") content.tensors.emplace_back(bad, Tensor::zeros({1}));
    CHECK_THROWS_AS(write_safetensors(folder.path() / "x.safetensors", content), ConfigError);
    CHECK_FALSE(std::filesystem::exists(folder.path() / "x.safetensors"));
  }
}

TEST_CASE("safetensors: a header that lies is refused with the file and what is wrong") {
  const TemporaryFolder folder;
  const auto refused = [&](const std::string& path, const std::string& expected) {
    INFO(expected);
    REQUIRE_THROWS_AS(read_safetensors(path), IoError);
    REQUIRE_THROWS_WITH(read_safetensors(path), Contains(path) && Contains(expected));
  };
  const std::string one = R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})";
  CHECK(read_safetensors(raw_file(folder, one, 8)).tensors.size() == 1);  // the honest one

  refused(folder.write("short.safetensors", "abc"), "too short");
  refused(raw_file(folder, one, 8, 200'000'000), "more than the 100000000");
  refused(raw_file(folder, one, 8, 4096), "but only");
  refused(raw_file(folder, "{not json", 0), "is not JSON");
  refused(raw_file(folder, "[1, 2]", 0), "expected a JSON object");
  refused(raw_file(folder, R"({"w": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}})", 4),
          "dtype \"F16\"");
  refused(raw_file(folder, R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 8]}})", 8),
          "span 8 bytes, but shape [1] of F32 needs 4");
  refused(raw_file(folder, R"({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})", 8),
          "shape [3] holds more values than the file's 8 bytes");
  refused(raw_file(folder, R"({"w": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}})", 8),
          "expected a non-negative integer");
  refused(raw_file(folder, R"({"w": {"dtype": "F32", "shape": [2]}})", 8), "data_offsets");
  refused(raw_file(folder, one, 16), "index 8 bytes of data, but the file holds 16");
  refused(raw_file(folder, R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})", 12),
          "a hole before it");
  refused(raw_file(folder,
                   R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                       "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
                   12),
          "overlaps the one before");
  refused(raw_file(folder, R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})", 4),
          "shape [2] holds more values than the file's 4 bytes");  // runs past the end
  refused(raw_file(folder,
                   R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296],
                       "data_offsets": [0, 8]}})",
                   8),
          "holds more values than the file's 8 bytes");
  refused(raw_file(folder, R"({"__metadata__": {"k": 1}})", 0), "__metadata__.k is 1");
  // Hostile headers are refused while they are parsed: no stack or memory they could take.
  refused(raw_file(folder, std::string(100000, '[') + std::string(100000, ']'), 0), "is a list");
  refused(raw_file(folder, R"({"w": {"shape": [[[1]]]}})", 0), "nests deeper");
  refused(raw_file(folder,
                   R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                       "w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})",
                   8),
          "names 'w' twice");
  refused(raw_file(folder,
                   R"({"w": {"dtype": "F32", "shape": [0, 18446744073709551615],
                       "data_offsets": [0, 0]}})",
                   0),
          "holds more values than the file's 0 bytes");
  refused(raw_file(folder, R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}})", 8),
          "end before they begin");
  refused((folder.path() / "absent.safetensors").string(), "cannot read");
}
