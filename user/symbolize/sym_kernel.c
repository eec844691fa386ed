// SPDX-License-Identifier: GPL-2.0-only
/* The kernel side of the symbolizer: kallsyms loaded on first use (outside the lock, it takes
 * ~100 ms), re-read when /proc/modules changes, and kernel addresses resolved against it. */
#include <errno.h>
#include <stdlib.h>

#include "demangle.h"
#include "kallsyms.h"
#include "sym_internal.h"

/* Reads kallsyms without holding the lock (it takes ~100 ms), then installs it. */
static int kernel__load(struct hp_symbolizer *s)
{
	struct hp_kallsyms *k = hp_kallsyms__load(s->proc_root, s->default_proc ? "/sys" : NULL);
	int err = k ? 0 : -errno;

	pthread_mutex_lock(&s->lock);
	if (k) {
		hp_kallsyms__free(s->ksyms);
		s->ksyms = k;
	}
	s->kernel_err = err;
	s->kernel_tried_ns = hp_sym__now_ns();
	hp_sym__unlock(s);
	return err;
}

int hp_symbolizer__refresh_kernel(struct hp_symbolizer *s)
{
	uint64_t sig = hp_kallsyms__read_modules_sig(s->proc_root);
	bool fresh;

	pthread_mutex_lock(&s->lock);
	fresh = s->ksyms && hp_kallsyms__modules_sig(s->ksyms) == sig;
	hp_sym__unlock(s);
	return fresh ? 0 : kernel__load(s);
}

/* Fills out from kallsyms entry k for addr; called with the lock held. */
static void kernel__fill(struct hp_symbolizer *s, const struct hp_ksym *k, uint64_t addr,
			 struct hp_sym *out)
{
	hp_sym__copy(out->module, sizeof(out->module), k->module);
	hp_sym__copy(out->build_id, sizeof(out->build_id), k->build_id);
	out->map_start = k->base;
	out->map_limit = k->limit;
	out->offset = addr - k->base;
	if (k->name[0]) {
		char *d = hp_demangle__name(k->name); /* Rust for Linux symbols */

		hp_sym__set_names(out, d ? d : k->name, k->name);
		free(d);
	} else {
		s->stats.unresolved++;
	}
}

int hp_symbolizer__kernel(struct hp_symbolizer *s, uint64_t addr, struct hp_sym *out)
{
	struct hp_ksym k;
	int err;

	hp_sym__clear(out);
	out->kernel = true;
	pthread_mutex_lock(&s->lock);
	if (!s->ksyms) {
		bool retry = !s->kernel_tried_ns ||
			     hp_sym__now_ns() - s->kernel_tried_ns >= SYM_KERNEL_RETRY_NS;

		err = s->kernel_err;
		hp_sym__unlock(s);
		if (!retry)
			return err;
		err = kernel__load(s);
		if (err)
			return err;
		pthread_mutex_lock(&s->lock);
	}
	err = hp_kallsyms__lookup(s->ksyms, addr, &k);
	if (err)
		s->stats.unmapped++;
	else
		kernel__fill(s, &k, addr, out);
	hp_sym__unlock(s);
	return err;
}
