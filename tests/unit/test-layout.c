// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the layout engine (libdevmem/layout.c). The property that
 * matters: for every 4 KiB-aligned physical base of the region, every
 * namespace's memremap_pages() range is sub-section aligned, covers its data,
 * stays inside the region and off the metadata, does not overlap another
 * namespace's range, and (map=dev) holds the memmap the kernel takes from
 * the altmap.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "format.h"
#include "layout.h"
#include "rng.h"

#define K4		0x1000ull
#define M2		0x200000ull
#define M		0x100000ull
#define G		0x40000000ull
#define SEC		DM_SECTION
#define NR_RANDOM_BASES 3000

static uint64_t seed = 0x6465766d656dull; /* "devmem" */

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* The bases the design brief measured, and a few more. */
static const uint64_t fixed_bases[] = {
	0,	     K4,
	2 * K4,	     3 * K4,
	M,	     M2 - K4,
	M2,	     M2 + K4,
	64 * M + K4, G + 3 * K4,
	SEC - K4,    SEC,
	4 * G + K4,  (1ull << 40) - K4,
};

static uint64_t random_bases[NR_RANDOM_BASES];

struct variant {
	const char *name;
	uint32_t map, align;
};

static const struct variant variants[] = {
	{"map=dev align=4K", DM_MAP_DEV, 0x1000},
	{"map=dev align=2M", DM_MAP_DEV, 0x200000},
	{"map=mem align=4K", DM_MAP_MEM, 0x1000},
	{"map=mem align=2M", DM_MAP_MEM, 0x200000},
};

static const struct variant *variant(void **state)
{
	const struct variant *v = *state;

	print_message("variant %s\n", v->name);
	return v;
}

static struct dm_layout *new_layout(uint64_t region_size)
{
	struct dm_layout *l = malloc(sizeof(*l));
	uint8_t uuid[16];

	assert_non_null(l);
	for (int i = 0; i < 16; i++)
		uuid[i] = (uint8_t)rnd();
	dm_layout_init(l, uuid, region_size);
	return l;
}

static unsigned int uuid_counter;

/* Place and commit a namespace like the library would. Returns its index
 * or a negative errno. */
static int add_ns(struct dm_layout *l, uint64_t size, uint32_t align,
		  uint32_t map, const uint64_t *base)
{
	struct dm_place_req req = {
		.size = size,
		.align = align,
		.map = map,
		.have_base = base != NULL,
		.phys_base = base ? *base : 0,
	};
	char err[256];
	struct dm_ns ns;
	unsigned int i;
	int rc;

	memset(&ns, 0, sizeof(ns));
	rc = dm_layout_place(l, &req, &ns, err, sizeof(err));
	if (rc)
		return rc;
	for (i = 0; i < DM_NS_MAX; i++)
		if (!(l->ns[i].flags & DM_NS_FLAG_VALID))
			break;
	if (i >= DM_NS_MAX) /* place() refuses a full table first */
		return -EOVERFLOW;
	uuid_counter++;
	memcpy(ns.uuid, &uuid_counter, sizeof(uuid_counter));
	ns.uuid[15] = 0xd1;
	snprintf(ns.name, sizeof(ns.name), "ns%u", uuid_counter);
	ns.flags = DM_NS_FLAG_VALID;
	l->ns[i] = ns;
	l->seq++;
	return (int)i;
}

static int must_add(struct dm_layout *l, uint64_t size, uint32_t align,
		    uint32_t map, const uint64_t *base)
{
	int i = add_ns(l, size, align, map, base);

	if (i < 0)
		fail_msg("placing 0x%" PRIx64 " bytes align 0x%x map %u: %d",
			 size, align, map, i);
	return i;
}

static void must_check(const struct dm_layout *l)
{
	char err[256];

	if (dm_layout_check(l, err, sizeof(err)))
		fail_msg("dm_layout_check: %s", err);
}

struct prange {
	uint64_t start, end;
	unsigned int idx;
};

