/* LD_PRELOAD shim for the failed-write tests: fails exactly one write to a file
 * whose path contains $ATTNLAB_FAIL_WRITE_MATCH, the $ATTNLAB_FAIL_WRITE_AT-th
 * such write (1-based; 0 fails none), with ENOSPC, as a full disk would; every
 * other write goes through. At exit the number of matching writes is written to
 * $ATTNLAB_FAIL_WRITE_COUNT (if set), so a test can inject at every one in turn.
 * write, pwrite and pwrite64 are covered: HDF5's default driver uses pwrite. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static long matching_writes = 0;

static int path_matches(int fd) {
  const char* wanted = getenv("ATTNLAB_FAIL_WRITE_MATCH");
  if (wanted == NULL || *wanted == '\0') return 0;
  char link[64], target[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t length = readlink(link, target, sizeof target - 1);
  if (length <= 0) return 0;
  target[length] = '\0';
  return strstr(target, wanted) != NULL;
}

/* Whether this write is the one to fail. */
static int fail_this(int fd) {
  if (!path_matches(fd)) return 0;
  ++matching_writes;
  const char* at = getenv("ATTNLAB_FAIL_WRITE_AT");
  return at != NULL && atol(at) == matching_writes;
}

__attribute__((destructor)) static void report_count(void) {
  const char* path = getenv("ATTNLAB_FAIL_WRITE_COUNT");
  if (path == NULL) return;
  FILE* out = fopen(path, "w");
  if (out == NULL) return;
  fprintf(out, "%ld\n", matching_writes);
  fclose(out);
}

ssize_t write(int fd, const void* data, size_t size) {
  static ssize_t (*real)(int, const void*, size_t) = NULL;
  if (real == NULL) real = (ssize_t(*)(int, const void*, size_t))dlsym(RTLD_NEXT, "write");
  if (fail_this(fd)) {
    errno = ENOSPC;
    return -1;
  }
  return real(fd, data, size);
}

ssize_t pwrite(int fd, const void* data, size_t size, off_t offset) {
  static ssize_t (*real)(int, const void*, size_t, off_t) = NULL;
  if (real == NULL) real = (ssize_t(*)(int, const void*, size_t, off_t))dlsym(RTLD_NEXT, "pwrite");
  if (fail_this(fd)) {
    errno = ENOSPC;
    return -1;
  }
  return real(fd, data, size, offset);
}

ssize_t pwrite64(int fd, const void* data, size_t size, off64_t offset) {
  static ssize_t (*real)(int, const void*, size_t, off64_t) = NULL;
  if (real == NULL)
    real = (ssize_t(*)(int, const void*, size_t, off64_t))dlsym(RTLD_NEXT, "pwrite64");
  if (fail_this(fd)) {
    errno = ENOSPC;
    return -1;
  }
  return real(fd, data, size, offset);
}
