// Loading plugin libraries: every way it can go wrong is a clear error naming
// the library, never a crash.
#include <unistd.h>

#include <attnlab/error.hpp>
#include <attnlab/experiment/experiment.hpp>
#include <attnlab/experiment/trial_spec.hpp>
#include <attnlab/plugin.hpp>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace attnlab;
using Catch::Matchers::Contains;

TEST_CASE("a missing library names the places searched") {
  REQUIRE_THROWS_WITH(
      load_plugin("no_such_plugin.so", "/tmp"),
      Contains("plugin 'no_such_plugin.so' not found") && Contains("/tmp/no_such_plugin.so"));
}

TEST_CASE("a file that is not a shared library is refused") {
  const auto path = std::filesystem::temp_directory_path() / "attnlab_corrupt_plugin.so";
  std::ofstream(path) << "this is not an ELF file\n";
  REQUIRE_THROWS_WITH(
      load_plugin(path.string()),
      Contains("cannot be loaded as a shared library") && Contains("attnlab_corrupt_plugin.so"));
  std::filesystem::remove(path);
}

TEST_CASE("a library without the entry points is refused") {
  REQUIRE_THROWS_WITH(
      load_plugin(ATTNLAB_TEST_PLUGIN_NO_ENTRY),
      Contains("has no entry symbol 'attnlab_plugin_api_version'") && Contains("ATTNLAB_PLUGIN"));
}

TEST_CASE("an API version mismatch names both versions") {
  REQUIRE_THROWS_WITH(load_plugin(ATTNLAB_TEST_PLUGIN_BAD_VERSION),
                      Contains("built for plugin API version 999") &&
                          Contains(fmt::format("speaks version {}", kPluginApiVersion)));
}

TEST_CASE("a name clash is refused and nothing of the plugin is registered") {
  const std::size_t before = attention_registry().entries().size();
  REQUIRE_THROWS_WITH(
      load_plugin(ATTNLAB_TEST_PLUGIN_DUPLICATE),
      Contains("attention variant 'softmax' is already registered (from built-in)") &&
          Contains("duplicate"));
  REQUIRE(attention_registry().entries().size() == before);
  REQUIRE(attention_registry().find("softmax").origin == "built-in");
}

TEST_CASE("an exception inside the plugin becomes an error naming the library") {
  REQUIRE_THROWS_WITH(
      load_plugin(ATTNLAB_TEST_PLUGIN_THROWING),
      Contains("registration failed: the plugin's own setup failed") && Contains("throwing"));
}

TEST_CASE("ATTNLAB_PLUGIN_PATH is searched for relative names") {
  const std::filesystem::path library(ATTNLAB_TEST_PLUGIN_DUPLICATE);
  setenv("ATTNLAB_PLUGIN_PATH", ("/nonexistent:" + library.parent_path().string()).c_str(), 1);
  REQUIRE_THROWS_WITH(load_plugin(library.filename().string()),
                      Contains("already registered"));  // found, then refused
  unsetenv("ATTNLAB_PLUGIN_PATH");
}

TEST_CASE("a library that registers at static initialisation is refused but stays loaded") {
  REQUIRE_THROWS_WITH(load_plugin(ATTNLAB_TEST_PLUGIN_STATIC_INIT),
                      Contains("registers components while loading") && Contains("ATTNLAB_PLUGIN"));
  // Its code stays mapped: the entry it slipped into the registry can still be read safely.
  REQUIRE(attention_registry().find("test_static_init").description == "bypasses the registrar");
}

namespace {

// A private folder holding a copy of a test plugin, for damaging or exposing it.
struct PluginCopy {
  std::filesystem::path folder, library;
  PluginCopy() {
    char name[] = "/tmp/attnlab-plugin-XXXXXX";
    folder = ::mkdtemp(name);
    library = folder / "copy.so";
    std::filesystem::copy_file(ATTNLAB_TEST_PLUGIN_DUPLICATE, library);
  }
  ~PluginCopy() { std::filesystem::remove_all(folder); }
};

}  // namespace

