// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: any bytes as a metadata area. dm_meta_inspect() and
 * dm_area_inspect() (the bytes as a region's head, and as the slots an
 * anchor names; an input starting with 'A' gets a sealed anchor) must
 * classify them without crashing; a VALID layout must re-encode to a slot
 * that decodes to the same layout; a layout that passes dm_layout_check()
 * must map at any 4 KiB base. Build: make -C tests/fuzz; run:
 * tests/fuzz/fuzz-meta -max_total_time=60 [corpus-dir].
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "layout.h"
#include "fuzz-common.h"

#define META_LEN ((size_t)DM_NR_SLOTS * DM_SLOT_SIZE)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t meta[META_LEN], slot[DM_SLOT_SIZE], head[DM_HEAD_SIZE];
	static struct dm_layout cur, again;
	struct dm_meta_report rep;
	unsigned int order[DM_NR_SLOTS];
	char err[256];

	/*
	 * Short inputs are spread over both slots' headers and tables, and
	 * a valid slot is sometimes made by sealing the input, so that the
	 * fuzzer reaches the entry and layout checks.
	 */
	memset(meta, 0, sizeof(meta));
	if (size > META_LEN)
		size = META_LEN;
	if (size && (data[0] == 'S' || data[0] == 'A') && size > 1) {
		struct dm_layout *l = &cur;

		dm_layout_init(l, (const uint8_t *)"fuzz-region-uuid",
			       DM_META_SIZE + (uint64_t)size * 0x100000);
		fuzz_fill_layout(l, data + 1, size - 1);
		dm_slot_encode(l, meta + (size % 2) * DM_SLOT_SIZE);
	} else {
		memcpy(meta, data, size);
	}

	memcpy(head, meta, sizeof(head));
	if (size && data[0] == 'A') {
		memset(head, 0, sizeof(head));
		dm_anchor_encode(&cur, head);
		if (size > 2) /* damage one byte of it */
			head[data[1] % DM_ANCHOR_SIZE] ^= data[2];
	}
	{
		uint64_t off = 0;
		int located = dm_area_locate(head, sizeof(head), &off);

		if (dm_area_inspect(head, sizeof(head), located ? meta : NULL,
				    &again, &rep) == DM_META_VALID &&
		    (!rep.anchored || again.slots_offset != off))
			if (again.major == DM_FMT_MAJOR)
				abort(); /* a 2.x layout only under its anchor
					  */
	}
	dm_meta_inspect(meta, META_LEN, &cur, &rep);
	dm_meta_write_order(&rep, order);
	if (order[0] == order[1] || order[0] >= DM_NR_SLOTS ||
	    order[1] >= DM_NR_SLOTS)
		abort();
	if (rep.state != DM_META_VALID)
		return 0;
	if (order[0] == rep.current)
		abort();
	dm_slot_encode(&cur, slot);
	if (dm_slot_decode(slot, &again, err, sizeof(err)))
		abort();
	if (again.seq != cur.seq || again.region_size != cur.region_size ||
	    memcmp(again.region_uuid, cur.region_uuid, 16) ||
	    memcmp(again.ns, cur.ns, sizeof(cur.ns)))
		abort();
	if (dm_layout_check(&cur, err, sizeof(err)) == 0)
		fuzz_verify_bases(&cur, data, size);
	return 0;
}
