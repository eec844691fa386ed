// SPDX-License-Identifier: GPL-2.0-only
/* The BPF program barrier of bpf_sync.h: two tiny maps and one update per wait. */
#include "bpf_sync.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <unistd.h>

int hp_bpf_sync__open(struct hp_bpf_sync *s)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	int err;

	s->outer_fd = -1;
	s->inner_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "hp_sync_inner", 4, 4, 1, NULL);
	if (s->inner_fd < 0)
		return -errno;
	opts.inner_map_fd = s->inner_fd;
	s->outer_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "hp_sync", 4, 4, 1, &opts);
	if (s->outer_fd < 0) {
		err = -errno;
		hp_bpf_sync__close(s);
		return err;
	}
	return 0;
}

int hp_bpf_sync__wait(const struct hp_bpf_sync *s)
{
	__u32 key = 0;

	if (s->outer_fd < 0)
		return -EBADF;
	return bpf_map_update_elem(s->outer_fd, &key, &s->inner_fd, BPF_ANY) ? -errno : 0;
}

void hp_bpf_sync__close(struct hp_bpf_sync *s)
{
	if (s->outer_fd >= 0)
		close(s->outer_fd);
	if (s->inner_fd >= 0)
		close(s->inner_fd);
	s->outer_fd = -1;
	s->inner_fd = -1;
}
