// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of the on-media format (libdevmem/format.c): byte layout,
 * checksum, decoding errors, classification and the update protocol.
 */
#include <errno.h>
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

#define META_LEN ((size_t)DM_NR_SLOTS * DM_SLOT_SIZE)

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static void wr32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void wr64(uint8_t *p, uint64_t v)
{
	wr32(p, (uint32_t)v);
	wr32(p + 4, (uint32_t)(v >> 32));
}

/* nd_fletcher64(addr, len, true) as in drivers/nvdimm/label.c */
static uint64_t ref_fletcher64(const void *addr, size_t len)
{
	const uint8_t *buf = addr;
	uint32_t lo32 = 0;
	uint64_t hi32 = 0;

	for (size_t i = 0; i < len / 4; i++) {
		lo32 += rd32(buf + 4 * i);
		hi32 += lo32;
	}
	return hi32 << 32 | lo32;
}

/* Recompute the checksum after a test has edited a slot on purpose. */
static void reseal(uint8_t *slot)
{
	wr64(slot + 32, 0);
	wr64(slot + 32, ref_fletcher64(slot, DM_SLOT_SIZE));
}

static void fill_ns(struct dm_ns *ns, unsigned int i)
{
	memset(ns, 0, sizeof(*ns));
	for (int b = 0; b < 16; b++)
		ns->uuid[b] = (uint8_t)(rnd() | 1);
	snprintf(ns->name, sizeof(ns->name), "ns-%u.%llx", i,
		 (unsigned long long)(rnd() & 0xffffff));
	ns->resv_offset = 0x20000 + (uint64_t)i * 0x1000000;
	ns->offset = ns->resv_offset + 0x1ff000;
	ns->size = 0x400000 + (rnd() & 0xff) * 0x1000;
	ns->mode = DM_MODE_DEVDAX;
	ns->align = i % 2 ? 0x200000 : 0x1000;
	ns->map = i % 3 ? DM_MAP_MEM : DM_MAP_DEV;
	ns->flags = DM_NS_FLAG_VALID;
}

/* A layout; @every: one namespace in every n-th entry (1 = a full table). */
static void make_layout(struct dm_layout *l, unsigned int every, uint64_t seq)
{
	uint8_t uuid[16];

	for (int b = 0; b < 16; b++)
		uuid[b] = (uint8_t)rnd();
	dm_layout_init(l, uuid, 0x1000000ull * (DM_NS_MAX + 2));
	l->seq = seq;
	l->dax_region = 100 + (uint32_t)(rnd() % 64);
	for (unsigned int i = 0; i < DM_NS_MAX; i += every)
		fill_ns(&l->ns[i], i);
}

static void *xmalloc(size_t n)
{
	void *p = calloc(1, n);

	assert_non_null(p);
	return p;
}

static void test_fletcher_vectors(void **state)
{
	static const uint8_t w123[] = {1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0};
	static const uint8_t wrap[] = {0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0};
	uint8_t *buf;

	(void)state;
	/* lo = 1 + 2 + 3 = 6; hi = 1 + 3 + 6 = 10 */
	assert_int_equal(dm_fletcher64(w123, sizeof(w123)), 10ull << 32 | 6);
	/* trailing bytes that do not fill a word are not summed */
	assert_int_equal(dm_fletcher64(w123, sizeof(w123) - 1), 4ull << 32 | 3);
	assert_int_equal(dm_fletcher64(w123, 0), 0);
	/* both halves wrap modulo 2^32: lo = 1, hi = 0xffffffff + 1 = 0 */
	assert_int_equal(dm_fletcher64(wrap, sizeof(wrap)), 1);

	buf = xmalloc(DM_SLOT_SIZE);
	for (size_t i = 0; i < DM_SLOT_SIZE; i++)
		buf[i] = (uint8_t)rnd();
	assert_int_equal(dm_fletcher64(buf, DM_SLOT_SIZE),
			 ref_fletcher64(buf, DM_SLOT_SIZE));
	memset(buf, 0xff, DM_SLOT_SIZE);
	assert_int_equal(dm_fletcher64(buf, DM_SLOT_SIZE),
			 ref_fletcher64(buf, DM_SLOT_SIZE));
	free(buf);
}

static void assert_layout_equal(const struct dm_layout *a,
				const struct dm_layout *b)
{
	assert_int_equal(a->major, b->major);
	assert_int_equal(a->minor, b->minor);
	assert_int_equal(a->seq, b->seq);
	assert_memory_equal(a->region_uuid, b->region_uuid, 16);
	assert_int_equal(a->region_size, b->region_size);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->dax_region, b->dax_region);
	assert_memory_equal(a->ns, b->ns, sizeof(a->ns));
}

static void test_round_trip(void **state)
{
	struct dm_layout *l = xmalloc(sizeof(*l)), *d = xmalloc(sizeof(*d));
	uint8_t *slot = xmalloc(DM_SLOT_SIZE), *again = xmalloc(DM_SLOT_SIZE);
	static const unsigned int every[] = {1, 2, 7, 479, DM_NS_MAX + 1};
	char why[256];

	(void)state;
	for (size_t k = 0; k < sizeof(every) / sizeof(every[0]); k++) {
		make_layout(l, every[k], 42 + k);
		dm_slot_encode(l, slot);
		assert_int_equal(dm_slot_decode(slot, d, why, sizeof(why)), 0);
		assert_layout_equal(l, d);
		dm_slot_encode(d, again);
		assert_memory_equal(slot, again, DM_SLOT_SIZE);
	}
	free(l);
	free(d);
	free(slot);
	free(again);
}

