// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target for the kallsyms/modules parser: the input is split at the first NUL into a
 * /proc/kallsyms and a /proc/modules text, written to a scratch proc root and loaded. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbolize/kallsyms.h"

static char fuzz_root[64];

static int fuzz__put(const char *name, const uint8_t *data, size_t size)
{
	char path[128];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", fuzz_root, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	n = fwrite(data, 1, size, f);
	return fclose(f) == 0 && n == size ? 0 : -1;
}

/* The scratch proc root is removed when the fuzzer exits (not after a crash: it stays as
 * evidence next to the crash input). */
static void fuzz__cleanup(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/kallsyms", fuzz_root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/modules", fuzz_root);
	unlink(path);
	rmdir(fuzz_root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sep = memchr(data, '\0', size);
	size_t ksize = sep ? (size_t)(sep - data) : size;
	struct hp_kallsyms *k;
	struct hp_ksym sym;

	if (!fuzz_root[0]) {
		strcpy(fuzz_root, "/tmp/hostprof-fuzz-kallsyms-XXXXXX");
		if (!mkdtemp(fuzz_root))
			abort();
		atexit(fuzz__cleanup);
	}
	if (fuzz__put("kallsyms", data, ksize) ||
	    fuzz__put("modules", sep ? sep + 1 : data, sep ? size - ksize - 1 : 0))
		abort();
	k = hp_kallsyms__load(fuzz_root, NULL);
	if (!k)
		return 0;
	(void)hp_kallsyms__modules_sig(k);
	for (size_t i = 0; i + 8 <= size && i < 512; i += 8) {
		uint64_t addr;

		memcpy(&addr, data + i, 8);
		if (hp_kallsyms__lookup(k, addr, &sym) == 0 && (!sym.name || !sym.module))
			__builtin_trap();
	}
	(void)hp_kallsyms__lookup(k, 0, &sym);
	(void)hp_kallsyms__lookup(k, UINT64_MAX, &sym);
	hp_kallsyms__free(k);
	return 0;
}
