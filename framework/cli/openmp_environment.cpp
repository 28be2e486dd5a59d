// oneDNN runs on GNU OpenMP, whose library binds the loading process to the
// first of its places when OMP_PROC_BIND, OMP_PLACES or GOMP_CPU_AFFINITY ask
// it to (common settings on clusters): attnlab would then see one CPU, start
// its threads and its trial workers there, and never say so. attnlab calls
// oneDNN one thread at a time from its own pool and runs no OpenMP region, so
// these variables can only do harm here. They are taken out of the environment
// before any library is initialised: the main program's .preinit_array runs
// before every shared library's constructor. This early, the C library's
// environment functions are not ready (unsetenv changes nothing libgomp then
// reads), so the environment array the program started with is compacted in
// place. Trial workers, started from this process, inherit what is left.
#include <cstring>
#include <initializer_list>

namespace {

bool binds_openmp_threads(const char* entry) {
  for (const char* name : {"OMP_PROC_BIND=", "OMP_PLACES=", "GOMP_CPU_AFFINITY="})
    if (std::strncmp(entry, name, std::strlen(name)) == 0) return true;
  return false;
}

void drop_openmp_binding(int, char**, char** environment) {
  if (environment == nullptr) return;
  char** kept = environment;
  for (char** entry = environment; *entry != nullptr; ++entry)
    if (!binds_openmp_threads(*entry)) *kept++ = *entry;
  *kept = nullptr;
}

}  // namespace

__attribute__((section(".preinit_array"),
               used)) static void (*const drop_binding_first)(int, char**,
                                                              char**) = drop_openmp_binding;