/* The byte layout, read back independently of the decoder. */
static void test_byte_layout(void **state)
{
	struct dm_layout *l = xmalloc(sizeof(*l));
	uint8_t *s = xmalloc(DM_SLOT_SIZE);
	static const uint8_t magic[16] = "DEVMEM_REGION\0\0";
	const uint8_t *e;
	const struct dm_ns *ns;
	uint64_t csum;

	(void)state;
	assert_int_equal(DM_META_SIZE, 0x20000); /* == DEVMEM_META_IO_MAX */
	assert_int_equal(DM_NS_MAX, 480);
	make_layout(l, 3, 0x0102030405060708ull);
	memset(l->ns[1].name, 0, sizeof(l->ns[1].name)); /* free: ignored */
	dm_slot_encode(l, s);

	assert_memory_equal(s, magic, 16);
	assert_int_equal(rd32(s + 16), 2);
	assert_int_equal(rd32(s + 20), 1);
	assert_int_equal(s[24], 0x08); /* little-endian */
	assert_int_equal(rd64(s + 24), 0x0102030405060708ull);
	assert_memory_equal(s + 40, l->region_uuid, 16);
	assert_int_equal(rd64(s + 56), l->region_size);
	assert_int_equal(rd32(s + 64), 65536);
	assert_int_equal(rd32(s + 68), 4096);
	assert_int_equal(rd32(s + 72), 128);
	assert_int_equal(rd32(s + 76), 480);
	assert_int_equal(rd32(s + 80), DM_NS_MAX / 3);
	assert_int_equal(rd32(s + 84), 0);
	assert_int_equal(rd32(s + 88), l->dax_region);
	assert_int_equal(rd64(s + 92), l->slots_offset);
	for (size_t i = 100; i < 4096; i++)
		assert_int_equal(s[i], 0);
	csum = rd64(s + 32);
	wr64(s + 32, 0);
	assert_int_equal(csum, ref_fletcher64(s, DM_SLOT_SIZE));
	wr64(s + 32, csum);

	ns = &l->ns[3];
	e = s + 4096 + 3 * 128;
	assert_memory_equal(e, ns->uuid, 16);
	assert_string_equal((const char *)e + 16, ns->name);
	for (size_t i = 16 + strlen(ns->name); i < 80; i++)
		assert_int_equal(e[i], 0);
	assert_int_equal(rd64(e + 80), ns->resv_offset);
	assert_int_equal(rd64(e + 88), ns->offset);
	assert_int_equal(rd64(e + 96), ns->size);
	assert_int_equal(rd32(e + 104), 1);
	assert_int_equal(rd32(e + 108), ns->align);
	assert_int_equal(rd32(e + 112), ns->map);
	assert_int_equal(rd32(e + 116), 1);
	for (size_t i = 120; i < 128; i++)
		assert_int_equal(e[i], 0);
	/* free entries are all zero */
	for (size_t i = 0; i < 128; i++)
		assert_int_equal(s[4096 + 128 + i], 0);
	free(l);
	free(s);
}

/* One corruption of a header field (re-sealed: the checksum stays valid,
 * so the field check itself must catch it). */
struct corruption {
	const char *what;
	unsigned int off, width;
	uint64_t value;
	int err;
	const char *says; /* expected part of the sentence */
	int reseal;
};

static const struct corruption corruptions[] = {
	{"magic", 0, 1, 'd', -ENOENT, "no devmem magic", 1},
	{"magic tail", 15, 1, 'X', -ENOENT, "no devmem magic", 1},
	{"major 7", 16, 4, 7, -EPROTONOSUPPORT,
	 "layout version 7.1 is not supported (this library reads 1.x and "
	 "2.x)",
	 1},
	{"slots offset 0", 92, 8, 0, -ERANGE, "slots offset 0x0 is not", 1},
	{"slots offset beyond", 92, 8, 0x3fff0000, -ERANGE,
	 "slots offset 0x3fff0000", 1},
	{"major 0", 16, 4, 0, -EPROTONOSUPPORT, "layout version 0.1", 1},
	{"seq 0", 24, 8, 0, -ERANGE, "generation is 0", 1},
	{"checksum", 32, 8, 0x1234, -EBADMSG,
	 "checksum 0x0000000000001234 does not match computed 0x", 0},
	{"region size unaligned", 56, 8, 0x40000800, -ERANGE,
	 "region size 0x40000800", 1},
	{"region size small", 56, 8, 0x1f000, -ERANGE, "region size 0x1f000",
	 1},
	{"slot size", 64, 4, 0x8000, -ERANGE,
	 "slot size is 32768, expected "
	 "65536",
	 1},
	{"ns offset", 68, 4, 0x2000, -ERANGE,
	 "namespace table offset is 8192, expected 4096", 1},
	{"ns entry size", 72, 4, 256, -ERANGE,
	 "namespace entry size is 256, expected 128", 1},
	{"ns max", 76, 4, 481, -ERANGE,
	 "namespace table length is 481, expected 480", 1},
	{"ns count high", 80, 4, 5, -ERANGE,
	 "namespace count is 5 but 3 entries are valid", 1},
	{"ns count low", 80, 4, 0, -ERANGE,
	 "namespace count is 0 but 3 entries are valid", 1},
	{"name unterminated", 4096 + 16 + 63, 1, 'x', -ERANGE,
	 "namespace entry 0: name is not NUL-terminated", 1},
	{"not resealed", 4096 + 100, 1, 0x55, -EBADMSG, "does not match", 0},
};