TEST_CASE("a truncated library is refused before the loader maps it (no SIGBUS)") {
  const auto full = std::filesystem::file_size(ATTNLAB_TEST_PLUGIN_DUPLICATE);
  for (const std::uintmax_t size : {std::uintmax_t{0}, std::uintmax_t{10}, std::uintmax_t{64},
                                    std::uintmax_t{4096}, full / 2, full - 1}) {
    PluginCopy copy;
    std::filesystem::resize_file(copy.library, size);
    INFO("truncated to " << size << " of " << full << " bytes");
    REQUIRE_THROWS_WITH(load_plugin(copy.library.string()),
                        Contains("cannot be loaded as a shared library") &&
                            (Contains("truncated") || Contains("not an ELF file")));
  }
}

TEST_CASE("a library or folder that every user can write is refused unless allowed") {
  {
    PluginCopy copy;
    std::filesystem::permissions(copy.library, std::filesystem::perms::others_write,
                                 std::filesystem::perm_options::add);
    REQUIRE_THROWS_WITH(load_plugin(copy.library.string()),
                        Contains("refused: the library can be written by every user") &&
                            Contains("ATTNLAB_ALLOW_WRITABLE_PLUGINS=1"));
  }
  {
    PluginCopy copy;
    std::filesystem::permissions(copy.folder, std::filesystem::perms::all);  // 0777, not sticky
    REQUIRE_THROWS_WITH(
        load_plugin(copy.library.string()),
        Contains("refused: its folder") && Contains("can be written by every user"));
    setenv("ATTNLAB_ALLOW_WRITABLE_PLUGINS", "1", 1);  // the user's opt-in: checked further
    REQUIRE_THROWS_WITH(load_plugin(copy.library.string()), Contains("already registered"));
    unsetenv("ATTNLAB_ALLOW_WRITABLE_PLUGINS");
  }
}

TEST_CASE("locating a plugin only looks: nothing of it is loaded") {
  REQUIRE(locate_plugin(ATTNLAB_TEST_PLUGIN_BROKEN_PROMISES) ==
          std::filesystem::weakly_canonical(ATTNLAB_TEST_PLUGIN_BROKEN_PROMISES));
  REQUIRE_FALSE(attention_registry().contains("test_bias_blind"));
  load_plugin(ATTNLAB_TEST_PLUGIN_BROKEN_PROMISES);  // the check above can fail: loading registers
  REQUIRE(attention_registry().contains("test_bias_blind"));
  REQUIRE_THROWS_WITH(locate_plugin("no_such_plugin.so", "/tmp"),
                      Contains("/tmp/no_such_plugin.so"));
}

// (Each test case runs in a process of its own: a library once loaded, even if
// refused, is not loaded again, so these rely on the throwing one being fresh.)
TEST_CASE("a base file's plugins are loaded only if the merged experiment still names them") {
  PluginCopy scratch;  // a private folder for the two files
  std::ofstream(scratch.folder / "base.yaml")
      << fmt::format("plugins: ['{}']\ntrain: {{steps: 1}}\n", ATTNLAB_TEST_PLUGIN_THROWING);
  std::ofstream(scratch.folder / "child.yaml") << "base: base.yaml\nplugins: []\n";
  // Merging used to load the base's plugin, whose registration throws.
  const Experiment child = load_experiment((scratch.folder / "child.yaml").string());
  REQUIRE(child.trials.at(0).config.at_path("plugins")->items().empty());
  REQUIRE_THROWS_WITH(load_experiment((scratch.folder / "base.yaml").string()),
                      Contains("base.yaml:1:") && Contains("registration failed"));
}

TEST_CASE("a trial's typed view loads nothing: plugins are loaded where trials are built") {
  PluginCopy scratch;
  std::ofstream(scratch.folder / "plain.yaml") << "train: {steps: 1}\n";
  Experiment experiment = load_experiment((scratch.folder / "plain.yaml").string());
  ConfigNode config = experiment.trials.at(0).config;
  ConfigNode plugins = ConfigNode::sequence();
  plugins.push_back(ConfigNode::scalar(ATTNLAB_TEST_PLUGIN_THROWING));
  config.set_path("plugins", plugins, {});
  const BuiltTrial built = build_trial(experiment.trials.at(0).config);
  const TrialSpec spec = trial_spec(config, *built.task);  // would have thrown, loading it
  REQUIRE(spec.plugins == std::vector<std::string>{ATTNLAB_TEST_PLUGIN_THROWING});
  REQUIRE_THROWS_WITH(build_trial(config), Contains("registration failed"));
}
