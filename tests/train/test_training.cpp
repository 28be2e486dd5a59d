#include <attnlab/error.hpp>
#include <attnlab/ops.hpp>
#include <attnlab/threads.hpp>
#include <attnlab/train/seeding.hpp>
#include <attnlab/train/trainer.hpp>
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>

using namespace attnlab;

namespace {

std::unique_ptr<Task> make_task(const std::string& name, int symbols, int length) {
  return task_registry().create(
      name, {{"symbols", std::to_string(symbols)}, {"length", std::to_string(length)}}, {});
}

TransformerConfig lm_config(const Task& task) {
  TransformerConfig c;
  c.vocab_size = task.vocab_size();
  c.d_model = 32;
  c.heads = 4;
  c.ffn_dim = 64;
  c.decoder_layers = 2;
  return configure_for_task(c, task, ModelShape::decoder, {task.length()}, {});
}

std::vector<float> loss_curve(const Task& task, const TrainOptions& options) {
  Rng rng = seeded_rng(options.seed, "init");
  const TaskModel model(ModelShape::decoder, lm_config(task), rng);
  std::vector<float> losses;
  for (const TrainRecord& r : train(model, task, options)) losses.push_back(r.loss);
  return losses;
}

// The copy task, split like a corpus: its validation_task() is another
// object, which counts the batches drawn from it.
class TaskWithValidationPart final : public Task {
 public:
  TaskWithValidationPart(std::shared_ptr<int> validation_batches, bool is_validation_part)
      : copy_(make_task("copy", 6, 5)),
        validation_batches_(std::move(validation_batches)),
        is_validation_part_(is_validation_part) {}
  int64_t vocab_size() const override { return copy_->vocab_size(); }
  int64_t length() const override { return copy_->length(); }
  int64_t sequence_length(ModelShape shape, int64_t length) const override {
    return copy_->sequence_length(shape, length);
  }
  TaskBatch sample(ModelShape shape, int64_t batch, int64_t length, Rng& rng) const override {
    if (is_validation_part_) ++*validation_batches_;
    return copy_->sample(shape, batch, length, rng);
  }
  std::unique_ptr<Task> validation_task() const override {
    return std::make_unique<TaskWithValidationPart>(validation_batches_, true);
  }

 private:
  std::unique_ptr<Task> copy_;
  std::shared_ptr<int> validation_batches_;
  bool is_validation_part_;
};

}  // namespace

TEST_CASE("a tiny decoder-only model learns to copy and to reverse") {
  for (const char* name : {"copy", "reverse"}) {
    INFO("task " << name);
    const auto owned = make_task(name, 8, 6);
    const Task& task = *owned;
    TrainOptions options;
    options.steps = 300;
    options.eval_every = 0;
    Rng rng = seeded_rng(options.seed, "init");
    const TaskModel model(ModelShape::decoder, lm_config(task), rng);
    const auto history = train(model, task, options);
    REQUIRE(history.front().loss > 1.5f);  // starts near log(9)
    REQUIRE(history.back().eval.at(0).accuracy >= 0.99f);
  }
}

TEST_CASE("an encoder and an encoder-decoder learn the same tasks from the same trainer") {
  // Encoder: token classification (y_i at position i; reverse needs positions both ways).
  // Encoder-decoder: the decoder writes the answer while cross-attending to the input.
  const std::pair<ModelShape, const char*> cases[] = {{ModelShape::encoder, "reverse"},
                                                      {ModelShape::encoder_decoder, "copy"}};
  for (const auto& [shape, name] : cases) {
    INFO("task " << name << ", " << to_string(shape));
    const auto owned = make_task(name, 8, 6);
    TrainOptions options;
    options.steps = 250;
    options.eval_every = 0;
    Rng rng = seeded_rng(options.seed, "init");
    const TaskModel model(shape, configure_for_task(lm_config(*owned), *owned, shape, {6}, {}),
                          rng);
    const auto history = train(model, *owned, options);
    REQUIRE(history.front().loss > 1.5f);
    REQUIRE(history.back().eval.at(0).accuracy >= 0.99f);
  }
}