static void make_small(struct dm_layout *l)
{
	dm_layout_init(l, (const uint8_t *)"0123456789abcdef", 0x40000000);
	l->seq = 3;
	for (unsigned int i = 0; i < 3; i++)
		fill_ns(&l->ns[i * 100], i);
	/* a name that fills all 63 bytes: the NUL is the 64th */
	memset(l->ns[0].name, 'n', DM_NAME_MAX - 1);
}

static void test_header_corruption(void **state)
{
	const struct corruption *c = *state;
	struct dm_layout *l = xmalloc(sizeof(*l));
	uint8_t *s = xmalloc(DM_SLOT_SIZE);
	char why[256];
	int rc;

	make_small(l);
	dm_slot_encode(l, s);
	assert_int_equal(dm_slot_decode(s, NULL, why, sizeof(why)), 0);
	if (c->width == 1)
		s[c->off] = (uint8_t)c->value;
	else if (c->width == 4)
		wr32(s + c->off, (uint32_t)c->value);
	else
		wr64(s + c->off, c->value);
	if (c->reseal)
		reseal(s);
	rc = dm_slot_decode(s, l, why, sizeof(why));
	print_message("%-22s -> %d \"%s\"\n", c->what, rc, why);
	assert_int_equal(rc, c->err);
	assert_non_null(strstr(why, c->says));
	free(l);
	free(s);
}

/* Any minor of major 2 reads; reserved bytes are ignored; free entries'
 * contents are ignored; unknown flag bits are dropped. */
static void test_minor_compat(void **state)
{
	struct dm_layout *l = xmalloc(sizeof(*l)), *d = xmalloc(sizeof(*d));
	uint8_t *s = xmalloc(DM_SLOT_SIZE);
	char why[256];

	(void)state;
	make_small(l);
	dm_slot_encode(l, s);
	wr32(s + 20, 9);      /* minor 9 */
	s[100] = 0xaa;	      /* a field of a later minor in the header */
	s[4096 + 125] = 0xbb; /* ... and in entry 0 */
	wr32(s + 4096 + 116, 0x80000001u); /* a later flag bit */
	s[4096 + 128 * 7 + 3] = 0xcc;	   /* junk in a free entry */
	reseal(s);
	assert_int_equal(dm_slot_decode(s, d, why, sizeof(why)), 0);
	assert_int_equal(d->major, 2);
	assert_int_equal(d->minor, 9);
	assert_int_equal(d->ns[0].flags, DM_NS_FLAG_VALID);
	assert_int_equal(d->ns[7].flags, 0);
	l->minor = 9;
	assert_layout_equal(l, d);
	/* the writer stamps its own version */
	dm_slot_encode(d, s);
	assert_int_equal(rd32(s + 20), DM_FMT_MINOR);
	assert_int_equal(s[100], 0);
	free(l);
	free(d);
	free(s);
}

static void test_bit_flips(void **state)
{
	struct dm_layout *l = xmalloc(sizeof(*l));
	uint8_t *s = xmalloc(DM_SLOT_SIZE);
	unsigned long caught = 0;

	(void)state;
	make_layout(l, 5, 77);
	dm_slot_encode(l, s);
	for (size_t byte = 0; byte < DM_SLOT_SIZE; byte++) {
		for (int bit = 0; bit < 8; bit++) {
			int rc;

			s[byte] ^= (uint8_t)(1u << bit);
			rc = dm_slot_decode(s, NULL, NULL, 0);
			s[byte] ^= (uint8_t)(1u << bit);
			if (rc == 0)
				fail_msg("flip of bit %d at 0x%zx not caught",
					 bit, byte);
			if (byte >= 16 + 4) /* past magic and major */
				assert_int_equal(rc, -EBADMSG);
			caught++;
		}
	}
	print_message("%lu single-bit flips caught\n", caught);
	assert_int_equal(dm_slot_decode(s, NULL, NULL, 0), 0);
	free(l);
	free(s);
}

static void test_decode_zero(void **state)
{
	uint8_t *s = xmalloc(DM_SLOT_SIZE);
	char why[64];

	(void)state;
	assert_int_equal(dm_slot_decode(s, NULL, why, sizeof(why)), -ENODATA);
	s[DM_SLOT_SIZE - 1] = 1;
	assert_int_equal(dm_slot_decode(s, NULL, why, sizeof(why)), -ENOENT);
	free(s);
}

