// `mpirun -n K attnlab run X.yaml`: one experiment across the K ranks of an MPI
// job (Boost.MPI). Rank 0 settles the output directory and hands out the
// trials to run, longest first, to whichever rank asks when a slot frees up;
// every rank runs its trials in its own worker processes and writes their files
// itself, so a rank that dies loses only the trials it was running; rank 0
// writes the results. Rerunning resumes as with one process (docs/cluster.md).
#include <fmt/format.h>
#include <mpi.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <boost/mpi.hpp>
#include <boost/serialization/string.hpp>

#include "../run_command.hpp"
#include "attnlab/error.hpp"
#include "attnlab/run/output_directory.hpp"
#include "attnlab/threads.hpp"

namespace mpi = boost::mpi;

namespace attnlab::cli {
namespace {

enum Tag : int { kAsk = 1, kGive = 2, kDone = 3, kStop = 4 };
constexpr int64_t kNoMore = -1;
constexpr int kRoot = 0;

// Runs `step` on every rank; if it throws on any, every rank stops: the ranks
// where it threw with their own error, the others with one naming how many did.
template <typename Step>
void on_every_rank(const mpi::communicator& world, const std::string& what, Step step) {
  std::string error;
  try {
    step();
  } catch (const std::exception& e) {
    error = e.what();
  }
  const int failed = mpi::all_reduce(world, error.empty() ? 0 : 1, std::plus<int>());
  if (!error.empty()) throw ConfigError(error);
  if (failed > 0)
    throw Error(fmt::format("{} failed on {} of the {} MPI ranks (their messages say why)", what,
                            failed, world.size()));
}

// The CPUs this rank may use: its own, shared with the ranks of its node whose
// affinity masks overlap it (mpirun binds ranks to cores up to the node's
// size, and to nothing when oversubscribed).
int cpus_for_rank(const mpi::communicator& world) {
  MPI_Comm shared;
  MPI_Comm_split_type(world, MPI_COMM_TYPE_SHARED, world.rank(), MPI_INFO_NULL, &shared);
  const mpi::communicator node(shared, mpi::comm_take_ownership);
  cpu_set_t mask;
  CPU_ZERO(&mask);
  sched_getaffinity(0, sizeof mask, &mask);
  const std::string mine(reinterpret_cast<const char*>(&mask), sizeof mask);
  std::vector<std::string> masks;
  mpi::all_gather(node, mine, masks);
  int sharing = 0;
  for (const std::string& other : masks) {
    cpu_set_t theirs, both;
    std::copy(other.begin(), other.end(), reinterpret_cast<char*>(&theirs));
    CPU_AND(&both, &mask, &theirs);
    sharing += CPU_COUNT(&both) > 0;
  }
  return std::max(1, available_cpus() / std::max(1, sharing));
}

// Rank 0's feed: its own next trial from the list, and the others' on request.
// A stop anywhere (--fail-fast, a full disk, a signal) ends the handing out
// and reaches every rank still running.
class HandingOut final : public TrialFeed {
 public:
  HandingOut(const mpi::communicator& world, std::vector<const Trial*> trials)
      : world_(world), list_(std::move(trials)), done_(static_cast<std::size_t>(world.size())) {}
  const Trial* next() override { return stopped_ ? nullptr : list_.next(); }
  bool serve() override {
    bool stopped_elsewhere = false;
    while (const auto stop = world_.iprobe(mpi::any_source, kStop)) {
      world_.recv(stop->source(), kStop);
      stopped_elsewhere = stopped_elsewhere || !stopped_;
      stopped_ = true;
    }
    while (const auto asked = world_.iprobe(mpi::any_source, kAsk)) {
      world_.recv(asked->source(), kAsk);
      const Trial* trial = next();
      world_.send(asked->source(), kGive, trial != nullptr ? trial->index : kNoMore);
    }
    if (stopped_ && !told_) {
      told_ = true;
      for (int rank = 1; rank < world_.size(); ++rank)
        if (!done_[static_cast<std::size_t>(rank)]) world_.send(rank, kStop);
    }
    return stopped_elsewhere;
  }
  void stopping(const std::string&) override { stopped_ = true; }
  // After rank 0's own trials: answers the others until each said it is done;
  // returns their failures, and whether any was interrupted.
  std::pair<int64_t, bool> wait_for_the_others() {
    int64_t failures = 0;
    bool interrupted = false;
    for (int done = 0; done < world_.size() - 1;) {
      serve();
      if (const auto finished = world_.iprobe(mpi::any_source, kDone)) {
        int64_t outcome = 0;
        world_.recv(finished->source(), kDone, outcome);
        done_[static_cast<std::size_t>(finished->source())] = true;
        failures += outcome / 2;
        interrupted = interrupted || outcome % 2 == 1;
        ++done;
        continue;
      }
      ::usleep(2000);
    }
    serve();  // a stop a rank sent before it said it is done
    return {failures, interrupted};
  }

