// reverse: produce the input sequence backwards (y_i = x_{n+1-i}); every answer
// token needs the position of its source, so positional information matters.
#include <attnlab/plugin.hpp>
#include <attnlab/task/task.hpp>

namespace attnlab {
namespace {

class ReverseTask final : public SequenceTransductionTask {
 public:
  using SequenceTransductionTask::SequenceTransductionTask;

 protected:
  std::vector<int32_t> answer(const std::vector<int32_t>& x) const override {
    return {x.rbegin(), x.rend()};
  }
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_task({
      .name = "reverse",
      .description = "produce a random sequence of n tokens backwards",
      .parameters = sequence_transduction_parameters(),
      .capabilities = {.encoder = true, .decoder = true, .encoder_decoder = true},
      .factory = [](const Parameters& p, const Task::BuildContext&) -> std::unique_ptr<Task> {
        return std::make_unique<ReverseTask>(p.integer("symbols"), p.integer("length"));
      },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
