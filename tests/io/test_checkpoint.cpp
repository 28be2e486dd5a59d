#include <attnlab/error.hpp>
#include <attnlab/io/atomic_file.hpp>
#include <attnlab/io/checkpoint.hpp>
#include <attnlab/io/hdf5_file.hpp>
#include <attnlab/model/models.hpp>
#include <catch2/catch.hpp>
#include <filesystem>

#include "support/models.hpp"

using namespace attnlab;
using Catch::Matchers::Contains;

namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("attnlab_test_" + name)).string();
}

}  // namespace

TEST_CASE("a checkpoint round-trips every parameter exactly") {
  const std::string path = temp_path("roundtrip.h5");
  Rng a_rng(1), b_rng(2);
  const DecoderLM a(testing::small_decoder_config(), a_rng),
      b(testing::small_decoder_config(), b_rng);
  save_checkpoint(a, path);
  REQUIRE_FALSE(std::filesystem::exists(temporary_path(path)));
  load_checkpoint(b, path);
  const auto pa = a.named_parameters(), pb = b.named_parameters();
  for (std::size_t i = 0; i < pa.size(); ++i)
    REQUIRE(pa[i].second.to_vector() == pb[i].second.to_vector());

  Hdf5File file(path, Hdf5File::Mode::read);
  REQUIRE(file.dataset_shape("parameters/decoder/layers/0/self_attn/q_proj/weight") == Shape{8, 8});
  REQUIRE(file.dataset_shape("parameters/lm_head/weight") ==
          Shape{5, 8});  // (out, in) as nn.Linear
  REQUIRE(file.int_attribute("/", "attnlab_checkpoint_schema") == kCheckpointSchemaVersion);
  std::filesystem::remove(path);
}

TEST_CASE("loading refuses missing, extra, mis-shaped parameters and newer schemas") {
  const std::string path = temp_path("mismatch.h5");
  Rng rng(1);
  const DecoderLM narrow(testing::small_decoder_config(8), rng),
      wide(testing::small_decoder_config(16), rng);
  save_checkpoint(narrow, path);
  REQUIRE_THROWS_WITH(load_checkpoint(wide, path), Contains(path) &&
                                                       Contains("decoder.embed.tokens.weight") &&
                                                       Contains("[5, 8]") && Contains("[5, 16]"));

  TransformerConfig deeper = testing::small_decoder_config();
  deeper.decoder_layers = 2;
  const DecoderLM two_layers(deeper, rng);
  REQUIRE_THROWS_WITH(load_checkpoint(two_layers, path),
                      Contains("'decoder.layers.1.") && Contains("missing"));
  save_checkpoint(two_layers, path);
  REQUIRE_THROWS_WITH(load_checkpoint(narrow, path),
                      Contains("does not have") && Contains("decoder.layers.1."));

  // Every mismatch at once: missing, of another shape and unexpected, with counts.
  TransformerConfig deeper_and_wider = testing::small_decoder_config(16);
  deeper_and_wider.decoder_layers = 3;  // the file has 2 layers of width 8
  const DecoderLM both(deeper_and_wider, rng);
  REQUIRE_THROWS_WITH(load_checkpoint(both, path),
                      Contains("parameter(s) missing: 'decoder.layers.2.") &&
                          Contains("of another shape: 'decoder.embed.tokens.weight' is [5, 8] "
                                   "there but [5, 16] in the model") &&
                          Contains("and ") && Contains("more"));

  // A refused file leaves the model untouched.
  const auto before = narrow.parameters().front().to_vector();
  REQUIRE_THROWS(load_checkpoint(narrow, path));
  REQUIRE(narrow.parameters().front().to_vector() == before);

  {
    Hdf5File file(path, Hdf5File::Mode::create);
    file.set_attribute("/", "attnlab_checkpoint_schema", kCheckpointSchemaVersion + 1);
  }
  REQUIRE_THROWS_WITH(load_checkpoint(narrow, path), Contains("newer"));
  std::filesystem::remove(path);
  REQUIRE_THROWS_AS(load_checkpoint(narrow, path), IoError);
}

TEST_CASE("a checkpoint that cannot be put in place is an IoError and leaves no partial file") {
  const std::filesystem::path directory = temp_path("a_directory");
  std::filesystem::create_directories(directory / "occupied");
  Rng rng(1);
  const DecoderLM model(testing::small_decoder_config(), rng);
  REQUIRE_THROWS_AS(save_checkpoint(model, directory.string()), IoError);
  REQUIRE_FALSE(std::filesystem::exists(temporary_path(directory)));
  std::filesystem::remove_all(directory);
}

TEST_CASE("one dotted name -> HDF5 path rule for parameters and activations") {
  REQUIRE(hdf5_path("parameters", "decoder.layers.0.self_attn.q_proj.weight") ==
          "parameters/decoder/layers/0/self_attn/q_proj/weight");
  REQUIRE(hdf5_path("activations/step_000012", "encoder.layers.1.self_attn.weights") ==
          "activations/step_000012/encoder/layers/1/self_attn/weights");
  REQUIRE(checkpoint_dataset_path("embed.tokens.weight") ==
          hdf5_path("parameters", "embed.tokens.weight"));
}
