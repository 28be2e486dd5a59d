#include <attnlab/error.hpp>
#include <attnlab/io/training_state.hpp>
#include <attnlab/model/models.hpp>
#include <attnlab/train/seeding.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "support/models.hpp"

using namespace attnlab;
using Catch::Matchers::Contains;

namespace {

std::filesystem::path temp_path(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("attnlab_test_" + name);
}

// A state as training leaves it at step 3: moments, streams, records, one evaluation.
ResumePoint point_of(const Module& model) {
  ResumePoint point;
  point.trial_id = "0123456789abcdef";
  point.seconds = 1.25;
  TrainingState& state = point.training;
  state.step = 3;
  state.optimizer.steps = 3;
  for (const Tensor& p : model.parameters()) {
    std::vector<float> m(static_cast<std::size_t>(p.numel()));
    for (std::size_t i = 0; i < m.size(); ++i) m[i] = 0.001f * static_cast<float>(i) + 1e-9f;
    state.optimizer.first_moment.push_back(m);
    for (float& v : m) v *= v;
    state.optimizer.second_moment.push_back(m);
  }
  Rng data = seeded_rng(1, "data");
  data.discard(17);
  std::ostringstream text;
  text << data;
  state.data_rng = state.dropout_rng = state.position_rng = text.str();
  for (int64_t s = 1; s <= 3; ++s)
    state.history.push_back({.step = s,
                             .loss = 2.0f / static_cast<float>(s),
                             .lr = 1e-3f,
                             .grad_norm = 0.5f,
                             .eval = {}});
  state.history[1].eval.push_back({.setting = "p=0.5",
                                   .length = 6,
                                   .loss = 1.5f,
                                   .accuracy = 0.25f,
                                   .exact_match = 0.0f,
                                   .generation_accuracy = std::nanf("")});
  ParameterSnapshot snapshot{.step = 2, .parameters = {}};
  for (const auto& [name, tensor] : model.named_parameters())
    snapshot.parameters.emplace(name, Tensor::from_values(tensor.shape(), tensor.values()));
  point.recorded.push_back(snapshot);
  return point;
}

}  // namespace

TEST_CASE("a resume point round-trips the parameters, moments, streams, records and snapshots") {
  const std::filesystem::path path = temp_path("state.resume");
  Rng a_rng(1), b_rng(2);
  const DecoderLM a(testing::small_decoder_config(), a_rng),
      b(testing::small_decoder_config(), b_rng);
  const ResumePoint written = point_of(a);
  write_resume_point(path, written, a);
  const std::vector<float> b_before = b.parameters().front().to_vector();
  const ResumePoint read = read_resume_point(path, b);
  REQUIRE(b.parameters().front().to_vector() == b_before);  // the caller decides to load it
  REQUIRE(read.trial_id == written.trial_id);
  REQUIRE(read.seconds == written.seconds);
  REQUIRE(read.training.step == 3);
  REQUIRE(read.training.optimizer.steps == 3);
  REQUIRE(read.training.optimizer.first_moment == written.training.optimizer.first_moment);
  REQUIRE(read.training.optimizer.second_moment == written.training.optimizer.second_moment);
  REQUIRE(read.training.data_rng == written.training.data_rng);
  REQUIRE(read.training.history.size() == 3);
  REQUIRE(read.training.history[2].loss == written.training.history[2].loss);
  REQUIRE(read.training.history[1].eval.size() == 1);
  const Evaluation& e = read.training.history[1].eval.front();
  REQUIRE(e.setting == "p=0.5");
  REQUIRE(e.length == 6);
  REQUIRE(e.accuracy == 0.25f);
  REQUIRE(std::isnan(e.generation_accuracy));
  REQUIRE(read.recorded.size() == 1);
  REQUIRE(read.recorded[0].step == 2);
  const auto pa = a.named_parameters();
  for (std::size_t i = 0; i < pa.size(); ++i) {
    REQUIRE(read.parameters.at(pa[i].first).to_vector() == pa[i].second.to_vector());
    REQUIRE(read.recorded[0].parameters.at(pa[i].first).to_vector() == pa[i].second.to_vector());
  }
  std::filesystem::remove(path);
}

TEST_CASE("a damaged or foreign resume point is refused by name and leaves the model as it was") {
  const std::filesystem::path path = temp_path("damaged.resume");
  Rng a_rng(1), b_rng(2);
  const DecoderLM a(testing::small_decoder_config(), a_rng),
      b(testing::small_decoder_config(), b_rng);
  const std::vector<float> before = b.parameters().front().to_vector();
  write_resume_point(path, point_of(a), a);

  SECTION("a model of another width") {
    Rng wide_rng(3);
    const DecoderLM wide(testing::small_decoder_config(16), wide_rng);
    REQUIRE_THROWS_WITH(read_resume_point(path, wide),
                        Contains(path.string()) && Contains("do not fit the model"));
  }
  SECTION("a truncated file") {
    const auto size = std::filesystem::file_size(path);
    std::filesystem::resize_file(path, size / 2);
    REQUIRE_THROWS_AS(read_resume_point(path, b), IoError);
    REQUIRE(b.parameters().front().to_vector() == before);
  }
  SECTION("a flipped byte in a value") {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(std::filesystem::file_size(path) - 64));
    file.put('\x7f');
    file.close();
    REQUIRE_THROWS_AS(read_resume_point(path, b), IoError);
    REQUIRE(b.parameters().front().to_vector() == before);
  }
  std::filesystem::remove(path);
}
