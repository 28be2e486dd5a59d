/* LD_PRELOAD shim: a filesystem whose locks accept every call and enforce
 * nothing (as some FUSE mounts, or NFS with local-only locks seen from two
 * clients, do). flock always succeeds; fcntl's open-file-description locks
 * always succeed and F_OFD_GETLK always reports the byte free. Every other
 * call goes through. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/file.h>

int flock(int fd, int operation) {
  (void)fd;
  (void)operation;
  return 0;
}

static int pretend(int fd, int command, void* argument,
                   int (*real)(int, int, ...)) {
  if (command == F_OFD_SETLK || command == F_OFD_SETLKW || command == F_SETLK ||
      command == F_SETLKW)
    return 0;
  if (command == F_OFD_GETLK || command == F_GETLK) {
    ((struct flock*)argument)->l_type = F_UNLCK;
    return 0;
  }
  return real(fd, command, argument);
}

int fcntl(int fd, int command, ...) {
  va_list list;
  va_start(list, command);
  void* argument = va_arg(list, void*);
  va_end(list);
  return pretend(fd, command, argument, (int (*)(int, int, ...))dlsym(RTLD_NEXT, "fcntl"));
}

int fcntl64(int fd, int command, ...) {
  va_list list;
  va_start(list, command);
  void* argument = va_arg(list, void*);
  va_end(list);
  return pretend(fd, command, argument, (int (*)(int, int, ...))dlsym(RTLD_NEXT, "fcntl64"));
}