static void test_name_valid(void **state)
{
	char longest[DM_NAME_MAX], too_long[DM_NAME_MAX + 1];

	(void)state;
	memset(longest, 'a', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	memset(too_long, 'a', sizeof(too_long) - 1);
	too_long[sizeof(too_long) - 1] = '\0';
	assert_int_equal(dm_name_valid("db-1.log_A"), 0);
	assert_int_equal(dm_name_valid("a"), 0);
	assert_int_equal(dm_name_valid(longest), 0);
	assert_int_equal(dm_name_valid(too_long), -EINVAL);
	assert_int_equal(dm_name_valid(""), -EINVAL);
	assert_int_equal(dm_name_valid(NULL), -EINVAL);
	assert_int_equal(dm_name_valid("a b"), -EINVAL);
	assert_int_equal(dm_name_valid("a/b"), -EINVAL);
	assert_int_equal(dm_name_valid("caf\xc3\xa9"), -EINVAL);
}

/* The metadata area with generation @s0 in slot 0 and @s1 in slot 1 (0 =
 * leave the slot zero). */
static uint8_t *make_meta(uint64_t s0, uint64_t s1)
{
	struct dm_layout *l = xmalloc(sizeof(*l));
	uint8_t *m = xmalloc(META_LEN);

	make_small(l);
	if (s0) {
		l->seq = s0;
		snprintf(l->ns[0].name, sizeof(l->ns[0].name), "gen%llu",
			 (unsigned long long)s0);
		dm_slot_encode(l, m);
	}
	if (s1) {
		l->seq = s1;
		snprintf(l->ns[0].name, sizeof(l->ns[0].name), "gen%llu",
			 (unsigned long long)s1);
		dm_slot_encode(l, m + DM_SLOT_SIZE);
	}
	free(l);
	return m;
}

static void assert_order(const struct dm_meta_report *rep, unsigned int a,
			 unsigned int b)
{
	unsigned int order[DM_NR_SLOTS];

	dm_meta_write_order(rep, order);
	assert_int_equal(order[0], a);
	assert_int_equal(order[1], b);
}

static void test_inspect_blank(void **state)
{
	uint8_t *m = xmalloc(META_LEN + 4096);
	struct dm_meta_report rep;

	(void)state;
	assert_int_equal(dm_meta_inspect(m, META_LEN + 4096, NULL, &rep),
			 DM_META_BLANK);
	assert_int_equal(rep.slot_err[0], -ENODATA);
	assert_int_equal(rep.slot_err[1], -ENODATA);
	assert_order(&rep, 1, 0);
	/* non-zero beyond the slots, in the area given: not blank */
	m[META_LEN + 17] = 1;
	assert_int_equal(dm_meta_inspect(m, META_LEN + 4096, NULL, &rep),
			 DM_META_FOREIGN);
	assert_non_null(strstr(rep.why, "at offset 0x20011"));
	/* too short an area */
	assert_int_equal(dm_meta_inspect(m, META_LEN - 1, NULL, &rep),
			 DM_META_CORRUPT);
	free(m);
}

static void test_inspect_valid(void **state)
{
	struct dm_layout *cur = xmalloc(sizeof(*cur));
	struct dm_meta_report rep;
	uint8_t *m;

	(void)state;
	/* newest of two, in either slot */
	m = make_meta(4, 5);
	assert_int_equal(dm_meta_inspect(m, META_LEN, cur, &rep),
			 DM_META_VALID);
	assert_int_equal(rep.current, 1);
	assert_int_equal(rep.slot_seq[0], 4);
	assert_int_equal(rep.slot_seq[1], 5);
	assert_int_equal(cur->seq, 5);
	assert_string_equal(cur->ns[0].name, "gen5");
	assert_string_equal(rep.why, "");
	assert_order(&rep, 0, 1);
	free(m);

	m = make_meta(9, 8);
	assert_int_equal(dm_meta_inspect(m, META_LEN, cur, &rep),
			 DM_META_VALID);
	assert_int_equal(rep.current, 0);
	assert_string_equal(cur->ns[0].name, "gen9");
	assert_order(&rep, 1, 0);
	free(m);

	/* a tie: slot 0 is current, slot 1 is written first */
	m = make_meta(6, 6);
	assert_int_equal(dm_meta_inspect(m, META_LEN, cur, &rep),
			 DM_META_VALID);
	assert_int_equal(rep.current, 0);
	assert_order(&rep, 1, 0);
	free(m);

	/* only one slot written yet (torn creation after the first write) */
	m = make_meta(0, 1);
	assert_int_equal(dm_meta_inspect(m, META_LEN, cur, &rep),
			 DM_META_VALID);
	assert_int_equal(rep.current, 1);
	assert_int_equal(rep.slot_err[0], -ENODATA);
	assert_non_null(strstr(rep.why, "slot 0: slot is all zero"));
	assert_order(&rep, 0, 1);
	free(m);
	free(cur);
}

static void test_inspect_torn(void **state)
{
	struct dm_layout *cur = xmalloc(sizeof(*cur));
	struct dm_meta_report rep;
	uint8_t *m;

	(void)state;
	for (unsigned int torn = 0; torn < DM_NR_SLOTS; torn++) {
		/* the torn slot held the newer generation */
		m = make_meta(torn == 0 ? 8 : 7, torn == 1 ? 8 : 7);
		for (size_t i = 1000; i < 3000; i++)
			m[torn * DM_SLOT_SIZE + i * 7] = (uint8_t)rnd();
		assert_int_equal(dm_meta_inspect(m, META_LEN, cur, &rep),
				 DM_META_VALID);
		assert_int_equal(rep.current, 1 - torn);
		assert_int_equal(rep.slot_err[torn], -EBADMSG);
		assert_int_equal(rep.slot_seq[torn], 0);
		assert_int_equal(cur->seq, 7);
		print_message("torn slot %u: %s\n", torn, rep.why);
		assert_non_null(strstr(rep.why, "does not match computed"));
		/* the next write goes over the torn slot first */
		assert_order(&rep, torn, 1 - torn);
		free(m);
	}

	/* both torn */
	m = make_meta(3, 4);
	m[5000] ^= 1;
	m[DM_SLOT_SIZE + 9000] ^= 0x80;
	assert_int_equal(dm_meta_inspect(m, META_LEN, cur, &rep),
			 DM_META_CORRUPT);
	print_message("both torn: %s\n", rep.why);
	assert_non_null(strstr(rep.why, "slot 0: checksum 0x"));
	assert_non_null(strstr(rep.why, "slot 1: checksum 0x"));
	assert_order(&rep, 1, 0);
	free(m);

	/* one torn, the other blank (a torn creation) */
	m = make_meta(0, 1);
	m[DM_SLOT_SIZE + 40000] ^= 4;
	assert_int_equal(dm_meta_inspect(m, META_LEN, cur, &rep),
			 DM_META_CORRUPT);
	free(m);
	free(cur);
}

/*
 * A claim of a blank area cut inside the first header it writes (a prefix
 * of the header over zeros), and a release cut inside the last header it
 * erases (zeros over a suffix of the header): no layout, read as blank, and
 * the next write may go anywhere. A torn header over a table that holds an
 * entry, or a torn header of another major, is not that.
 */
static void test_inspect_torn_empty(void **state)
{
	static const size_t cuts[] = {1,  8,  15, 16, 17, 20,
				      28, 36, 64, 70, 80, 88};
	struct dm_layout *l = xmalloc(sizeof(*l));
	uint8_t *full = xmalloc(DM_SLOT_SIZE), *m;
	struct dm_meta_report rep;
	uint8_t uuid[16] = {0x5a};

	(void)state;
	dm_layout_init(l, uuid, 0x40000000);
	l->seq = 1;
	l->dax_region = 100;
	dm_slot_encode(l, full);
	/* the last non-zero bytes of the header: dax_region's first, and the
	 * slots offset */
	for (size_t i = 89; i < DM_SLOT_SIZE; i++)
		if (i < 92 || i >= 100)
			assert_int_equal(full[i], 0);
	for (unsigned int k = 0; k < DM_NR_SLOTS; k++) {
		for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
			size_t cut = cuts[c];
			uint8_t *s;

			/* claim: the first cut bytes written over zeros */
			m = xmalloc(META_LEN);
			s = m + (size_t)k * DM_SLOT_SIZE;
			memcpy(s, full, cut);
			assert_int_equal(
				dm_meta_inspect(m, META_LEN, NULL, &rep),
				DM_META_BLANK);
			assert_non_null(strstr(rep.why, "cut short"));
			/* release: the first cut bytes zeroed */
			memcpy(s, full, DM_HDR_SIZE);
			memset(s, 0, cut);
			assert_int_equal(
				dm_meta_inspect(m, META_LEN, NULL, &rep),
				DM_META_BLANK);
			free(m);
		}
	}
	/* the whole header over an empty table is a valid layout */
	m = xmalloc(META_LEN);
	memcpy(m + DM_SLOT_SIZE, full, DM_HDR_SIZE);
	assert_int_equal(dm_meta_inspect(m, META_LEN, NULL, &rep),
			 DM_META_VALID);
	/* a torn header over a table with an entry: damage */
	m[DM_SLOT_SIZE + 40] ^= 1;
	m[DM_SLOT_SIZE + DM_HDR_SIZE + 16] = 'a';
	assert_int_equal(dm_meta_inspect(m, META_LEN, NULL, &rep),
			 DM_META_CORRUPT);
	/* a header of another major, the other slot blank */
	memset(m + DM_SLOT_SIZE + DM_HDR_SIZE, 0, 64);
	wr32(m + DM_SLOT_SIZE + 16, 3);
	assert_int_equal(dm_meta_inspect(m, META_LEN, NULL, &rep),
			 DM_META_UNSUPPORTED);
	/* a torn header while the other slot holds something */
	wr32(m + DM_SLOT_SIZE + 16, 2);
	m[4096 * 3] = 1;
	assert_int_equal(dm_meta_inspect(m, META_LEN, NULL, &rep),
			 DM_META_CORRUPT);
	free(m);
	free(full);
	free(l);
}