static int prange_cmp(const void *a, const void *b)
{
	const struct prange *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Whole 128 MiB sections in [s, e), computed without dm_altmap_need(). */
static uint64_t whole_sections(uint64_t s, uint64_t e)
{
	uint64_t first = s % SEC ? s - s % SEC + SEC : s;

	return e > first ? (e - first) / SEC : 0;
}

/*
 * Where the altmap of a pgmap starting at @s hands out its first 2 MiB
 * memmap block: at @s, or, when the pgmap covers the anchor page (kmod/ns.c:
 * altmap.reserve), at the first 2 MiB boundary past it (the kernel's
 * altmap_alloc_block_buf() aligns each block to its size). For a 1.x
 * layout the head is its 128 KiB of slots.
 */
static uint64_t altmap_start(uint64_t b, uint64_t s, uint64_t head)
{
	uint64_t m = b + head;

	return s < m ? (m + M2 - 1) / M2 * M2 : s;
}

/* Where the first namespace of an empty region starts its reservation:
 * at 0 (over the anchor), unless it is map=dev with memmap blocks. */
static uint64_t first_resv(uint64_t size, uint32_t map)
{
	return dm_front_pad(size, map) > DM_GUARD ? DM_ANCHOR_SIZE : 0;
}

/* The invariant, at physical base @b. */
static void verify_base(const struct dm_layout *l, uint64_t b)
{
	struct prange p[DM_NS_MAX];
	unsigned int n = 0;
	uint64_t head = dm_layout_head(l);

	for (unsigned int i = 0; i < DM_NS_MAX; i++) {
		const struct dm_ns *ns = &l->ns[i];
		uint64_t s, e, ds = b + ns->offset, de = ds + ns->size;

		if (!(ns->flags & DM_NS_FLAG_VALID))
			continue;
		dm_pgmap_range(b, ns, &s, &e);
		if (s % M2 || e % M2)
			fail_msg("base 0x%" PRIx64 " ns %u: pgmap [0x%" PRIx64
				 ", 0x%" PRIx64 ") not 2 MiB aligned",
				 b, i, s, e);
		if (s > ds || e < de)
			fail_msg("base 0x%" PRIx64 " ns %u: pgmap [0x%" PRIx64
				 ", 0x%" PRIx64 ") misses data [0x%" PRIx64
				 ", 0x%" PRIx64 ")",
				 b, i, s, e, ds, de);
		if (s < b || e > b + l->region_size)
			fail_msg("base 0x%" PRIx64 " ns %u: pgmap [0x%" PRIx64
				 ", 0x%" PRIx64 ") outside the region",
				 b, i, s, e);
		if (ds < b + head)
			fail_msg("base 0x%" PRIx64 " ns %u: data at 0x%" PRIx64
				 " overlaps the metadata",
				 b, i, ds);
		/* the altmap skips the metadata pages it would cover */
		if (ns->map == DM_MAP_DEV &&
		    whole_sections(s, e) * M2 > ds - altmap_start(b, s, head))
			fail_msg("base 0x%" PRIx64
				 " ns %u: altmap needs 0x%" PRIx64
				 ", has 0x%" PRIx64,
				 b, i, whole_sections(s, e) * M2,
				 ds - altmap_start(b, s, head));
		/* what the kernel writes (memmap) or hands out (data) stays
		 * off the 2.x slots; the rounding of a pgmap may cover them */
		if (l->major == DM_FMT_MAJOR &&
		    ((ns->map == DM_MAP_DEV ? altmap_start(b, s, head) : ds) <
			     b + l->slots_offset + DM_META_SIZE &&
		     b + l->slots_offset < de))
			fail_msg("base 0x%" PRIx64 " ns %u: [0x%" PRIx64
				 ", 0x%" PRIx64
				 ") covers the slots at 0x%" PRIx64,
				 b, i, ds, de, b + l->slots_offset);
		p[n].start = s;
		p[n].end = e;
		p[n].idx = i;
		n++;
	}
	qsort(p, n, sizeof(p[0]), prange_cmp);
	for (unsigned int k = 1; k < n; k++)
		if (p[k].start < p[k - 1].end)
			fail_msg("base 0x%" PRIx64 ": pgmaps of ns %u and %u "
				 "overlap",
				 b, p[k - 1].idx, p[k].idx);
}

/* Bases that put a namespace's edges right at or around section and
 * sub-section boundaries: the worst cases for rounding and altmap. */
static void verify_edge_bases(const struct dm_layout *l)
{
	static const uint64_t t[] = {
		0, K4, M2 - K4, M2, M2 + K4, SEC - M2, SEC - K4, SEC - M2 - K4};

	for (unsigned int i = 0; i < DM_NS_MAX; i++) {
		const struct dm_ns *ns = &l->ns[i];
		const uint64_t x[] = {ns->resv_offset, ns->offset,
				      ns->offset + ns->size};

		if (!(ns->flags & DM_NS_FLAG_VALID))
			continue;
		for (size_t a = 0; a < 3; a++)
			for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++)
				verify_base(l, 1024 * SEC + t[k] - x[a]);
	}
}

static void verify_bases(const struct dm_layout *l, unsigned int nr_random)
{
	for (size_t k = 0; k < sizeof(fixed_bases) / sizeof(fixed_bases[0]);
	     k++)
		verify_base(l, fixed_bases[k]);
	for (unsigned int k = 0; k < nr_random && k < NR_RANDOM_BASES; k++)
		verify_base(l, random_bases[k]);
	verify_edge_bases(l);
}

static unsigned int count_valid(const struct dm_layout *l)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < DM_NS_MAX; i++)
		n += !!(l->ns[i].flags & DM_NS_FLAG_VALID);
	return n;
}

/* ------------------------------------------------------------------ */

static void test_altmap_need(void **state)
{
	(void)state;
	assert_int_equal(dm_altmap_need(0, SEC), M2);
	assert_int_equal(dm_altmap_need(K4, SEC), 0);
	assert_int_equal(dm_altmap_need(0, SEC - K4), 0);
	assert_int_equal(dm_altmap_need(0, 2 * SEC + M2), 2 * M2);
	assert_int_equal(dm_altmap_need(SEC - M2, 2 * SEC + M2), M2);
	assert_int_equal(dm_altmap_need(5 * SEC, 5 * SEC), 0);
	assert_int_equal(dm_altmap_need(7 * SEC, 5 * SEC), 0);
	for (int k = 0; k < 100000; k++) {
		uint64_t s = rnd_below(1ull << 40) & ~(M2 - 1);
		uint64_t e = s + (rnd_below(64 * G) & ~(M2 - 1));
		uint64_t n = 0;

		for (uint64_t a = s - s % SEC; a + SEC <= e && k < 200;
		     a += SEC)
			n += a >= s;
		if (k < 200)
			assert_int_equal(dm_altmap_need(s, e), n * M2);
		assert_int_equal(dm_altmap_need(s, e),
				 whole_sections(s, e) * M2);
	}
}

