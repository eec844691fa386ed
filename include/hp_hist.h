/* SPDX-License-Identifier: GPL-2.0-only */
/* Log2 latency histogram layout shared by the BPF programs and userspace, so both sides agree on
 * which bucket a nanosecond value lands in without any translation table. */
#ifndef HOSTPROF_HP_HIST_H
#define HOSTPROF_HP_HIST_H

/*
 * Bucket i (0 <= i < HP_HIST_BUCKETS - 1) counts values v with 2^(S+i-1) < v <= 2^(S+i) ns, where
 * S = HP_HIST_MIN_SHIFT (bucket 0 has no lower bound). Upper bounds are inclusive, exactly like a
 * Prometheus "le" bucket. The last bucket is the overflow: v > 2^(S + HP_HIST_BUCKETS - 2) ns.
 * With S = 8 and 28 buckets the finite bounds run from 256 ns (< 1 us) to 2^34 ns = 17.2 s (> 10 s).
 */
#define HP_HIST_MIN_SHIFT 8
#define HP_HIST_BUCKETS 28

static inline unsigned int hp_hist__log2(unsigned long long v)
{
	unsigned int r = 0, shift;

	shift = (v > 0xFFFFFFFFULL) << 5;
	v >>= shift;
	r |= shift;
	shift = (v > 0xFFFFULL) << 4;
	v >>= shift;
	r |= shift;
	shift = (v > 0xFFULL) << 3;
	v >>= shift;
	r |= shift;
	shift = (v > 0xFULL) << 2;
	v >>= shift;
	r |= shift;
	shift = (v > 0x3ULL) << 1;
	v >>= shift;
	r |= shift;
	r |= (unsigned int)(v >> 1);
	return r;
}

/* Index of the bucket that counts a latency of ns nanoseconds. */
static inline unsigned int hp_hist__bucket(unsigned long long ns)
{
	unsigned int i;

	if (ns <= (1ULL << HP_HIST_MIN_SHIFT))
		return 0;
	/* ns - 1 lies in [2^L, 2^(L+1)), so ns lies in (2^L, 2^(L+1)]: bucket L + 1 - S */
	i = hp_hist__log2(ns - 1) + 1 - HP_HIST_MIN_SHIFT;
	return i >= HP_HIST_BUCKETS ? HP_HIST_BUCKETS - 1 : i;
}

#endif
