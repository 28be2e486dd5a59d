// Packing a plan into a SLURM job array within the site's MaxArraySize, and the
// scripts and answers of SLURM's programs (pure functions; the real cluster is
// slurm_sweep.sh's).
#include <attnlab/cluster/slurm_job.hpp>
#include <attnlab/error.hpp>
#include <catch2/catch.hpp>

using namespace attnlab;
using Catch::Matchers::Contains;

TEST_CASE("trials are packed so the array never exceeds MaxArraySize") {
  // with neither flag: one wave per task, unless the limit asks for more
  CHECK(pack_trials(100, 0, 0, 1001, 1).tasks == 100);
  CHECK(pack_trials(100, 0, 0, 1001, 4).tasks == 25);
  const ArrayPacking packed = pack_trials(5000, 0, 0, 1001, 1);
  CHECK(packed.tasks <= 1000);
  CHECK(packed.tasks * packed.trials_per_task >= 5000);
  CHECK(pack_trials(450, 0, 0, 101, 1).trials_per_task == 5);  // 90 tasks: indices 1..90
  for (int64_t trials = 1; trials <= 300; trials += 7)
    for (int64_t limit : {2, 3, 10, 101, 1001})
      for (int64_t per_task : {0, 1, 3, 50}) {
        if (per_task > 0 && (trials + per_task - 1) / per_task > limit - 1) continue;
        const ArrayPacking p = pack_trials(trials, per_task, 0, limit, 2);
        INFO(trials << " trials, limit " << limit << ", per task " << per_task);
        CHECK(p.tasks >= 1);
        CHECK(p.tasks <= limit - 1);
        CHECK(p.tasks <= trials);
        CHECK(p.tasks * p.trials_per_task >= trials);       // every trial has a task
        CHECK((p.tasks - 1) * p.trials_per_task < trials);  // and no task is empty
      }
}

TEST_CASE("an array size or packing above the site's limit is refused, naming what fits") {
  CHECK_THROWS_WITH(pack_trials(2000, 0, 1500, 1001, 1),
                    Contains("--array-size 1500 is above the site's limit") &&
                        Contains("MaxArraySize 1001 allows at most 1000 tasks") &&
                        Contains("--trials-per-task 2"));
  CHECK_THROWS_WITH(pack_trials(2000, 1, 0, 1001, 1),
                    Contains("makes 2000 array tasks") && Contains("--trials-per-task 2 or more"));
  CHECK_THROWS_WITH(pack_trials(10, 2, 5, 1001, 1), Contains("not both"));
  CHECK_THROWS_AS(pack_trials(0, 0, 0, 1001, 1), ConfigError);
  CHECK(pack_trials(10, 0, 50, 1001, 1).tasks == 10);  // never more tasks than trials
}

TEST_CASE("MaxArraySize and job ids are read from what SLURM prints") {
  CHECK(max_array_size_from(
            "MailProg = /bin/mail\nMaxArraySize            = 1001\nMaxJobCount = 1") == 1001);
  CHECK_FALSE(max_array_size_from("MaxJobCount = 10000\n").has_value());
  CHECK(job_id_from_sbatch("1234\n") == "1234");
  CHECK(job_id_from_sbatch("77;cluster2\n") == "77");
  CHECK_THROWS_WITH(job_id_from_sbatch("sbatch: error: Batch job submission failed"),
                    Contains("where a job id was expected"));
}

namespace {

SlurmSweep sweep() {
  SlurmSweep s;
  s.program = "/opt/attnlab/bin/attnlab";
  s.experiment = "heads";
  s.output_dir = "/scratch/runs/heads";
  s.plan = "/scratch/runs/heads/plan.yaml";
  s.fingerprint = "0123456789abcdef";
  s.logs = "/scratch/runs/heads/slurm/logs";
  s.trials = 100;
  s.packing = {25, 4};
  s.request.cpus_per_task = 4;
  s.request.time = "1:00:00";
  s.request.partition = "short";
  s.request.sbatch_args = {"--qos=low"};
  return s;
}

}  // namespace