static void test_inspect_unsupported(void **state)
{
	struct dm_meta_report rep;
	uint8_t *m = make_meta(2, 3);

	(void)state;
	wr32(m + DM_SLOT_SIZE + 16, 3);
	/* one future slot and one valid: the valid one is used */
	assert_int_equal(dm_meta_inspect(m, META_LEN, NULL, &rep),
			 DM_META_VALID);
	assert_int_equal(rep.current, 0);
	assert_int_equal(rep.slot_err[1], -EPROTONOSUPPORT);
	wr32(m + 16, 7);
	assert_int_equal(dm_meta_inspect(m, META_LEN, NULL, &rep),
			 DM_META_UNSUPPORTED);
	print_message("%s\n", rep.why);
	assert_string_equal(rep.why, "slot 0: layout version 7.1 is not "
				     "supported (this library reads 1.x and "
				     "2.x)");
	free(m);
}

struct foreign {
	const char *what;
	unsigned int off;
	const char *sig;
	size_t len;
	const char *why;
};

static const struct foreign foreigns[] = {
	{"pfn", 4096, "NVDIMM_PFN_INFO\0", 16,
	 "found an nvdimm pfn info block (ndctl fsdax/sector namespace) at "
	 "offset 0x1000"},
	{"dax", 4096, "NVDIMM_DAX_INFO\0", 16,
	 "found an nvdimm device-dax info block (ndctl devdax namespace) at "
	 "offset 0x1000"},
	{"btt", 4096, "BTT_ARENA_INFO\0", 15,
	 "found a BTT arena info block (ndctl sector namespace) at offset "
	 "0x1000"},
	{"ext4", 0x438, "\x53\xef", 2,
	 "found an ext2/3/4 superblock (magic 0xef53 at offset 0x438)"},
	{"xfs", 0, "XFSB", 4,
	 "found an xfs superblock (magic \"XFSB\" at offset 0x0)"},
	{"junk", 0x1234, "\x01", 1,
	 "found unrecognised non-zero data at offset 0x1234"},
	{"junk slot 1", DM_SLOT_SIZE + 8, "DEVMEM", 6,
	 "found unrecognised non-zero data at offset 0x10008"},
};

