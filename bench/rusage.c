/*
 * rusage CMD [ARGS...]: runs CMD, waits for it with wait4(2) and writes
 *   "<wall ns> <user us> <sys us> <maxrss KiB> <minor faults>\n"
 * to fd 3 (which CMD does not inherit), then exits with CMD's status
 * (128+signal when killed). bench.mjs reads fd 3 through a pipe.
 *
 * user+sys is the CPU time of CMD and of the children it waited for; a
 * container init that CMD leaves running is not in it. maxrss is the peak
 * RSS of CMD or of one of those children; minor faults are theirs too (each
 * first touch of a page, about 12 us on the VM of docs/bench.md "Session 10").
 * Built by bench/run.sh.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: rusage CMD [ARGS...]\n");
    return 2;
  }
  int out = fcntl(3, F_DUPFD_CLOEXEC, 10);
  if (out >= 0) close(3);
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  pid_t pid = fork();
  if (pid < 0) {
    perror("rusage: fork");
    return 125;
  }
  if (pid == 0) {
    execvp(argv[1], argv + 1);
    perror("rusage: exec");
    _exit(127);
  }
  int st;
  struct rusage ru;
  if (wait4(pid, &st, 0, &ru) < 0) {
    perror("rusage: wait4");
    return 125;
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  long long wall = (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
  if (out >= 0)
    dprintf(out, "%lld %lld %lld %ld %ld\n", wall, (long long)ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec,
            (long long)ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec, ru.ru_maxrss, ru.ru_minflt);
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  return 128 + WTERMSIG(st);
}