TEST_CASE("the constant schedule holds the peak after warm-up") {
  TrainOptions options;
  options.lr = 1.0f;
  options.warmup_steps = 10;
  options.steps = 100;
  options.schedule = LearningRateSchedule::constant;
  REQUIRE(learning_rate(options, 9) == Approx(1.0f));
  REQUIRE(learning_rate(options, 99) == Approx(1.0f));
  options.schedule = LearningRateSchedule::cosine;
  REQUIRE(learning_rate(options, 99) < 0.2f);
}

TEST_CASE("same seed and thread count give a bit-identical loss curve") {
  const auto owned = make_task("reverse", 6, 4);
  const Task& task = *owned;
  TrainOptions options;
  options.steps = 25;
  options.eval_every = 0;
  options.seed = 3;
  const auto first = loss_curve(task, options);
  const auto second = loss_curve(task, options);
  REQUIRE(first == second);  // exact equality: determinism, not closeness
  options.seed = 4;
  REQUIRE(loss_curve(task, options) != first);
}

namespace {

// The loss curve of `options` trained with `threads` threads (the count is restored).
std::vector<float> loss_curve_with(int threads, const Task& task, const TrainOptions& options) {
  const int before = thread_count();
  set_thread_count(threads);
  auto curve = loss_curve(task, options);
  set_thread_count(before);
  return curve;
}

}  // namespace

TEST_CASE("other thread counts agree to float rounding on the first steps") {
  const auto owned = make_task("reverse", 6, 4);
  TrainOptions options;
  options.steps = 3;
  options.eval_every = 0;
  const auto one = loss_curve_with(1, *owned, options);
  const auto two = loss_curve_with(2, *owned, options);
  for (std::size_t i = 0; i < one.size(); ++i) REQUIRE(one[i] == Approx(two[i]).margin(1e-5));
}

TEST_CASE("every thread count above one gives a bit-identical loss curve") {
  const auto owned = make_task("reverse", 6, 8);
  TrainOptions options;
  options.steps = 3;
  options.batch = 64;  // GEMMs of over 256 rows: split in blocks of rows over the pool
  options.eval_every = 0;
  // Exact: the blocks do not depend on how many threads share them.
  REQUIRE(loss_curve_with(2, *owned, options) == loss_curve_with(3, *owned, options));
}

namespace {

// The task it wraps, remembering every training batch it hands out.
class RecordingTask final : public Task {
 public:
  explicit RecordingTask(const Task& task) : task_(task) {}
  int64_t vocab_size() const override { return task_.vocab_size(); }
  int64_t length() const override { return task_.length(); }
  int64_t sequence_length(ModelShape shape, int64_t length) const override {
    return task_.sequence_length(shape, length);
  }
  TaskBatch sample(ModelShape shape, int64_t batch, int64_t length, Rng& rng) const override {
    TaskBatch drawn = task_.sample(shape, batch, length, rng);
    batches.push_back(drawn.target_input.ids);
    return drawn;
  }
  mutable std::vector<std::vector<int32_t>> batches;

 private:
  const Task& task_;
};

}  // namespace

TEST_CASE("adding dropout changes the updates but not the data order") {
  const auto owned = make_task("copy", 6, 4);
  TrainOptions options;
  options.steps = 20;
  options.eval_every = 0;
  std::vector<std::vector<float>> losses;
  std::vector<std::vector<std::vector<int32_t>>> batches;
  for (float dropout : {0.0f, 0.3f}) {
    RecordingTask task(*owned);
    TransformerConfig config = lm_config(task);
    config.dropout = dropout;
    Rng rng = seeded_rng(options.seed, "init");
    const TaskModel model(ModelShape::decoder, config, rng);
    std::vector<float> curve;
    for (const TrainRecord& r : train(model, task, options)) curve.push_back(r.loss);
    losses.push_back(curve);
    batches.push_back(task.batches);
  }
  REQUIRE(batches[0].size() >= static_cast<std::size_t>(options.steps));
  REQUIRE(batches[0] == batches[1]);                // the same examples in the same order
  REQUIRE(losses[0].front() != losses[1].front());  // dropout acted from the first step
}

