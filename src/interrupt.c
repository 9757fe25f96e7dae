#include "interrupt.h"

#include <signal.h>
#include <string.h>

/* See interrupt.h: the only state a handler may share with the program. */
static volatile sig_atomic_t caught;

static const int watched[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };

static void on_signal(int sig)
{
	if (!caught)
		caught = sig;
}

void interrupt_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	for (size_t i = 0; i < sizeof watched / sizeof *watched; i++)
		sigaction(watched[i], &sa, NULL);
}

int interrupt_caught(void)
{
	return caught;
}

void interrupt_exit(void)
{
	int sig = caught;
	if (!sig)
		return;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
}
