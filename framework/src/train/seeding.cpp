#include "attnlab/train/seeding.hpp"

namespace attnlab {
namespace {

// SplitMix64 finaliser: spreads nearby seeds across the whole 64-bit space.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

Rng seeded_rng(uint64_t seed, std::string_view purpose) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a of the purpose
  for (char c : purpose) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  return Rng(mix(seed ^ mix(h)));
}

}  // namespace attnlab
