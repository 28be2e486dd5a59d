// sort: output the input tokens in ascending order. Every output position
// depends on the whole input (the i-th smallest), so no fixed alignment works;
// posed to the encoder-decoder it is a test of cross-attention by content.
#include <algorithm>
#include <attnlab/plugin.hpp>
#include <attnlab/task/task.hpp>

namespace attnlab {
namespace {

class SortTask final : public SequenceTransductionTask {
 public:
  using SequenceTransductionTask::SequenceTransductionTask;

 protected:
  std::vector<int32_t> answer(const std::vector<int32_t>& x) const override {
    std::vector<int32_t> y(x);
    std::sort(y.begin(), y.end());
    return y;
  }
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_task({
      .name = "sort",
      .description = "output a random sequence of n tokens in ascending order",
      .parameters = sequence_transduction_parameters(),
      .capabilities = {.encoder = true, .decoder = true, .encoder_decoder = true},
      .factory = [](const Parameters& p, const Task::BuildContext&) -> std::unique_ptr<Task> {
        return std::make_unique<SortTask>(p.integer("symbols"), p.integer("length"));
      },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