static void test_inspect_foreign(void **state)
{
	const struct foreign *f = *state;
	uint8_t *m = xmalloc(META_LEN);
	struct dm_meta_report rep;

	memcpy(m + f->off, f->sig, f->len);
	if (f->off == 4096)
		m[4096 + 64] = 0x42; /* some of the info block's body */
	assert_int_equal(dm_meta_inspect(m, META_LEN, NULL, &rep),
			 DM_META_FOREIGN);
	print_message("%s: %s\n", f->what, rep.why);
	assert_string_equal(rep.why, f->why);
	assert_true(rep.slot_err[0] == -ENODATA || rep.slot_err[0] == -ENOENT);
	assert_true(rep.slot_err[1] == -ENODATA || rep.slot_err[1] == -ENOENT);
	assert_order(&rep, 1, 0);
	free(m);
}

/*
 * The update protocol end to end: write generation n + 1 in the order given,
 * "crash" after every prefix of every slot write (torn at many points), and
 * check that a reader always finds generation n or n + 1, never less and
 * never nothing.
 */
static void test_update_protocol(void **state)
{
	static const size_t cuts[] = {
		0, 8, 16, 24, 40, 100, 4096, 4736, 30000, 65532, DM_SLOT_SIZE};
	static const uint64_t starts[][2] = {{0, 0}, {1, 0}, {0, 1},
					     {4, 5}, {5, 4}, {6, 6}};
	struct dm_layout *next = xmalloc(sizeof(*next));
	uint8_t *slot = xmalloc(DM_SLOT_SIZE);
	struct dm_meta_report rep, after;
	unsigned int order[DM_NR_SLOTS];

	(void)state;
	for (size_t c = 0; c < sizeof(starts) / sizeof(starts[0]); c++) {
		uint8_t *m = make_meta(starts[c][0], starts[c][1]);
		uint8_t *t = xmalloc(META_LEN);
		uint64_t old = 0, want;
		int done;

		dm_meta_inspect(m, META_LEN, next, &rep);
		if (rep.state == DM_META_VALID)
			old = next->seq;
		else
			make_small(next);
		next->seq = old + 1;
		snprintf(next->ns[0].name, sizeof(next->ns[0].name), "new");
		dm_slot_encode(next, slot);
		dm_meta_write_order(&rep, order);
		if (rep.state == DM_META_VALID)
			assert_int_not_equal(order[0], rep.current);
		for (unsigned int w = 0; w < DM_NR_SLOTS; w++) {
			for (size_t ci = 0; ci < sizeof(cuts) / sizeof(cuts[0]);
			     ci++) {
				size_t cut = cuts[ci];

				memcpy(t, m, META_LEN);
				for (unsigned int p = 0; p < w; p++)
					memcpy(t + order[p] * DM_SLOT_SIZE,
					       slot, DM_SLOT_SIZE);
				memcpy(t + order[w] * DM_SLOT_SIZE, slot, cut);
				/* a prefix may already hold every non-zero
				 * byte over a blank slot: then it is whole */
				done = w > 0 ||
				       !memcmp(t + order[w] * DM_SLOT_SIZE,
					       slot, DM_SLOT_SIZE);
				dm_meta_inspect(t, META_LEN, NULL, &after);
				if (old == 0 && !done) {
					/* creation torn before one full copy */
					assert_int_not_equal(after.state,
							     DM_META_VALID);
					continue;
				}
				assert_int_equal(after.state, DM_META_VALID);
				want = done ? old + 1 : old;
				assert_int_equal(after.slot_seq[after.current],
						 want);
			}
		}
		free(m);
		free(t);
	}
	free(next);
	free(slot);
}

static void test_write_order_states(void **state)
{
	struct dm_meta_report rep;

	(void)state;
	memset(&rep, 0, sizeof(rep));
	rep.state = DM_META_BLANK;
	assert_order(&rep, 1, 0);
	rep.state = DM_META_CORRUPT;
	assert_order(&rep, 1, 0);
	rep.state = DM_META_FOREIGN;
	assert_order(&rep, 1, 0);
	rep.state = DM_META_VALID;
	rep.current = 0;
	assert_order(&rep, 1, 0);
	rep.current = 1;
	assert_order(&rep, 0, 1);
	assert_order(NULL, 1, 0);
}

#define CORRUPTION(i)                                                          \
	cmocka_unit_test_prestate(test_header_corruption,                      \
				  (void *)&corruptions[i])
#define FOREIGN(i)                                                             \
	cmocka_unit_test_prestate(test_inspect_foreign, (void *)&foreigns[i])

/* A 2.x region as it is on media: head (anchor) and tail (slots). */
struct area {
	uint8_t *head, *slots;
	struct dm_layout *l;
};