TEST_CASE("the copy/reverse batches put the loss only on the answer") {
  const auto owned = make_task("reverse", 5, 3);
  const Task& task = *owned;
  Rng rng(1);
  const TaskBatch batch = task.sample(ModelShape::decoder, 2, 3, rng);
  REQUIRE(batch.target_input.shape() == Shape{2, 6});
  for (int64_t b = 0; b < 2; ++b) {
    const int32_t* ids = batch.target_input.ids.data() + b * 6;
    const int32_t* targets = batch.targets.data() + b * 6;
    REQUIRE(ids[3] == 5);  // the separator: one past the 5 symbols
    for (int p = 0; p < 3; ++p) REQUIRE(targets[p] == kIgnoreTarget);
    // After SEP the targets are x reversed: x3 x2 x1.
    REQUIRE(targets[3] == ids[2]);
    REQUIRE(targets[4] == ids[1]);
    REQUIRE(targets[5] == ids[0]);
  }
}

TEST_CASE("AdamW matches the closed form of its first step") {
  Tensor p = Tensor::from_values({2}, std::vector<float>{1.0f, -2.0f});
  p.requires_grad();
  ops::sum(ops::scale(p, 3.0f)).backward();  // gradient 3 everywhere
  AdamW optimizer({p},
                  AdamWOptions{.beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .weight_decay = 0.1f});
  optimizer.step(0.01f);
  // Step 1: m_hat = g, v_hat = g^2, so the update is lr * sign(g) after decay p *= 1 - lr * wd.
  REQUIRE(p.data()[0] == Approx(1.0f * (1 - 0.001f) - 0.01f).epsilon(1e-6));
  REQUIRE(p.data()[1] == Approx(-2.0f * (1 - 0.001f) - 0.01f).epsilon(1e-6));
}

TEST_CASE("gradient clipping bounds the global norm, the schedule warms up then decays") {
  Tensor a = Tensor::zeros({2});
  a.requires_grad();
  ops::sum(ops::scale(a, 3.0f)).backward();  // grad (3, 3), norm sqrt(18)
  REQUIRE(clip_gradient_norm({a}, 1.0f) == Approx(std::sqrt(18.0f)));
  REQUIRE(std::hypot(a.grad()[0], a.grad()[1]) == Approx(1.0f).epsilon(1e-5));

  const WarmupCosineSchedule s{1.0f, 10, 110, 0.1f};
  REQUIRE(s.at(0) == Approx(0.1f));
  REQUIRE(s.at(9) == Approx(1.0f));
  REQUIRE(s.at(60) == Approx(0.55f));
  REQUIRE(s.at(110) == Approx(0.1f));
  REQUIRE(s.at(500) == Approx(0.1f));
}

TEST_CASE("a diverging run stops with a clear error") {
  const auto owned = make_task("copy", 6, 4);
  const Task& task = *owned;
  TrainOptions options;
  options.steps = 3;
  options.lr = std::numeric_limits<float>::infinity();
  options.clip_norm = 0.0f;
  Rng rng(1);
  const TaskModel model(ModelShape::decoder, lm_config(task), rng);
  REQUIRE_THROWS_WITH(train(model, task, options), Catch::Matchers::Contains("training diverged"));

  // A model whose loss is not finite before any update did not diverge: a fault.
  const TaskModel broken(ModelShape::decoder, lm_config(task), rng);
  broken.module().parameters().front().data()[0] = std::numeric_limits<float>::quiet_NaN();
  options.lr = 1e-3f;
  REQUIRE_THROWS_WITH(train(broken, task, options),
                      Catch::Matchers::StartsWith("the loss of the untrained model is nan at "
                                                  "step 1") &&
                          !Catch::Matchers::Contains("training diverged"));
}

