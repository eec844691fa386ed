/* SPDX-License-Identifier: GPL-2.0-only */
/* Reads a whole file (procfs, sysfs, perf maps) into memory: proc files report size 0, so they
 * must be read until EOF rather than sized with fstat. */
#ifndef HOSTPROF_READFILE_H
#define HOSTPROF_READFILE_H

#include <stddef.h>

/* The content, NUL-terminated (caller frees), *len without the NUL. NULL + errno on failure;
 * EFBIG if the file is longer than max bytes. */
char *hp_readfile__fd(int fd, size_t max, size_t *len);
/* For files the kernel makes (procfs, sysfs): opens path through hp_safe_open__fd with
 * kernel_file (non-blocking, regular files only, last component no symlink), then as
 * hp_readfile__fd. Files other processes control go through hp_safe_open__fd without it. */
char *hp_readfile__path(const char *path, size_t max, size_t *len);

#endif