static void make_area(struct area *a)
{
	a->l = xmalloc(sizeof(*a->l));
	make_small(a->l); /* 2.0, slots at 1 GiB - GUARD */
	a->head = xmalloc(DM_HEAD_SIZE);
	a->slots = make_meta(3, 2);
	dm_anchor_encode(a->l, a->head);
}

static void free_area(struct area *a)
{
	free(a->head);
	free(a->slots);
	free(a->l);
}

static enum dm_meta_state area_state(const struct area *a,
				     struct dm_meta_report *rep)
{
	uint64_t off = 0;
	int located = dm_area_locate(a->head, DM_HEAD_SIZE, &off);

	if (located)
		assert_int_equal(off, a->l->slots_offset);
	return dm_area_inspect(a->head, DM_HEAD_SIZE, located ? a->slots : NULL,
			       NULL, rep);
}

/* The anchor's bytes, read back independently of the decoder. */
static void test_anchor_layout(void **state)
{
	static const uint8_t magic[16] = "DEVMEM_REGION\0\0";
	struct area a;

	(void)state;
	make_area(&a);
	assert_int_equal(a.l->slots_offset, 0x40000000 - 0x1ff000);
	for (unsigned int c = 0; c < 2; c++) {
		uint8_t *p = a.head + c * DM_ANCHOR_COPY;

		assert_memory_equal(p, magic, 16);
		assert_int_equal(rd32(p + 16), 2);
		assert_int_equal(rd32(p + 20), 1);
		assert_memory_equal(p + 32, "ANCHOR\0\0", 8);
		assert_memory_equal(p + 40, a.l->region_uuid, 16);
		assert_int_equal(rd64(p + 56), a.l->slots_offset);
		assert_int_equal(rd32(p + 64), 65536);
		assert_int_equal(rd32(p + 68), 2);
		assert_int_equal(rd32(p + 72), 2048);
		assert_int_equal(rd32(p + 76), 0);
		for (size_t i = 80; i < DM_ANCHOR_COPY; i++)
			assert_int_equal(p[i], 0);
		uint64_t csum = rd64(p + 24);

		wr64(p + 24, 0);
		assert_int_equal(csum, ref_fletcher64(p, DM_ANCHOR_COPY));
		wr64(p + 24, csum);
	}
	for (size_t i = DM_ANCHOR_SIZE; i < DM_HEAD_SIZE; i++)
		assert_int_equal(a.head[i], 0);
	free_area(&a);
}

static void test_area_inspect(void **state)
{
	struct dm_meta_report rep;
	struct dm_layout *cur = xmalloc(sizeof(*cur));
	struct area a;

	(void)state;
	make_area(&a);
	assert_int_equal(
		dm_area_inspect(a.head, DM_HEAD_SIZE, a.slots, cur, &rep),
		DM_META_VALID);
	assert_true(rep.anchored);
	assert_int_equal(rep.slots_offset, a.l->slots_offset);
	assert_int_equal(cur->seq, 3);
	assert_int_equal(cur->major, 2);

	/* one anchor copy damaged: the other one is used, and it is noted */
	a.head[100] = 0x55;
	assert_int_equal(area_state(&a, &rep), DM_META_VALID);
	assert_int_equal(rep.anchor_err[0], -EBADMSG);
	assert_int_equal(rep.anchor_err[1], 0);
	/* both damaged: the slots are not known */
	a.head[DM_ANCHOR_COPY + 24] ^= 1;
	assert_int_equal(area_state(&a, &rep), DM_META_CORRUPT);
	print_message("%s\n", rep.why);
	assert_non_null(strstr(rep.why, "no valid anchor copy; copy 0: "
					"checksum"));
	dm_anchor_encode(a.l, a.head);

	/* slots of another layout (UUID) under this anchor */
	a.head[40] ^= 1;
	a.head[DM_ANCHOR_COPY + 40] ^= 1;
	for (unsigned int c = 0; c < 2; c++) {
		uint8_t *p = a.head + c * DM_ANCHOR_COPY;

		wr64(p + 24, 0);
		wr64(p + 24, ref_fletcher64(p, DM_ANCHOR_COPY));
	}
	assert_int_equal(area_state(&a, &rep), DM_META_CORRUPT);
	assert_int_equal(rep.slot_err[0], -ERANGE);
	print_message("%s\n", rep.why);
	assert_non_null(strstr(rep.why, "region UUID is not the anchor's"));
	dm_anchor_encode(a.l, a.head);

	/* blank slots under a valid anchor: corrupt, not blank */
	memset(a.slots, 0, META_LEN);
	assert_int_equal(area_state(&a, &rep), DM_META_CORRUPT);
	assert_non_null(strstr(rep.why, "no devmem copy is there"));
	/* the slots were not read (past the region's end) */
	assert_int_equal(
		dm_area_inspect(a.head, DM_HEAD_SIZE, NULL, NULL, &rep),
		DM_META_CORRUPT);

	/* a later major in the anchor */
	wr32(a.head + 16, 3);
	wr32(a.head + DM_ANCHOR_COPY + 16, 3);
	assert_int_equal(area_state(&a, &rep), DM_META_UNSUPPORTED);
	assert_non_null(strstr(rep.why, "anchor: layout version 3.1"));

	/* no anchor: a 1.x head is read as before; 2.x slots there are not */
	memset(a.head, 0, DM_HEAD_SIZE);
	a.l->major = DM_FMT_MAJOR_V1;
	a.l->seq = 4;
	dm_slot_encode(a.l, a.head + DM_SLOT_SIZE);
	assert_int_equal(dm_area_inspect(a.head, DM_HEAD_SIZE, NULL, cur, &rep),
			 DM_META_VALID);
	assert_false(rep.anchored);
	assert_int_equal(cur->major, 1);
	assert_int_equal(cur->slots_offset, 0);
	assert_int_equal(dm_layout_head(cur), DM_META_SIZE);
	a.l->major = DM_FMT_MAJOR;
	dm_slot_encode(a.l, a.head + DM_SLOT_SIZE);
	assert_int_equal(
		dm_area_inspect(a.head, DM_HEAD_SIZE, NULL, NULL, &rep),
		DM_META_CORRUPT);
	assert_non_null(strstr(rep.why, "a 2.x copy where a 1.x copy belongs"));
	free(cur);
	free_area(&a);
}