TEST_CASE("an evaluation with nothing scored gives NaN, not 0, the loss is a mean over targets") {
  // flip_flop with ignore_probability 1 never reads: nothing to score.
  const auto never =
      task_registry().create("flip_flop", {{"length", "6"}, {"ignore_probability", "1"}}, {});
  Rng init(1);
  const TaskModel model(ModelShape::decoder, lm_config(*never), init);
  const Evaluation none = evaluate(model, *never, 6, 2, 4, 0);
  REQUIRE(std::isnan(none.loss));
  REQUIRE(std::isnan(none.accuracy));
  REQUIRE(std::isnan(none.exact_match));
  // Batches with different numbers of reads: the loss is the mean over every scored
  // target, not the mean of the batch means.
  const auto some =
      task_registry().create("flip_flop", {{"length", "6"}, {"ignore_probability", "0.5"}}, {});
  const Evaluation both = evaluate(model, *some, 6, 2, 3, 7);
  Rng stream = seeded_rng(7, "eval-6");
  double sum = 0.0;
  int64_t scored = 0;
  for (int i = 0; i < 2; ++i) {
    const TaskBatch data = some->sample(ModelShape::decoder, 3, 6, stream);
    const auto count = std::count_if(data.targets.begin(), data.targets.end(),
                                     [](int32_t t) { return t != kIgnoreTarget; });
    if (count == 0) continue;
    sum += ops::cross_entropy(model.forward(data), data.targets, kIgnoreTarget).item() *
           static_cast<double>(count);
    scored += count;
  }
  REQUIRE(both.loss == Approx(sum / static_cast<double>(scored)).epsilon(1e-6));
  TrainOptions options;
  options.steps = 1;
  REQUIRE_THROWS_WITH(train(model, *never, options),
                      Catch::Contains("its parameters may never score"));
}

TEST_CASE("the validation evaluation draws examples of its own, never the test evaluation's") {
  const auto task = task_registry().create("copy", {{"length", "5"}, {"symbols", "6"}}, {});
  Rng init(3);
  const TaskModel model(ModelShape::decoder, lm_config(*task), init);
  const Evaluation test = evaluate(model, *task, 5, 2, 8, 11);
  const Evaluation validation = evaluate(model, *task, 5, 2, 8, 11, 0, kValidationSetting);
  REQUIRE(validation.setting == kValidationSetting);
  REQUIRE(validation.loss != test.loss);  // other examples, the same model
  Rng stream = seeded_rng(11, std::string("eval-setting-") + kValidationSetting);
  Rng test_stream = seeded_rng(11, "eval-5");
  const TaskBatch drawn = task->sample(ModelShape::decoder, 8, 5, stream);
  REQUIRE(drawn.targets != task->sample(ModelShape::decoder, 8, 5, test_stream).targets);
  // train() runs it at every evaluation when asked, at the training length.
  TrainOptions options;
  options.steps = 2;
  options.eval_every = 1;
  options.validation_batches = 1;
  const std::vector<TrainRecord> history = train(model, *task, options);
  for (const TrainRecord& record : history) {
    REQUIRE(record.eval.size() == 2);
    REQUIRE(record.eval.back().setting == kValidationSetting);
    REQUIRE(record.eval.back().length == 5);
  }
}

TEST_CASE("a task with a validation part of its own is validated on it, and only there") {
  const auto validation_batches = std::make_shared<int>(0);
  const TaskWithValidationPart task(validation_batches, false);
  Rng init(3);
  const TaskModel model(ModelShape::decoder, lm_config(task), init);
  TrainOptions options;
  options.steps = 3;
  options.eval_every = 1;
  options.eval_batches = 2;
  const auto evaluations = [&](int64_t validation) {
    options.validation_batches = validation;
    *validation_batches = 0;
    const std::vector<TrainRecord> history = train(model, task, options);
    REQUIRE(history.back().eval.size() == (validation > 0 ? 2 : 1));
    return *validation_batches;
  };
  REQUIRE(evaluations(0) == 0);      // neither training nor the test evaluation reads it
  REQUIRE(evaluations(3) == 3 * 3);  // 3 batches at each of 3 evaluations
}