/* dm_front_pad() against the brief's definition, by search. */
static void test_front_pad_formula(void **state)
{
	(void)state;
	for (int k = 0; k < 20000; k++) {
		uint64_t size =
			k < 5000 ? (uint64_t)(k + 1) * 64 * K4
				 : (rnd_below(1ull << 44) + 1) & ~(K4 - 1);
		uint64_t n;

		if (!size)
			size = K4;
		/* n is at least the sections in size + 2 GUARD; search up */
		n = (size + 2 * DM_GUARD) / SEC;
		while ((DM_GUARD + M2 * n + size + DM_GUARD) / SEC > n)
			n++;
		assert_int_equal(dm_front_pad(size, DM_MAP_MEM), DM_GUARD);
		assert_int_equal(dm_front_pad(size, DM_MAP_DEV),
				 DM_GUARD + M2 * n);
	}
	print_message("front pad map=dev: 512M -> 0x%" PRIx64
		      ", 1G -> 0x%" PRIx64 ", 16G -> 0x%" PRIx64 "\n",
		      dm_front_pad(512 * M, DM_MAP_DEV),
		      dm_front_pad(G, DM_MAP_DEV),
		      dm_front_pad(16 * G, DM_MAP_DEV));
}

/* docs/format.md, "Worked example". */
static void test_worked_example(void **state)
{
	struct dm_layout *l = new_layout(G);
	int i;

	(void)state;
	i = must_add(l, 512 * M, 0x1000, DM_MAP_DEV, NULL);
	assert_int_equal(l->ns[i].resv_offset, 0x1000);
	assert_int_equal(l->ns[i].offset, 0xa00000);
	assert_int_equal(l->ns[i].size, 0x20000000);
	must_check(l);
	verify_bases(l, NR_RANDOM_BASES);
	/* at base 0x100001000 (the brief's 4 KiB move) */
	{
		uint64_t s, e;

		dm_pgmap_range(0x100001000ull, &l->ns[i], &s, &e);
		assert_int_equal(s, 0x100200000ull);
		assert_int_equal(e, 0x120c00000ull);
		/* 3 whole sections here; 4 at worst, which the pad holds */
		assert_int_equal(dm_altmap_need(s, e), 3 * M2);
		assert_int_equal(0x100001000ull + l->ns[i].offset - s,
				 0x801000);
	}
	print_message("after: largest map=mem 0x%" PRIx64 "\n",
		      dm_layout_max_size(l, 0x1000, DM_MAP_MEM));
	free(l);
}

static void test_place_single(void **state)
{
	const struct variant *v = variant(state);
	static const uint64_t sizes[] = {2 * M,	  126 * M, 128 * M,
					 130 * M, 512 * M, 1000 * M};

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct dm_layout *l = new_layout(G);
		int i = must_add(l, sizes[k], v->align, v->map, NULL);
		const struct dm_ns *ns = &l->ns[i];

		assert_int_equal(ns->resv_offset, first_resv(sizes[k], v->map));
		assert_int_equal(ns->offset - ns->resv_offset,
				 dm_front_pad(sizes[k], v->map));
		assert_int_equal(ns->size, sizes[k]);
		assert_int_equal(ns->align, v->align);
		assert_int_equal(ns->map, v->map);
		assert_int_equal(ns->mode, DM_MODE_DEVDAX);
		must_check(l);
		verify_bases(l, NR_RANDOM_BASES);
		free(l);
	}
}

/* Several namespaces of mixed kinds in a 1 GiB and a 16 GiB region. */
static void test_mixed_layouts(void **state)
{
	struct dm_layout *l;
	uint64_t b = 0x100001000ull;

	(void)state;
	l = new_layout(G);
	must_add(l, 300 * M, 0x1000, DM_MAP_DEV, NULL);
	must_add(l, 200 * M, 0x200000, DM_MAP_MEM, NULL);
	must_add(l, 256 * M, 0x200000, DM_MAP_DEV, &b);
	must_add(l, 0, 0x1000, DM_MAP_MEM, NULL);
	assert_int_equal(count_valid(l), 4);
	must_check(l);
	verify_bases(l, NR_RANDOM_BASES);
	free(l);

	l = new_layout(16 * G);
	must_add(l, 5 * G + 3 * K4, 0x1000, DM_MAP_DEV, NULL);
	must_add(l, 3 * G + K4, 0x1000, DM_MAP_MEM, NULL);
	must_add(l, 4 * G, 0x200000, DM_MAP_DEV, NULL);
	must_add(l, G, 0x200000, DM_MAP_MEM, &b);
	must_add(l, 130 * M, 0x200000, DM_MAP_DEV, &b);
	must_add(l, 0, 0x1000, DM_MAP_DEV, NULL);
	must_check(l);
	verify_bases(l, NR_RANDOM_BASES);
	/* free the 3 GiB one and refill the hole with other kinds */
	memset(&l->ns[1], 0, sizeof(l->ns[1]));
	must_add(l, G + 130 * M, 0x200000, DM_MAP_DEV, &b);
	must_add(l, 500 * M + K4, 0x1000, DM_MAP_DEV, NULL);
	must_add(l, 0, 0x1000, DM_MAP_MEM, NULL);
	assert_int_equal(add_ns(l, 0, 0x1000, DM_MAP_DEV, NULL), -ENOSPC);
	must_check(l);
	verify_bases(l, NR_RANDOM_BASES);
	free(l);
}

