#include "support/experiment_files.hpp"

#include <attnlab/error.hpp>
#include <attnlab/experiment/experiment.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <random>

TemporaryFolder::TemporaryFolder() {
  std::random_device entropy;
  path_ = std::filesystem::temp_directory_path() /
          ("attnlab-test-" + std::to_string(entropy()) + std::to_string(entropy()));
  std::filesystem::create_directories(path_);
}

TemporaryFolder::~TemporaryFolder() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TemporaryFolder::write(const std::string& name, const std::string& text) const {
  const std::filesystem::path file = path_ / name;
  std::ofstream(file) << text;
  return file.string();
}

std::string load_refusal(const std::string& text) {
  TemporaryFolder folder;
  try {
    attnlab::load_experiment(folder.write("x.yaml", text));
  } catch (const attnlab::ConfigError& e) {
    return e.what();
  }
  FAIL("expected the experiment to be refused:\n" << text);
  return "";
}