 private:
  const mpi::communicator& world_;
  ListFeed list_;
  std::vector<bool> done_;  // ranks that said they are done
  bool stopped_ = false, told_ = false;
};

// Another rank's feed: asks rank 0 for each trial; hears and tells stops.
class Asking final : public TrialFeed {
 public:
  Asking(const mpi::communicator& world, const Experiment& experiment)
      : world_(world), experiment_(experiment) {}
  const Trial* next() override {
    if (over_) return nullptr;
    world_.send(kRoot, kAsk);
    while (!world_.iprobe(kRoot, kGive)) ::usleep(1000);  // without spinning a core
    int64_t index = kNoMore;
    world_.recv(kRoot, kGive, index);
    over_ = index == kNoMore;
    return over_ ? nullptr : &experiment_.trials.at(static_cast<std::size_t>(index));
  }
  bool serve() override { return take_stop(); }
  void stopping(const std::string&) override {
    if (!stop_heard_ && !stop_told_) world_.send(kRoot, kStop);
    stop_told_ = true;
    over_ = true;
  }
  // A stop rank 0 sent: taken (also after the run, so that none is left unread).
  bool take_stop() {
    if (!world_.iprobe(kRoot, kStop)) return false;
    world_.recv(kRoot, kStop);
    stop_heard_ = true;
    over_ = true;
    return true;
  }

 private:
  const mpi::communicator& world_;
  const Experiment& experiment_;
  bool over_ = false, stop_heard_ = false, stop_told_ = false;
};

// Runs `work`; an error is said on stderr and counts as a failure of the run,
// so that the rank still takes part in what the ranks do together afterwards.
template <typename Work>
bool said_if_it_fails(Work work) {
  try {
    work();
    return true;
  } catch (const std::exception& e) {
    fmt::print(stderr, "attnlab: error: {}\n", e.what());
    return false;
  }
}

}  // namespace

int run_across_ranks(const ExperimentArguments& parsed, const RunOptions& options, int64_t share,
                     int64_t shares) {
  // Not aborting on an exception: the message of an error must reach the user.
  const mpi::environment environment(mpi::threading::single, false);
  const mpi::communicator world;
  const bool root = world.rank() == kRoot;
  Experiment experiment;
  on_every_rank(world, "loading the experiment", [&] {
    experiment = load(parsed);
    refuse_other_plan(experiment, options.expected_plan);
  });
  const OutputLayout layout(experiment.output_dir);
  std::unique_ptr<RunLock> lock;  // rank 0 settles the directory before the others join it
  on_every_rank(world, "preparing the output directory", [&] {
    if (root) lock = prepare_output_directory(experiment, layout, options.force);
  });
  on_every_rank(world, "joining the output directory", [&] {
    if (!root) lock = prepare_output_directory(experiment, layout, false);
  });
  std::vector<const Trial*> every;
  for (const Trial& trial : experiment.trials) every.push_back(&trial);
  const int jobs = options.jobs > 0 ? options.jobs : default_jobs(cpus_for_rank(world), every);
  TrialSelection selection;
  on_every_rank(world, "choosing the trials to run", [&] {
    if (!root) return;
    selection = select_trials_to_run(experiment, layout, share, shares, [](const std::string& w) {
      fmt::print(stderr, "attnlab: warning: {}\n", w);
    });
    std::stable_sort(
        selection.to_run.begin(), selection.to_run.end(),
        [](const Trial* a, const Trial* b) { return estimated_work(*a) > estimated_work(*b); });
  });
  if (root && !options.quiet) {
    announce(experiment, layout, selection, share, shares, jobs);
    fmt::print(
        "across {} MPI ranks (-j {} on rank 0: its share of its node's CPUs), longest trials "
        "first\n",
        world.size(), jobs);
    std::fflush(stdout);
  }
  int64_t to_run = static_cast<int64_t>(selection.to_run.size());
  mpi::broadcast(world, to_run, kRoot);

  install_stop_handlers();
  int64_t failures = 0;
  bool interrupted = false;
  {
    // Lines, never a block redrawn in place: the launcher interleaves every rank's output.
    ProgressDisplay display(
        options.quiet ? ProgressDisplay::Mode::quiet : ProgressDisplay::Mode::lines,
        options.verbose, to_run, jobs);
    TrialScheduler scheduler(experiment, layout, options.scheduling, display, *lock);
    HandingOut handing_out(world, selection.to_run);
    Asking asking(world, experiment);
    TrialFeed& feed = root ? static_cast<TrialFeed&>(handing_out) : asking;
    if (!said_if_it_fails([&] { failures = scheduler.run(feed, jobs); })) {
      feed.stopping("an error");
      ++failures;
    }
    interrupted = scheduler.interrupted();
    if (!root) {
      world.send(kRoot, kDone, failures * 2 + (interrupted ? 1 : 0));
    } else {
      const auto [their_failures, they_were_interrupted] = handing_out.wait_for_the_others();
      failures += their_failures;
      interrupted = interrupted || they_were_interrupted;
    }
    int code = 1;
    if (root)
      said_if_it_fails([&] {
        code = finish_run(experiment, layout, options, share, shares, selection.selected, failures,
                          interrupted);
      });
    mpi::broadcast(world, code, kRoot);
    if (!root) asking.take_stop();  // one sent as this rank finished stays unread otherwise
    return code;
  }
}

}  // namespace attnlab::cli
