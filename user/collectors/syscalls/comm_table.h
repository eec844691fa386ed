/* SPDX-License-Identifier: GPL-2.0-only */
/* Userspace accumulator for the per-process-name syscall breakdown: bounded in size, loses no
 * counts (keys past the bound fold into "other"), and picks the top-K names for export. */
#ifndef HOSTPROF_COMM_TABLE_H
#define HOSTPROF_COMM_TABLE_H

#include <stddef.h>
#include <linux/types.h>

#include "hp_syscalls.h"

/* Label value of the aggregate of every name outside the top K. */
#define HP_COMM_OTHER "other"

struct hp_comm_slot {
	char comm[HP_COMM_LEN];
	__u32 nr;
	__u32 used;
	struct hp_sc_comm_val v;
};

struct hp_comm_table {
	size_t max_entries; /* distinct (comm, nr) kept before folding into other */
	size_t n, cap;	    /* cap: power of two >= 2 * max_entries */
	struct hp_comm_slot *slots;
	struct hp_sc_comm_val other[HP_SC_KEYS]; /* folded keys, per syscall key */
	__u64 folded;				 /* events folded because the table was full */
};

/* One exported series: comm (or "other") and syscall with its totals. */
struct hp_comm_series {
	char comm[HP_COMM_LEN];
	__u32 nr;
	struct hp_sc_comm_val v;
};

int hp_comm_table__init(struct hp_comm_table *t, size_t max_entries);
void hp_comm_table__free(struct hp_comm_table *t);
void hp_comm_table__add(struct hp_comm_table *t, const char *comm, __u32 nr,
			const struct hp_sc_comm_val *v);
/*
 * Series for the top k names by total calls; every other name summed per syscall into "other".
 * Returns a malloc'ed array (caller frees) sorted by comm then nr, with *n entries; NULL on OOM.
 */
struct hp_comm_series *hp_comm_table__top(const struct hp_comm_table *t, unsigned int k, size_t *n);

#endif