/* Fill a region with random namespaces of one variant. */
static void test_fill_random(void **state)
{
	const struct variant *v = variant(state);
	struct dm_layout *l = new_layout(4 * G + 5 * K4);
	int rc;

	do {
		uint64_t size = (rnd_below(300 * M) + v->align) &
				~(uint64_t)(v->align - 1);

		rc = add_ns(l, size, v->align, v->map, NULL);
	} while (rc >= 0);
	assert_int_equal(rc, -ENOSPC);
	print_message("%u namespaces placed\n", count_valid(l));
	must_check(l);
	verify_bases(l, 1000);
	free(l);
}

/* dm_layout_max_size() is exactly what dm_layout_place() accepts. */
static void assert_max_agrees(struct dm_layout *l, const struct variant *v)
{
	uint64_t max = dm_layout_max_size(l, v->align, v->map);
	struct dm_place_req req = {.align = v->align, .map = v->map};
	struct dm_ns ns;
	char err[256];

	for (int base = 0; base < 2; base++) {
		req.have_base = base;
		req.phys_base = 0x100001000ull + (uint64_t)base * 0x3000;
		req.size = max + v->align;
		assert_int_equal(
			dm_layout_place(l, &req, &ns, err, sizeof(err)),
			-ENOSPC);
		if (!max)
			continue;
		req.size = max;
		assert_int_equal(
			dm_layout_place(l, &req, &ns, err, sizeof(err)), 0);
		assert_int_equal(ns.size, max);
		req.size = 0;
		assert_int_equal(
			dm_layout_place(l, &req, &ns, err, sizeof(err)), 0);
		assert_int_equal(ns.size, max);
	}
}

static void test_max_size_agrees(void **state)
{
	const struct variant *v = variant(state);
	uint64_t r;

	/* one namespace in regions of many sizes */
	for (r = DM_META_SIZE; r < 700 * M; r += 3 * M + 5 * K4) {
		struct dm_layout *l = new_layout(r);

		assert_max_agrees(l, v);
		free(l);
	}
	/* around the size where map=dev needs one more memmap block */
	for (r = 126 * M; r < 136 * M; r += K4) {
		struct dm_layout *l = new_layout(r);

		assert_max_agrees(l, v);
		free(l);
	}
	/* layouts with holes */
	for (int k = 0; k < 40; k++) {
		struct dm_layout *l =
			new_layout(2 * G + rnd_below(G) / K4 * K4);

		for (int j = 0; j < 12; j++)
			add_ns(l, (rnd_below(200 * M) + M2) & ~(M2 - 1),
			       j % 2 ? 0x200000 : 0x1000,
			       j % 3 ? DM_MAP_DEV : DM_MAP_MEM, NULL);
		for (unsigned int j = 0; j < DM_NS_MAX; j++)
			if (rnd() % 2)
				memset(&l->ns[j], 0, sizeof(l->ns[j]));
		assert_max_agrees(l, v);
		free(l);
	}
}

/* Random create/destroy cycles: the layout stays valid and mappable, and
 * destroying everything gives the whole capacity back. */
static void test_cycles(void **state)
{
	const struct variant *v = variant(state);
	struct dm_layout *l = new_layout(2 * G + 7 * K4);
	uint64_t full = dm_layout_max_size(l, v->align, v->map);
	unsigned int created = 0, nospc = 0;

	for (int op = 0; op < 3000; op++) {
		if (rnd() % 3) {
			uint64_t size = rnd() % 8 ? rnd_below(400 * M) : 0;
			int rc;

			size = (size + v->align - 1) &
			       ~(uint64_t)(v->align - 1);
			rc = add_ns(l, size, v->align,
				    rnd() % 4
					    ? v->map
					    : DM_MAP_MEM + DM_MAP_DEV - v->map,
				    rnd() % 2 ? &random_bases[op] : NULL);
			if (rc >= 0) {
				created++;
			} else {
				assert_int_equal(rc, -ENOSPC);
				nospc++;
			}
		} else {
			unsigned int i = (unsigned int)rnd_below(DM_NS_MAX);

			for (unsigned int k = 0; k < DM_NS_MAX; k++) {
				unsigned int j = (i + k) % DM_NS_MAX;

				if (l->ns[j].flags & DM_NS_FLAG_VALID) {
					memset(&l->ns[j], 0, sizeof(l->ns[j]));
					break;
				}
			}
		}
		must_check(l);
		if (op % 50 == 0)
			verify_bases(l, 20);
	}
	print_message("%u created, %u refused for space\n", created, nospc);
	for (unsigned int j = 0; j < DM_NS_MAX; j++)
		memset(&l->ns[j], 0, sizeof(l->ns[j]));
	assert_int_equal(dm_layout_max_size(l, v->align, v->map), full);
	free(l);
}

