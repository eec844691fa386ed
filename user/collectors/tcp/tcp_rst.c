// SPDX-License-Identifier: GPL-2.0-only
/* Reset reasons by name (see tcp_rst.h): the kernel numbers them in enum sk_rst_reason, whose
 * values differ between releases, so the names come from the running kernel's BTF. */
#include "tcp_rst.h"

#include <bpf/btf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "export/prom.h"

#define RST_PREFIX "SK_RST_REASON_"

/* "SK_RST_REASON_TCP_STATE" -> "tcp_state" into out; false when it does not fit or is empty. */
static bool rst__label(const char *name, char *out, size_t size)
{
	size_t plen = strlen(RST_PREFIX), n;

	if (strncmp(name, RST_PREFIX, plen) == 0)
		name += plen;
	n = strlen(name);
	if (n == 0 || n >= size)
		return false;
	for (size_t i = 0; i <= n; i++) {
		char c = name[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		else if (c && !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			c = '_';
		out[i] = c;
	}
	return true;
}

int hp_tcp_rst_names__init(struct hp_tcp_rst_names *n, const struct btf *btf)
{
	const struct btf_type *t = NULL;
	const struct btf_enum *e;
	int id = btf ? btf__find_by_name_kind(btf, "sk_rst_reason", BTF_KIND_ENUM) : -ENOENT;

	for (unsigned int i = 0; i < HP_TCP_RST_REASONS; i++)
		snprintf(n->name[i], sizeof(n->name[i]), "reason_%u", i);
	snprintf(n->name[HP_TCP_RST_REASONS - 1], sizeof(n->name[0]), "other");
	if (id > 0)
		t = btf__type_by_id(btf, (__u32)id);
	if (!t) {
		snprintf(n->name[0], sizeof(n->name[0]), "unknown");
		return -ENOENT;
	}
	e = btf_enum(t);
	for (unsigned int i = 0; i < btf_vlen(t); i++) {
		const char *name = btf__name_by_offset(btf, e[i].name_off);

		if (!name || strcmp(name, RST_PREFIX "MAX") == 0 || e[i].val < 0 ||
		    e[i].val >= HP_TCP_RST_REASONS - 1)
			continue;
		if (!rst__label(name, n->name[e[i].val], sizeof(n->name[0])))
			snprintf(n->name[e[i].val], sizeof(n->name[0]), "reason_%d", e[i].val);
	}
	return 0;
}

void hp_tcp_rst__metrics(const struct hp_tcp_rst_names *n, const __u64 *counts, struct hp_buf *out)
{
	const char *family = "hostprof_tcp_resets_sent_by_reason_total";

	hp_prom__family(
	    out, family, HP_PROM_COUNTER,
	    "TCP resets the kernel sent (tcp_send_reset), host-wide, with or without a "
	    "socket (a segment to a closed port has none), by the kernel's reason (enum "
	    "sk_rst_reason from its BTF, lower case without SK_RST_REASON_; kernels "
	    "before 6.10 give none: reason=\"unknown\"). Reasons not seen are left out.");
	for (unsigned int i = 0; i < HP_TCP_RST_REASONS; i++) {
		struct hp_label l = { "reason", n->name[i] };

		if (counts[i])
			hp_prom__sample(out, family, &l, 1, (double)counts[i]);
	}
}
