#include <attnlab/error.hpp>
#include <attnlab/ops.hpp>
#include <attnlab/tensor.hpp>
#include <attnlab/tensor_memory.hpp>
#include <catch2/catch.hpp>

using namespace attnlab;

TEST_CASE("tensors are row-major and report their shape") {
  const Tensor t = Tensor::from_values({2, 3}, std::vector<float>{0, 1, 2, 3, 4, 5});
  REQUIRE(t.rank() == 2);
  REQUIRE(t.size(-1) == 3);
  REQUIRE(t.numel() == 6);
  REQUIRE(t.data()[1 * 3 + 2] == 5.0f);
  REQUIRE(shape_string(t.shape()) == "[2, 3]");
  REQUIRE_THROWS_AS(t.size(2), ShapeError);
  REQUIRE_THROWS_AS(Tensor::from_values({2, 2}, std::vector<float>{1, 2, 3}), ShapeError);
}

TEST_CASE("backward accumulates through shared subexpressions") {
  Tensor x = Tensor::from_values({2}, std::vector<float>{3, -2});
  x.requires_grad();
  // y = x*x + x  -> dy/dx = 2x + 1
  ops::sum(ops::add(ops::mul(x, x), x)).backward();
  REQUIRE(x.grad()[0] == Approx(7.0f));
  REQUIRE(x.grad()[1] == Approx(-3.0f));
  // A second backward adds to the first; zero_grad resets.
  ops::sum(x).backward();
  REQUIRE(x.grad()[0] == Approx(8.0f));
  x.zero_grad();
  REQUIRE(x.grad()[0] == 0.0f);
}

TEST_CASE("no graph is recorded under NoGradGuard") {
  Tensor x = Tensor::full({3}, 1.0f);
  x.requires_grad();
  {
    NoGradGuard guard;
    REQUIRE_FALSE(grad_mode_enabled());
    const Tensor y = ops::scale(x, 2.0f);
    REQUIRE_FALSE(y.needs_grad());
  }
  REQUIRE(grad_mode_enabled());
  REQUIRE(ops::scale(x, 2.0f).needs_grad());
}

TEST_CASE("backward refuses a non-scalar or a constant loss") {
  Tensor x = Tensor::full({3}, 1.0f);
  x.requires_grad();
  REQUIRE_THROWS_AS(ops::scale(x, 2.0f).backward(), ShapeError);
  Tensor constant = Tensor::full({}, 1.0f);
  REQUIRE_THROWS_AS(constant.backward(), Error);
}

TEST_CASE("detach shares values but stops gradients") {
  Tensor x = Tensor::full({2}, 2.0f);
  x.requires_grad();
  const Tensor d = ops::scale(x, 3.0f).detach();
  REQUIRE_FALSE(d.needs_grad());
  REQUIRE(d.to_vector() == std::vector<float>{6.0f, 6.0f});
}

TEST_CASE("a graph can be swept once: a second backward through it is refused") {
  Tensor w = Tensor::full({2}, 1.0f);
  w.requires_grad();
  const Tensor h = ops::mul(w, w);
  Tensor first = ops::sum(h);
  Tensor second = ops::sum(ops::scale(h, 3.0f));
  first.backward();
  REQUIRE_THROWS_WITH(second.backward(), Catch::Matchers::Contains("already freed"));
  REQUIRE_THROWS_WITH(first.backward(), Catch::Matchers::Contains("already freed"));
  // The supported way: one backward of the summed losses.
  w.zero_grad();
  const Tensor h2 = ops::mul(w, w);
  ops::add(ops::sum(h2), ops::sum(ops::scale(h2, 3.0f))).backward();
  REQUIRE(w.grad()[0] == Approx(8.0f));
}

TEST_CASE("a gradient switched off between forward and backward is skipped, not a crash") {
  Tensor frozen = Tensor::full({3}, 2.0f);
  frozen.requires_grad();
  Tensor trained = Tensor::full({3}, 1.0f);
  trained.requires_grad();
  Tensor loss = ops::sum(ops::mul(ops::relu(ops::reshape(frozen, {3})), trained));
  frozen.requires_grad(false);
  loss.backward();
  REQUIRE_FALSE(frozen.has_grad());
  REQUIRE(trained.grad()[0] == Approx(2.0f));
}

TEST_CASE("tensor memory counts what tensors hold now, at most, and what is parked for reuse") {
  const TensorMemory start = tensor_memory();
  constexpr int64_t kFloats = 12345;  // a size no other tensor here has
  constexpr int64_t kBytes = kFloats * 4;
  {
    const Tensor held = Tensor::zeros({kFloats});
    const TensorMemory holding = tensor_memory();
    REQUIRE(holding.live_bytes == start.live_bytes + kBytes);
    REQUIRE(holding.peak_live_bytes >= holding.live_bytes);
  }
  const TensorMemory released = tensor_memory();
  REQUIRE(released.live_bytes == start.live_bytes);
  REQUIRE(released.parked_bytes == start.parked_bytes + kBytes);
  REQUIRE(released.peak_live_bytes >= start.live_bytes + kBytes);
  const Tensor again = Tensor::zeros({kFloats});  // takes the parked buffer back
  REQUIRE(tensor_memory().parked_bytes == start.parked_bytes);
}