static void test_size_zero(void **state)
{
	const struct variant *v = variant(state);
	struct dm_layout *l = new_layout(G - DM_META_SIZE);
	uint64_t max = dm_layout_max_size(l, v->align, v->map);
	int i = must_add(l, 0, v->align, v->map, NULL);

	assert_int_equal(l->ns[i].size, max);
	assert_int_equal(l->ns[i].size % v->align, 0);
	must_check(l);
	verify_bases(l, NR_RANDOM_BASES);
	free(l);
}

static void test_enospc_message(void **state)
{
	struct dm_layout *l = new_layout(64 * M);
	struct dm_place_req req = {
		.size = G, .align = 0x1000, .map = DM_MAP_MEM};
	struct dm_ns ns;
	char err[256], want[256];

	(void)state;
	assert_int_equal(dm_layout_place(l, &req, &ns, err, sizeof(err)),
			 -ENOSPC);
	snprintf(want, sizeof(want),
		 "no free extent for 1073741824 bytes in region of 67108864 "
		 "bytes; largest possible is %" PRIu64 " bytes",
		 dm_layout_max_size(l, 0x1000, DM_MAP_MEM));
	assert_string_equal(err, want);
	print_message("%s\n", err);
	assert_int_equal(dm_layout_max_size(l, 0x1000, DM_MAP_MEM),
			 64 * M - 2 * DM_GUARD);

	/* too small a region: nothing fits at all */
	l->region_size = 2 * DM_GUARD;
	req.size = 0;
	assert_int_equal(dm_layout_max_size(l, 0x1000, DM_MAP_MEM), 0);
	assert_int_equal(dm_layout_place(l, &req, &ns, err, sizeof(err)),
			 -ENOSPC);
	assert_non_null(strstr(err, "largest possible is 0 bytes"));
	l->region_size += K4;
	assert_int_equal(dm_layout_max_size(l, 0x1000, DM_MAP_MEM), K4);

	/* a full table */
	l->region_size = 64 * G;
	for (unsigned int k = 0; k < DM_NS_MAX; k++)
		must_add(l, K4, 0x1000, DM_MAP_MEM, NULL);
	assert_int_equal(add_ns(l, K4, 0x1000, DM_MAP_MEM, NULL), -ENOSPC);
	assert_int_equal(dm_layout_max_size(l, 0x1000, DM_MAP_MEM), 0);
	must_check(l);
	verify_base(l, 0x100001000ull);
	free(l);
}

static void test_bad_requests(void **state)
{
	static const struct {
		struct dm_place_req req;
		const char *says;
	} bad[] = {
		{{2 * M, 8192, DM_MAP_MEM, 0, 0}, "align 8192"},
		{{2 * M, 0, DM_MAP_MEM, 0, 0}, "align 0"},
		{{2 * M, 0x1000, 0, 0, 0}, "map 0"},
		{{2 * M, 0x1000, 3, 0, 0}, "map 3"},
		{{4097, 0x1000, DM_MAP_MEM, 0, 0}, "size 4097"},
		{{3 * M, 0x200000, DM_MAP_DEV, 0, 0}, "size 3145728"},
		{{4 * K4, 0x200000, DM_MAP_DEV, 0, 0}, "size 16384"},
		{{UINT64_MAX - 4095, 0x1000, DM_MAP_DEV, 0, 0}, "too large"},
		{{1ull << 63, 0x200000, DM_MAP_MEM, 0, 0}, "too large"},
		{{2 * M, 0x200000, DM_MAP_MEM, 1, 0x1800}, "0x1800"},
	};
	struct dm_layout *l = new_layout(G);
	struct dm_ns ns;
	char err[256];

	(void)state;
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		memset(&ns, 0, sizeof(ns));
		assert_int_equal(
			dm_layout_place(l, &bad[k].req, &ns, err, sizeof(err)),
			-EINVAL);
		print_message("%s\n", err);
		assert_non_null(strstr(err, bad[k].says));
		assert_int_equal(ns.size, 0);
	}
	free(l);
}

/* With the base known, a 2 MiB namespace gets a 2 MiB-aligned data start
 * on this boot; a 4 KiB one is placed as without a base. */
static void test_prefer_2m(void **state)
{
	const struct variant *v = variant(state);
	unsigned int aligned = 0, tried = 0;

	for (size_t k = 0; k < 10 + 200; k++) {
		uint64_t b = k < 10 ? fixed_bases[k] : random_bases[k];
		struct dm_layout *l = new_layout(3 * G);
		struct dm_layout *ref;
		int i, r;

		/* something in front, placed without a base */
		must_add(l, (k % 7 + 1) * 20 * M + (k % 3) * K4, 0x1000,
			 k % 2 ? DM_MAP_DEV : DM_MAP_MEM, NULL);
		ref = malloc(sizeof(*ref));
		assert_non_null(ref);
		*ref = *l;
		i = must_add(l, 1 * G + 130 * M, v->align, v->map, &b);
		r = must_add(ref, 1 * G + 130 * M, v->align, v->map, NULL);
		tried++;
		if (v->align == M2) {
			assert_int_equal((b + l->ns[i].offset) % M2, 0);
			aligned++;
		} else {
			assert_int_equal(l->ns[i].offset, ref->ns[r].offset);
		}
		assert_true(l->ns[i].offset >= ref->ns[r].offset);
		assert_true(l->ns[i].offset - ref->ns[r].offset < M2 + M2);
		must_check(l);
		verify_bases(l, k < 20 ? 500 : 5);
		free(ref);
		free(l);
	}
	if (v->align == M2)
		print_message(
			"%u of %u placements 2 MiB-aligned for their base\n",
			aligned, tried);
}

