/*
 * tsrun-pause: the process of a Kubernetes pod sandbox (the tests' CRI
 * sandbox image). It holds the pod's namespaces and does nothing else: it
 * sleeps, reaps the orphans the pod's pid namespace hands it (it is pid 1
 * there), and exits 0 on SIGTERM or SIGINT (pid 1 gets no default action).
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void quit(int sig)
{
	(void)sig;
	_exit(0);
}

static void reap(int sig)
{
	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

int main(void)
{
	struct sigaction q = { .sa_handler = quit }, r = { .sa_handler = reap, .sa_flags = SA_NOCLDSTOP | SA_RESTART };
	if (sigaction(SIGTERM, &q, NULL) || sigaction(SIGINT, &q, NULL) || sigaction(SIGCHLD, &r, NULL))
		return 1;
	for (;;)
		pause();
}
