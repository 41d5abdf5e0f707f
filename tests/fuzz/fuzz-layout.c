// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: the input is a sequence of create/destroy operations on
 * a region. After every operation the layout must pass dm_layout_check();
 * a created namespace must have the size asked (or dm_layout_max_size()
 * for size 0), a refusal must agree with dm_layout_max_size(), and the
 * layout must map at every 4 KiB base tried. Build: make -C tests/fuzz.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "layout.h"
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t take(const uint8_t **p, size_t *left, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes && *left; i++, (*p)++, (*left)--)
		v |= (uint64_t) * *p << (8 * i);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dm_layout l;
	const uint8_t *p = data;
	size_t left = size;
	unsigned int made = 0;
	char err[256];

	/* region: 128 KiB .. ~64 GiB, any 4 KiB multiple */
	dm_layout_init(&l, (const uint8_t *)"fuzz-region-uuid",
		       DM_META_SIZE + (take(&p, &left, 3) << 12));
	while (left >= 6) {
		unsigned int op = (unsigned int)take(&p, &left, 1);
		struct dm_place_req req;
		struct dm_ns ns;
		uint64_t max;
		unsigned int i;
		int rc;

		if (op & 0x80) { /* destroy */
			i = (unsigned int)take(&p, &left, 2) % DM_NS_MAX;
			memset(&l.ns[i], 0, sizeof(l.ns[i]));
			continue;
		}
		memset(&req, 0, sizeof(req));
		req.align = op & 1 ? 0x200000 : 0x1000;
		req.map = op & 2 ? DM_MAP_DEV : DM_MAP_MEM;
		req.size = take(&p, &left, 3) << (op & 4 ? 21 : 12);
		req.have_base = op & 8;
		req.phys_base = take(&p, &left, 2) << 12 | (uint64_t)op << 30;
		max = dm_layout_max_size(&l, req.align, req.map);
		memset(&ns, 0, sizeof(ns));
		rc = dm_layout_place(&l, &req, &ns, err, sizeof(err));
		if ((rc == -EINVAL) != (req.size % req.align != 0))
			abort();
		if (rc == -EINVAL)
			continue;
		if (rc == -ENOSPC) {
			if (req.size ? req.size <= max : max != 0)
				abort();
			continue;
		}
		if (rc || ns.size != (req.size ? req.size : max) ||
		    ns.size > max)
			abort();
		for (i = 0; i < DM_NS_MAX; i++)
			if (!(l.ns[i].flags & DM_NS_FLAG_VALID))
				break;
		if (i == DM_NS_MAX)
			abort();
		made++;
		memcpy(ns.uuid, &made, sizeof(made));
		ns.uuid[15] = 1;
		memcpy(ns.name, "f", 1);
		ns.name[1] = (char)('A' + made % 26);
		ns.name[2] = (char)('a' + made / 26 % 26);
		ns.name[3] = (char)('0' + made / 676 % 10);
		ns.flags = DM_NS_FLAG_VALID;
		l.ns[i] = ns;
		if (dm_layout_check(&l, err, sizeof(err)))
			abort();
	}
	fuzz_verify_bases(&l, data, size);
	return 0;
}