/*
 * Claim writes the anchor page last, release zeroes it first (after the
 * rest of the head): a cut inside either leaves parts of the anchor over
 * zeros, or zeros over parts of it, which read as blank. Damage that is
 * not an anchor's bytes is not that.
 */
static void test_area_torn_anchor(void **state)
{
	static const size_t cuts[] = {1,    8,	  16,	17,   24,   33,
				      40,   57,	  70,	2047, 2048, 2049,
				      2056, 2100, 2127, 4095};
	struct dm_meta_report rep;
	uint8_t *full = xmalloc(DM_ANCHOR_SIZE);
	struct area a;

	(void)state;
	make_area(&a);
	memcpy(full, a.head, DM_ANCHOR_SIZE);
	for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
		size_t cut = cuts[c];
		enum dm_meta_state st;

		/* claim: the first cut bytes of the page written */
		memset(a.head, 0, DM_ANCHOR_SIZE);
		memcpy(a.head, full, cut);
		/* copy 0 is whole once its 80 set bytes are: committed */
		st = area_state(&a, &rep);
		assert_int_equal(st, cut >= 80 ? DM_META_VALID : DM_META_BLANK);
		if (st == DM_META_BLANK)
			assert_non_null(strstr(rep.why, "cut short"));
		/* release: the first cut bytes zeroed; copy 1 holds until
		 * its own bytes go */
		memcpy(a.head, full, DM_ANCHOR_SIZE);
		memset(a.head, 0, cut);
		st = area_state(&a, &rep);
		assert_int_equal(st, cut <= DM_ANCHOR_COPY ? DM_META_VALID
							   : DM_META_BLANK);
	}
	/* a part of an anchor with other data in the head: not a cut, but
	 * the magic of a devmem anchor with no valid copy */
	memset(a.head, 0, DM_ANCHOR_SIZE);
	memcpy(a.head, full, 20);
	a.head[0x3000] = 1;
	assert_int_equal(area_state(&a, &rep), DM_META_CORRUPT);
	a.head[0x3000] = 0;
	a.head[8] = 'x'; /* not the magic's byte */
	assert_int_equal(area_state(&a, &rep), DM_META_FOREIGN);
	free(full);
	free_area(&a);
}

static void test_slots_reusable(void **state)
{
	uint8_t *m = make_meta(0, 0);

	(void)state;
	assert_int_equal(dm_slots_reusable(m), DM_META_SIZE);
	free(m);
	m = make_meta(5, 0); /* leftovers of a claim cut short */
	assert_int_equal(dm_slots_reusable(m), DM_META_SIZE);
	m[DM_SLOT_SIZE + 0x123] = 7; /* someone else's byte */
	assert_int_equal(dm_slots_reusable(m), DM_SLOT_SIZE + 0x123);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fletcher_vectors),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_byte_layout),
		CORRUPTION(0),
		CORRUPTION(1),
		CORRUPTION(2),
		CORRUPTION(3),
		CORRUPTION(4),
		CORRUPTION(5),
		CORRUPTION(6),
		CORRUPTION(7),
		CORRUPTION(8),
		CORRUPTION(9),
		CORRUPTION(10),
		CORRUPTION(11),
		CORRUPTION(12),
		CORRUPTION(13),
		CORRUPTION(14),
		CORRUPTION(15),
		CORRUPTION(16),
		CORRUPTION(17),
		cmocka_unit_test(test_minor_compat),
		cmocka_unit_test(test_bit_flips),
		cmocka_unit_test(test_decode_zero),
		cmocka_unit_test(test_name_valid),
		cmocka_unit_test(test_inspect_blank),
		cmocka_unit_test(test_inspect_valid),
		cmocka_unit_test(test_inspect_torn),
		cmocka_unit_test(test_inspect_torn_empty),
		cmocka_unit_test(test_inspect_unsupported),
		FOREIGN(0),
		FOREIGN(1),
		FOREIGN(2),
		FOREIGN(3),
		FOREIGN(4),
		FOREIGN(5),
		FOREIGN(6),
		cmocka_unit_test(test_anchor_layout),
		cmocka_unit_test(test_area_inspect),
		cmocka_unit_test(test_area_torn_anchor),
		cmocka_unit_test(test_slots_reusable),
		cmocka_unit_test(test_update_protocol),
		cmocka_unit_test(test_write_order_states),
	};
	_Static_assert(sizeof(corruptions) / sizeof(corruptions[0]) == 18,
		       "list every corruption in main()");
	_Static_assert(sizeof(foreigns) / sizeof(foreigns[0]) == 7,
		       "list every foreign format in main()");

	rng_state = 0x5eed0fdeadbeefull;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
