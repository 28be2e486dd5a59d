// copy: reproduce the input sequence (y = x).
#include <attnlab/plugin.hpp>
#include <attnlab/task/task.hpp>

namespace attnlab {
namespace {

class CopyTask final : public SequenceTransductionTask {
 public:
  using SequenceTransductionTask::SequenceTransductionTask;

 protected:
  std::vector<int32_t> answer(const std::vector<int32_t>& x) const override { return x; }
};

void register_components(PluginRegistrar& registrar) {
  registrar.add_task({
      .name = "copy",
      .description = "reproduce a random sequence of n tokens",
      .parameters = sequence_transduction_parameters(),
      .capabilities = {.encoder = true, .decoder = true, .encoder_decoder = true},
      .factory = [](const Parameters& p, const Task::BuildContext&) -> std::unique_ptr<Task> {
        return std::make_unique<CopyTask>(p.integer("symbols"), p.integer("length"));
      },
  });
}

}  // namespace

ATTNLAB_PLUGIN(register_components)

}  // namespace attnlab
