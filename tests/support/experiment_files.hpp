// Experiment files written into a fresh temporary folder for one test.
#pragma once

#include <filesystem>
#include <string>

class TemporaryFolder {
 public:
  TemporaryFolder();
  ~TemporaryFolder();
  const std::filesystem::path& path() const { return path_; }
  /// Writes `text` to `name` inside the folder and returns its path.
  std::string write(const std::string& name, const std::string& text) const;

 private:
  std::filesystem::path path_;
};

/// What loading `text` as an experiment file x.yaml refuses it with (the
/// ConfigError's message); fails the test if it loads.
std::string load_refusal(const std::string& text);