/* When the aligned placement does not fit, the namespace is still placed
 * (4 KiB faults on this boot) rather than refused. */
static void test_prefer_2m_fallback(void **state)
{
	const struct variant *v = variant(state);
	struct dm_layout *l = new_layout(G);
	uint64_t b = 0x100001000ull, max;
	int i;

	max = dm_layout_max_size(l, v->align, v->map);
	i = must_add(l, max, v->align, v->map, &b);
	assert_int_equal(l->ns[i].size, max);
	if (v->align == K4) /* no preference: as without a base */
		assert_int_equal(l->ns[i].offset,
				 first_resv(max, v->map) +
					 dm_front_pad(max, v->map));
	print_message("largest 0x%" PRIx64 ": data at base+0x%" PRIx64
		      " (%s)\n",
		      max, l->ns[i].offset,
		      (b + l->ns[i].offset) % M2 ? "4 KiB faults" : "2 MiB");
	must_check(l);
	verify_bases(l, 100);
	free(l);
}

/* dm_layout_check() catches each kind of bad entry. */
struct mutation {
	const char *what;
	void (*apply)(struct dm_layout *l);
	const char *says;
};

#define MUT(fn, body)                                                          \
	static void fn(struct dm_layout *l)                                    \
	{                                                                      \
		struct dm_ns *a = &l->ns[0], *b = &l->ns[1];                   \
		(void)a;                                                       \
		(void)b;                                                       \
		body;                                                          \
	}

MUT(m_none, )
MUT(m_overlap, b->resv_offset = a->offset + a->size - K4;
    b->offset = b->resv_offset + 0x2000 + dm_front_pad(b->size, b->map))
MUT(m_same_place, b->resv_offset = a->resv_offset; b->offset = a->offset;
    b->size = a->size; b->map = a->map)
MUT(m_meta, a->resv_offset = 0; a->offset = 0)
MUT(m_slots_in_ns, l->slots_offset = b->offset + K4)
MUT(m_slots_outside, l->slots_offset = l->region_size - 16 * K4)
MUT(m_slots_unaligned, l->slots_offset += 0x200)
MUT(m_meta_dev, a->resv_offset = 0)
MUT(m_beyond, b->offset = l->region_size - DM_GUARD - b->size + K4;
    b->resv_offset = b->offset - dm_front_pad(b->size, b->map))
MUT(m_beyond_wrap, a->size = UINT64_MAX - a->offset + 1 + 0x1000)
MUT(m_pad_mem, b->resv_offset = b->offset - DM_GUARD + K4)
MUT(m_pad_dev, a->resv_offset = a->offset - dm_front_pad(a->size, a->map) + M2)
MUT(m_pad_dev_extra,
    a->resv_offset = a->offset - dm_front_pad(a->size, a->map) + M2 - K4)
MUT(m_resv_after, a->resv_offset = a->offset + K4)
MUT(m_offset_unaligned, a->offset += 0x800)
MUT(m_resv_unaligned, a->resv_offset -= 0x10)
MUT(m_size_unaligned, b->size += 0x200)
MUT(m_size_2m, a->align = 0x200000; a->size += K4)
MUT(m_size_zero, b->size = 0)
MUT(m_size_huge, l->region_size = 1ull << 63; b->size = (1ull << 62) + M2)
MUT(m_mode, a->mode = 3)
MUT(m_fsdax, a->mode = DM_MODE_FSDAX; b->mode = DM_MODE_FSDAX)
MUT(m_map0, b->map = 0)
MUT(m_map3, b->map = 3)
MUT(m_align, b->align = 0x10000)
MUT(m_name_empty, b->name[0] = '\0')
MUT(m_name_bad, strcpy(b->name, "bad/name"))
MUT(m_name_unterminated, memset(b->name, 'x', sizeof(b->name)))
MUT(m_name_dup, strcpy(b->name, a->name))
MUT(m_uuid_zero, memset(b->uuid, 0, 16))
MUT(m_uuid_dup, memcpy(b->uuid, a->uuid, 16))
MUT(m_region_size, l->region_size += 0x10)

