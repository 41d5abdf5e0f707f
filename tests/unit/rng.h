/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A small deterministic generator for the unit tests (xorshift64*). */
#ifndef DEVMEM_TEST_RNG_H
#define DEVMEM_TEST_RNG_H

#include <stdint.h>

/* must be seeded non-zero before the first rnd() */
static uint64_t rng_state;

static inline uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

#endif /* DEVMEM_TEST_RNG_H */
