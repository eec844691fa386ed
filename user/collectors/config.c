// SPDX-License-Identifier: GPL-2.0-only
/* Defaults of struct hp_config (config.h) and where each collector's option values live in it,
 * next to the registry that decides which collectors exist. */
#include "config.h"

#include <string.h>

#include "collector.h"

static int config__index(const struct hp_collector_ops *ops)
{
	for (int i = 0; hp_collectors_all[i] && i < HP_MAX_COLLECTORS; i++)
		if (hp_collectors_all[i] == ops)
			return i;
	return -1;
}

void *hp_config__collector_mut(struct hp_config *cfg, const struct hp_collector_ops *ops)
{
	int i = config__index(ops);

	return i < 0 ? NULL : cfg->collector[i].bytes;
}

const void *hp_config__collector(const struct hp_config *cfg, const struct hp_collector_ops *ops)
{
	return hp_config__collector_mut((struct hp_config *)cfg, ops);
}

void hp_config__defaults(struct hp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->attach_mode = HP_ATTACH_AUTO;
	cfg->tick_seconds = 1.0;
	for (int i = 0; hp_collectors_all[i] && i < HP_MAX_COLLECTORS; i++) {
		const struct hp_collector_ops *ops = hp_collectors_all[i];

		if (!ops->opt_in)
			cfg->collectors[cfg->ncollectors++] = ops->name;
		hp_option__defaults(ops->options, cfg->collector[i].bytes);
	}
}