static const struct mutation mutations[] = {
	{"valid", m_none, NULL},
	{"overlap", m_overlap, "overlaps namespace 0"},
	{"same place", m_same_place, "overlaps namespace 0"},
	{"map=dev reservation in the metadata", m_meta_dev,
	 "namespace 0: reservation 0x0 of a map=dev namespace with memmap "
	 "blocks starts in the metadata"},
	{"in the metadata", m_meta,
	 "namespace 0: data at 0x0 overlaps the metadata (first 0x1000"},
	{"slots in a namespace", m_slots_in_ns, "namespace 1: reservation [0x"},
	{"slots outside", m_slots_outside,
	 "the metadata slots at 0x3fff0000 do not lie in the region"},
	{"slots unaligned", m_slots_unaligned, "the metadata slots at 0x"},
	{"beyond the end", m_beyond, "namespace 1: data [0x"},
	{"wrap around", m_beyond_wrap, "namespace 0: data [0x"},
	{"front pad (mem)", m_pad_mem,
	 "namespace 1: front pad 0x1fe000 is smaller than the 0x1ff000 needed "
	 "for map=mem"},
	{"front pad (dev)", m_pad_dev, "namespace 0: front pad 0x"},
	{"front pad (dev, extra)", m_pad_dev_extra,
	 "namespace 0: front pad 0x"},
	{"reservation after data", m_resv_after, "is below its reservation"},
	{"offset unaligned", m_offset_unaligned, "namespace 0: reservation"},
	{"reservation unaligned", m_resv_unaligned, "not a multiple of 4 KiB"},
	{"size unaligned", m_size_unaligned, "namespace 1: size 0x"},
	{"2M size", m_size_2m, "multiple of its alignment 0x200000"},
	{"size zero", m_size_zero, "namespace 1: size 0x0 "},
	{"size too large", m_size_huge,
	 "namespace 1: size 0x4000000000200000 is too large"},
	{"mode", m_mode, "namespace 0: mode 3 is not devdax (1) or fsdax (2)"},
	{"fsdax is a mode", m_fsdax, NULL},
	{"map 0", m_map0, "namespace 1: map 0 is not"},
	{"map 3", m_map3, "namespace 1: map 3 is not"},
	{"align", m_align, "namespace 1: align 65536 is not"},
	{"empty name", m_name_empty, "namespace 1: name \"\" is invalid"},
	{"bad name", m_name_bad, "namespace 1: name \"bad/name\" is invalid"},
	{"unterminated name", m_name_unterminated,
	 "namespace 1: name is not NUL-terminated"},
	{"duplicate name", m_name_dup,
	 "namespace 1: name \"ns-a\" is already used by namespace 0"},
	{"zero UUID", m_uuid_zero, "namespace 1: UUID is zero"},
	{"duplicate UUID", m_uuid_dup,
	 "namespace 1: UUID is already used by namespace 0"},
	{"region size", m_region_size, "region size 0x"},
};

static void test_check_catches(void **state)
{
	const struct mutation *m = *state;
	struct dm_layout *l = new_layout(G);
	char err[256];
	int rc;

	must_add(l, 300 * M, 0x1000, DM_MAP_DEV, NULL);
	must_add(l, 100 * M, 0x200000, DM_MAP_MEM, NULL);
	strcpy(l->ns[0].name, "ns-a");
	must_check(l);
	m->apply(l);
	err[0] = '\0';
	rc = dm_layout_check(l, err, sizeof(err));
	print_message("%s: %d \"%s\"\n", m->what, rc, err);
	if (!m->says) {
		assert_int_equal(rc, 0);
	} else {
		assert_int_equal(rc, -EINVAL);
		assert_non_null(strstr(err, m->says));
	}
	free(l);
}

/* The checker of this file bites: a front pad one page short of DM_GUARD
 * leaves the data uncovered at some base, and check() refuses it. */
static void test_property_is_tight(void **state)
{
	struct dm_layout *l = new_layout(G);
	uint64_t s, e, b;
	int i;

	(void)state;
	i = must_add(l, 100 * M, 0x1000, DM_MAP_MEM, NULL);
	l->ns[i].resv_offset += K4;
	assert_int_equal(dm_layout_check(l, NULL, 0), -EINVAL);
	/* at a base where resv_offset lands one page past a 2 MiB boundary */
	b = M2 + K4 - l->ns[i].resv_offset;
	dm_pgmap_range(b, &l->ns[i], &s, &e);
	assert_true(s > b + l->ns[i].offset);
	free(l);
}

/* Usable data bytes of one namespace filling an empty region. */
/*
 * 2.x: the slots stay where the region's tail guard was when it was
 * claimed. A region that grows (a QEMU label area shrunk) gets free space
 * on both sides of them; namespaces go around the slots, and fill it all.
 */
static void test_grown_region(void **state)
{
	struct dm_layout *l = new_layout(512 * M);
	uint64_t slots = l->slots_offset, max;
	int i, j;

	(void)state;
	assert_int_equal(slots, 512 * M - DM_GUARD);
	i = must_add(l, 256 * M, 0x1000, DM_MAP_DEV, NULL);
	l->region_size = 512 * M + 64 * M;
	must_check(l);
	assert_int_equal(l->slots_offset, slots);
	/* the largest that fits before the slots, after the first namespace */
	max = dm_layout_max_size(l, 0x1000, DM_MAP_MEM);
	j = must_add(l, max, 0x1000, DM_MAP_MEM, NULL);
	assert_true(l->ns[j].offset + l->ns[j].size <= slots ||
		    l->ns[j].resv_offset >= slots + DM_META_SIZE);
	/* and the rest goes after them, up to the new tail guard */
	while ((max = dm_layout_max_size(l, 0x1000, DM_MAP_MEM)) != 0)
		must_add(l, max, 0x1000, DM_MAP_MEM, NULL);
	must_check(l);
	verify_bases(l, NR_RANDOM_BASES);
	print_message("grown: ns %d [0x%" PRIx64 ", 0x%" PRIx64
		      "), slots at 0x%" PRIx64 "\n",
		      i, l->ns[i].resv_offset, l->ns[i].offset + l->ns[i].size,
		      slots);
	free(l);
}

