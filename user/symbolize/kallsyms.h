/* SPDX-License-Identifier: GPL-2.0-only */
/* Kernel symbol table from /proc/kallsyms (core kernel, modules, BPF programs), with module load
 * addresses from /proc/modules, as sorted arrays searched by address. */
#ifndef HOSTPROF_KALLSYMS_H
#define HOSTPROF_KALLSYMS_H

#include <stdint.h>

struct hp_kallsyms;

struct hp_ksym {
	const char *name;     /* "" when the address is in a module but no symbol covers it */
	const char *module;   /* "[kernel.kallsyms]", "[ext4]", "[bpf]" */
	const char *build_id; /* lowercase hex, "" if unknown */
	uint64_t sym_start;   /* 0 when name is "" */
	uint64_t base, limit; /* module range: _text.._etext or /proc/modules; 0 if unknown */
};

/* Reads <proc_root>/kallsyms and <proc_root>/modules; build-ids come from <sys_root>/kernel/notes
 * and <sys_root>/module/NAME/notes (sys_root NULL: none). NULL + errno (EPERM: addresses hidden
 * by kptr_restrict). */
struct hp_kallsyms *hp_kallsyms__load(const char *proc_root, const char *sys_root);
void hp_kallsyms__free(struct hp_kallsyms *k);
/* 0, or -ENOENT if addr is in no known symbol, module or kernel text. */
int hp_kallsyms__lookup(const struct hp_kallsyms *k, uint64_t addr, struct hp_ksym *out);
uint64_t hp_kallsyms__modules_sig(const struct hp_kallsyms *k);
/* Signature of <proc_root>/modules (names and load addresses; reference counts ignored); 0 when
 * the kernel has no module support. */
uint64_t hp_kallsyms__read_modules_sig(const char *proc_root);

#endif
