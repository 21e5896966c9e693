/*
 * Test helper for test/seccomp/kernel.test.ts: makes one raw system call
 * and prints its outcome, so a test can see exactly what a seccomp filter
 * did to it. Built static by the test into a temporary directory.
 *
 *   sys-helper sys NR [ARG...]     syscall(NR, ARG...) through the native ABI
 *   sys-helper int80 NR [ARG...]   the same through the i386 ABI (int $0x80), 5 args
 *
 * ARGs are unsigned 64-bit numbers (strtoull base 0). Prints "ret N" or
 * "errno N" and exits 0, unless the filter killed it first.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long int80(unsigned long nr, const unsigned long *a)
{
#if defined(__x86_64__)
	long ret;
	/* ebx, ecx, edx, esi, edi carry the arguments (ebp, a sixth, is not
	 * needed here). Old kernels zero r8-r15 on the way back: clobber them. */
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "0"(nr), "b"(a[0]), "c"(a[1]), "d"(a[2]), "S"(a[3]), "D"(a[4])
			 : "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "memory", "cc");
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
#else
	(void)nr;
	(void)a;
	errno = ENOSYS;
	return -1;
#endif
}

int main(int argc, char **argv)
{
	unsigned long a[6] = { 0 };
	if (argc < 3 || argc > 9 || (strcmp(argv[1], "sys") && strcmp(argv[1], "int80")) ||
	    (!strcmp(argv[1], "int80") && argc > 8)) {
		fprintf(stderr, "usage: %s sys|int80 NR [ARG...]\n", argv[0]);
		return 2;
	}
	unsigned long nr = strtoull(argv[2], NULL, 0);
	for (int i = 3; i < argc; i++)
		a[i - 3] = strtoull(argv[i], NULL, 0);
	long r;
	if (!strcmp(argv[1], "sys"))
		r = syscall((long)nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	else
		r = int80(nr, a);
	if (r == -1)
		printf("errno %d\n", errno);
	else
		printf("ret %ld\n", r);
	return 0;
}
