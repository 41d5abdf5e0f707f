/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The layout engine: where namespaces go inside a region so that every
 * namespace maps for every 4 KiB-aligned physical base of the region.
 * Pure functions over struct dm_layout; see docs/format.md, "Placement".
 */
#ifndef DEVMEM_LAYOUT_H
#define DEVMEM_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "format.h"

#define DM_PAGE	       0x1000ull
#define DM_SUBSECTION  0x200000ull
#define DM_SECTION     0x8000000ull
#define DM_GUARD       (DM_SUBSECTION - DM_PAGE) /* worst-case rounding loss */
#define DM_STRUCT_PAGE 64ull /* bytes of memmap per 4 KiB page, reserved */

/* A new, empty 2.0 layout for a region of @region_size bytes: its slots at
 * the start of the tail guard, region_size - DM_GUARD. */
void dm_layout_init(struct dm_layout *l, const uint8_t uuid[16],
		    uint64_t region_size);

struct dm_place_req {
	uint64_t size;	    /* data bytes; 0 = the largest that fits */
	uint32_t align;	    /* 4096 or 2097152 */
	uint32_t map;	    /* DM_MAP_DEV or DM_MAP_MEM */
	bool have_base;	    /* phys_base is known (this boot's placement) */
	uint64_t phys_base; /* prefer data 2 MiB-aligned for this base */
};

/*
 * Place a namespace for @req in the free space of @l (first fit, lowest
 * offset). Fills resv_offset/offset/size/align/map/mode of @out (not uuid,
 * name or flags). Returns 0, -EINVAL (bad request, @err names the value)
 * or -ENOSPC (@err says the largest size that would fit).
 */
int dm_layout_place(const struct dm_layout *l, const struct dm_place_req *req,
		    struct dm_ns *out, char *err, size_t errlen);

/* Front pad (reservation start to data start) a namespace needs, before
 * any extra pad for 2 MiB alignment. */
uint64_t dm_front_pad(uint64_t size, uint32_t map);

/* Bytes of memmap a vmem_altmap must supply for a pgmap range: one 2 MiB
 * block per whole 128 MiB section inside [start, end). */
uint64_t dm_altmap_need(uint64_t start, uint64_t end);

/* The memremap_pages() range of @ns when the region starts at @base:
 * [ALIGN_UP(base + resv_offset, 2M), ALIGN_UP(base + offset + size, 2M)). */
void dm_pgmap_range(uint64_t base, const struct dm_ns *ns, uint64_t *start,
		    uint64_t *end);

/*
 * Check every invariant of a decoded layout: data inside
 * [dm_layout_head(), region_size - DM_GUARD), the 2.x slots inside the
 * region and off every reservation, reservations disjoint, front pads
 * large enough, sizes/offsets 4 KiB multiples, 2 MiB-aligned namespaces a
 * multiple of 2 MiB long, names valid and unique, UUIDs unique and non-zero.
 * Returns 0 or -EINVAL with the first finding in @err.
 */
int dm_layout_check(const struct dm_layout *l, char *err, size_t errlen);

/* Largest data size dm_layout_place() would accept for this align/map. */
uint64_t dm_layout_max_size(const struct dm_layout *l, uint32_t align,
			    uint32_t map);

#endif /* DEVMEM_LAYOUT_H */
