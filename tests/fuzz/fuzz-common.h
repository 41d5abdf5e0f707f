/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the fuzz targets: build layouts from bytes, check the mapping
 * invariant at bases derived from the input. Aborts on a violation. */
#ifndef DEVMEM_FUZZ_COMMON_H
#define DEVMEM_FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "layout.h"

/* Raw entries from bytes: mostly nonsense, which dm_layout_check() must
 * refuse, sometimes sense. */
static inline void fuzz_fill_layout(struct dm_layout *l, const uint8_t *d,
				    size_t n)
{
	for (unsigned int i = 0; n >= 12 && i < 8; i++, d += 12, n -= 12) {
		struct dm_ns *ns = &l->ns[(d[0] * 7u) % DM_NS_MAX];

		memset(ns, 0, sizeof(*ns));
		ns->uuid[0] = (uint8_t)(i + 1);
		ns->name[0] = (char)('a' + i);
		ns->resv_offset = ((uint64_t)d[1] << 8 | d[2]) << 12;
		ns->offset =
			ns->resv_offset + (((uint64_t)d[3] << 8 | d[4]) << 12);
		ns->size = ((uint64_t)d[5] << 16 | (uint64_t)d[6] << 8 | d[7])
			   << 12;
		ns->mode = d[8] & 0x80 ? d[8] : DM_MODE_DEVDAX;
		ns->align = d[9] & 1 ? 0x200000 : 0x1000;
		ns->map = d[10] % 3;
		ns->flags = d[11] & 1;
	}
}

static inline void fuzz_verify_base(const struct dm_layout *l, uint64_t b)
{
	uint64_t head = dm_layout_head(l);

	for (unsigned int i = 0; i < DM_NS_MAX; i++) {
		const struct dm_ns *a = &l->ns[i];
		uint64_t s, e, ds = b + a->offset;

		if (!(a->flags & DM_NS_FLAG_VALID))
			continue;
		dm_pgmap_range(b, a, &s, &e);
		/* P may cover the metadata pages at the head (docs/format.md,
		 * rule 3), except for a map=dev namespace that takes memmap
		 * blocks from its altmap (rule 4); the data and the memmap
		 * stay off the 2.x slots */
		if (s % DM_SUBSECTION || e % DM_SUBSECTION || s > ds ||
		    e < ds + a->size || s < b || ds < b + head ||
		    e > b + l->region_size)
			abort();
		if (a->map == DM_MAP_DEV && dm_altmap_need(s, e) &&
		    (dm_altmap_need(s, e) > ds - s || s < b + head))
			abort();
		if (l->major == DM_FMT_MAJOR &&
		    b + l->slots_offset < ds + a->size &&
		    (a->map == DM_MAP_DEV ? s : ds) <
			    b + l->slots_offset + DM_META_SIZE)
			abort();
		for (unsigned int j = 0; j < i; j++) {
			uint64_t s2, e2;

			if (!(l->ns[j].flags & DM_NS_FLAG_VALID))
				continue;
			dm_pgmap_range(b, &l->ns[j], &s2, &e2);
			if (s < e2 && s2 < e)
				abort();
		}
	}
}

static inline void fuzz_verify_bases(const struct dm_layout *l,
				     const uint8_t *d, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ d[i]) * 0x100000001b3ull;
	for (unsigned int k = 0; k < 16; k++) {
		h = h * 6364136223846793005ull + 1442695040888963407ull;
		fuzz_verify_base(l, (h >> 20) << 12);
		fuzz_verify_base(l, (uint64_t)k << 12);
	}
	for (unsigned int i = 0; i < DM_NS_MAX; i++)
		if (l->ns[i].flags & DM_NS_FLAG_VALID)
			fuzz_verify_base(l, (1ull << 40) + DM_SECTION -
						    l->ns[i].resv_offset);
}

#endif /* DEVMEM_FUZZ_COMMON_H */
