// SPDX-License-Identifier: GPL-2.0-only
/* Moves its own text onto anonymous memory (copy, then mremap over the original range, as HHVM
 * and BOLT-optimised binaries do for huge pages) and then burns CPU in a known function: the
 * code runs from [anon] memory that still belongs to this file. */
#include <limits.h>
#include <string.h>
#include <sys/mman.h>

#include "wl.h"

__attribute__((noinline)) uint64_t anontext_hot(uint64_t n)
{
	volatile uint64_t acc = 0;

	for (uint64_t i = 0; i < n; i++)
		acc += i ^ (i >> 3);
	return acc;
}

/* The executable mapping of our own file: [*start, *end). 0 on success. */
static int text_range(uintptr_t *start, uintptr_t *end, int *file_mappings)
{
	char exe[PATH_MAX], line[PATH_MAX + 128];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	FILE *f = fopen("/proc/self/maps", "r");
	int found = -1;

	if (n <= 0 || !f)
		return -1;
	exe[n] = '\0';
	*file_mappings = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;
		char perms[8];
		int pos = 0;

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &s, &e, perms, &pos) < 3 || !pos)
			continue;
		if (strcmp(line + pos, exe) != 0)
			continue;
		++*file_mappings;
		if (perms[2] == 'x') {
			*start = s;
			*end = e;
			found = 0;
		}
	}
	fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 3;
	uintptr_t start, end;
	uint64_t t0, sum = 0;
	int before, after;
	size_t size;
	void *copy;

	if (text_range(&start, &end, &before)) {
		fprintf(stderr, "anontext: no executable mapping of our own file\n");
		return 1;
	}
	size = end - start;
	copy = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (copy == MAP_FAILED)
		return 1;
	madvise(copy, size, MADV_HUGEPAGE); /* best effort, as the real programs do */
	memcpy(copy, (void *)start, size);
	if (mprotect(copy, size, PROT_READ | PROT_EXEC) ||
	    mremap(copy, size, size, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)start) == MAP_FAILED) {
		perror("anontext: moving the text");
		return 1;
	}
	/* now running from anonymous memory: our file has no executable mapping left */
	if (text_range(&start, &end, &after) == 0 || after != before - 1) {
		fprintf(stderr, "anontext: text still file-backed after mremap\n");
		return 1;
	}
	wl_ready();
	t0 = wl_cpu_ns();
	while (wl_cpu_ns() - t0 < seconds * 1e9)
		sum += anontext_hot(1000000);
	printf("{\"pid\": %d, \"cpu_ns\": %llu, \"text_start\": %llu, \"text_end\": %llu, "
	       "\"sum\": %llu}\n",
	       (int)getpid(), (unsigned long long)wl_cpu_ns(), (unsigned long long)start,
	       (unsigned long long)end, (unsigned long long)sum);
	return 0;
}