TEST_CASE("the array script runs share i of the plan, resumably, and the merge checks the plan") {
  const std::string array = array_script(sweep());
  CHECK_THAT(array, Contains("#SBATCH --array=1-25\n"));
  CHECK_THAT(array, Contains("#SBATCH --cpus-per-task=4\n"));
  CHECK_THAT(array, Contains("#SBATCH --output=/scratch/runs/heads/slurm/logs/array_%A_%a.out\n"));
  CHECK_THAT(array, Contains("#SBATCH --requeue\n"));
  CHECK_THAT(array, Contains("#SBATCH --time=1:00:00\n#SBATCH --partition=short\n"));
  CHECK_THAT(array, Contains("#SBATCH --qos=low\n"));
  CHECK_THAT(array, Contains("exec '/opt/attnlab/bin/attnlab' run '/scratch/runs/heads/plan.yaml' "
                             "--shard \"${SLURM_ARRAY_TASK_ID}/25\" --expect-plan 0123456789abcdef "
                             "--no-results\n"));
  const std::string merge = merge_script(sweep());
  CHECK_THAT(merge, Contains("merge '/scratch/runs/heads' --expect-plan 0123456789abcdef\n"));
  CHECK_THAT(merge, Contains("#SBATCH --time=1:00:00\n#SBATCH --partition=short\n"));
  CHECK_THAT(merge, Contains("#SBATCH --qos=low\n"));  // the site's own lines go to both jobs
  CHECK_THAT(merge, !Contains("--array"));
}

TEST_CASE("what a batch script cannot carry is refused before anything is written") {
  SlurmSweep spaced = sweep();
  spaced.output_dir = "/scratch/my runs/heads";
  CHECK_THROWS_WITH(check_scriptable(spaced),
                    Contains("the output directory '/scratch/my runs/heads'"));
  SlurmSweep owned = sweep();
  owned.request.sbatch_args = {"--array=1-3"};
  CHECK_THROWS_WITH(check_scriptable(owned), Contains("sets --array, which attnlab sets itself"));
  SlurmSweep two_lines = sweep();
  two_lines.request.sbatch_args = {"--qos=low\n#SBATCH --array=1"};
  CHECK_THROWS_WITH(check_scriptable(two_lines), Contains("without whitespace"));
  for (const char* sneaky : {"--arr=1-2", "-a1-2", "-o/tmp/elsewhere", "--dep=afterok:1", "-Jname",
                             "--job=x", "--comment=x --array=1-2", "--qos=a#b"}) {
    SlurmSweep s = sweep();
    s.request.sbatch_args = {sneaky};
    INFO(sneaky);
    CHECK_THROWS_AS(check_scriptable(s), ConfigError);
  }
  for (const char* fine :
       {"--qos=short", "--mail-type=END", "--constraint=avx512", "-q", "--acctg-freq=30"}) {
    SlurmSweep s = sweep();
    s.request.sbatch_args = {fine};
    INFO(fine);
    CHECK_NOTHROW(check_scriptable(s));
  }
  for (const char* path : {"/scratch/p%j", "/scratch/a#hash"}) {
    SlurmSweep s = sweep();
    s.output_dir = path;
    CHECK_THROWS_WITH(check_scriptable(s), Contains("'#' or '%'"));
  }
  SlurmSweep dollar = sweep();
  dollar.request.account = "$(rm -rf ~)";
  CHECK_THROWS_AS(check_scriptable(dollar), ConfigError);
  CHECK_NOTHROW(check_scriptable(sweep()));
}

TEST_CASE("a resubmission runs only the tasks whose shares hold unfinished trials") {
  CHECK(tasks_holding({3}, 3) == std::vector<int64_t>{1});
  CHECK(tasks_holding({0, 3, 4, 8, 9}, 5) == std::vector<int64_t>{1, 4, 5});
  CHECK(tasks_holding({}, 5).empty());
  CHECK(array_indices({1, 2, 3, 7, 9, 10}) == "1-3,7,9-10");
  CHECK(array_indices({4}) == "4");
  SlurmSweep some = sweep();
  some.tasks_to_run = {2, 3, 4, 20};
  const std::string script = array_script(some);
  CHECK_THAT(script, Contains("#SBATCH --array=2-4,20\n"));
  CHECK_THAT(script, Contains("runs tasks 2-4,20 only"));
  CHECK_THAT(script, Contains("--shard \"${SLURM_ARRAY_TASK_ID}/25\""));  // the shares stay
}

TEST_CASE("memory sizes given to --mem are read in SLURM's units") {
  CHECK(slurm_memory_bytes("4000") == 4000ull << 20);  // MiB without a unit
  CHECK(slurm_memory_bytes("4G") == 4ull << 30);
  CHECK(slurm_memory_bytes("512k") == 512ull << 10);
  CHECK(slurm_memory_bytes("2T") == 2ull << 40);
  CHECK_THROWS_WITH(slurm_memory_bytes("4GB"), Contains("--mem: found '4GB'"));
  CHECK_THROWS_AS(slurm_memory_bytes("-1"), ConfigError);
}