/*
 * 1.x layouts (slots in the first 128 KiB, no anchor) are still updated in
 * place: the head they keep off is 128 KiB, and no tail slots exist.
 */
static void test_v1_layout(void **state)
{
	struct dm_layout *l = new_layout(G);
	int i;

	(void)state;
	l->major = DM_FMT_MAJOR_V1;
	l->slots_offset = 0;
	assert_int_equal(dm_layout_head(l), DM_META_SIZE);
	i = must_add(l, 512 * M, 0x1000, DM_MAP_DEV, NULL);
	assert_int_equal(l->ns[i].resv_offset, DM_META_SIZE);
	i = must_add(l, 100 * M, 0x1000, DM_MAP_MEM, NULL);
	/* the tail guard is all free for 1.x: the last data may end there */
	must_add(l, dm_layout_max_size(l, 0x1000, DM_MAP_MEM), 0x1000,
		 DM_MAP_MEM, NULL);
	must_check(l);
	verify_bases(l, NR_RANDOM_BASES);
	(void)i;
	free(l);
}

static void test_capacity(void **state)
{
	static const uint64_t regions[] = {16 * M, 512 * M, G - DM_META_SIZE,
					   16 * G};
	static const char *const rname[] = {"16M", "512M", "1G-128K", "16G"};

	(void)state;
	print_message("%-9s %-16s %14s %12s %12s\n", "region", "namespace",
		      "usable bytes", "usable MiB", "overhead KiB");
	for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		uint64_t prev = 0;

		for (size_t r = 0; r < sizeof(regions) / sizeof(regions[0]);
		     r++) {
			struct dm_layout *l = new_layout(regions[r]);
			uint64_t u = dm_layout_max_size(l, variants[v].align,
							variants[v].map);

			print_message("%-9s %-16s %14" PRIu64
				      " %12.3f %12" PRIu64 "\n",
				      rname[r], variants[v].name, u,
				      (double)u / M, (regions[r] - u) / 1024);
			assert_true(u > 0);
			assert_true(u > prev);
			prev = u;
			must_add(l, 0, variants[v].align, variants[v].map,
				 NULL);
			must_check(l);
			verify_bases(l, 100);
			free(l);
		}
	}
}

#define VARIANTS(fn)                                                           \
	cmocka_unit_test_prestate(fn, (void *)&variants[0]),                   \
		cmocka_unit_test_prestate(fn, (void *)&variants[1]),           \
		cmocka_unit_test_prestate(fn, (void *)&variants[2]),           \
		cmocka_unit_test_prestate(fn, (void *)&variants[3])

#define MUTATION(i)                                                            \
	cmocka_unit_test_prestate(test_check_catches, (void *)&mutations[i])

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_altmap_need),
		cmocka_unit_test(test_front_pad_formula),
		cmocka_unit_test(test_worked_example),
		VARIANTS(test_place_single),
		cmocka_unit_test(test_mixed_layouts),
		VARIANTS(test_fill_random),
		VARIANTS(test_max_size_agrees),
		VARIANTS(test_cycles),
		VARIANTS(test_size_zero),
		cmocka_unit_test(test_enospc_message),
		cmocka_unit_test(test_bad_requests),
		VARIANTS(test_prefer_2m),
		VARIANTS(test_prefer_2m_fallback),
		MUTATION(0),
		MUTATION(1),
		MUTATION(2),
		MUTATION(3),
		MUTATION(4),
		MUTATION(5),
		MUTATION(6),
		MUTATION(7),
		MUTATION(8),
		MUTATION(9),
		MUTATION(10),
		MUTATION(11),
		MUTATION(12),
		MUTATION(13),
		MUTATION(14),
		MUTATION(15),
		MUTATION(16),
		MUTATION(17),
		MUTATION(18),
		MUTATION(19),
		MUTATION(20),
		MUTATION(21),
		MUTATION(22),
		MUTATION(23),
		MUTATION(24),
		MUTATION(25),
		MUTATION(26),
		MUTATION(27),
		MUTATION(28),
		MUTATION(29),
		MUTATION(30),
		MUTATION(31),
		cmocka_unit_test(test_grown_region),
		cmocka_unit_test(test_v1_layout),
		cmocka_unit_test(test_property_is_tight),
		cmocka_unit_test(test_capacity),
	};
	const char *env = getenv("DEVMEM_TEST_SEED");

	_Static_assert(sizeof(mutations) / sizeof(mutations[0]) == 32,
		       "list every mutation in main()");
	if (env)
		seed = strtoull(env, NULL, 0);
	printf("random seed 0x%" PRIx64 " (set DEVMEM_TEST_SEED to change)\n",
	       seed);
	rng_state = seed ? seed : 1;
	for (int k = 0; k < NR_RANDOM_BASES; k++)
		random_bases[k] = rnd_below(1ull << 46) & ~(K4 - 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
