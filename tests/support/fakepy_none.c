/* SPDX-License-Identifier: MIT */
/* A process that is not Python at all: prints "ready" and sleeps. */
#include <stdio.h>
#include <unistd.h>

int
main(void)
{
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
