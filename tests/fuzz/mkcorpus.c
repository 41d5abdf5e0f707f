// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Writes the seed corpus of the fuzz targets into DIR/<target>/ (checked
 * in as tests/fuzz/corpus/): metadata areas in every state the format
 * knows (blank, valid, torn, damaged, foreign, too new, sealed nonsense),
 * operation sequences for fuzz-layout and command lines for fuzz-cli.
 * Build and run: make -C tests/fuzz corpus.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "layout.h"

#define META_LEN ((size_t)DM_NR_SLOTS * DM_SLOT_SIZE)
#define REGION	 (256ull << 20)

static const char *dir;
static uint8_t meta[META_LEN];

static void put(const char *target, const char *name, const void *buf,
		size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void add_ns(struct dm_layout *l, unsigned int i, uint64_t size,
		   uint32_t align, uint32_t map)
{
	struct dm_place_req req = {.size = size, .align = align, .map = map};
	struct dm_ns *ns = &l->ns[i];
	char why[256];

	memset(ns, 0, sizeof(*ns));
	if (dm_layout_place(l, &req, ns, why, sizeof(why))) {
		fprintf(stderr, "mkcorpus: %s\n", why);
		exit(1);
	}
	ns->uuid[0] = (uint8_t)(i + 1);
	ns->uuid[15] = 0x5a;
	snprintf(ns->name, sizeof(ns->name), "ns%u", i);
	ns->mode = DM_MODE_DEVDAX;
	ns->flags = DM_NS_FLAG_VALID;
}

static void layout3(struct dm_layout *l, uint64_t seq)
{
	dm_layout_init(l, (const uint8_t *)"corpus-region-id", REGION);
	add_ns(l, 0, 64ull << 20, 0x200000, DM_MAP_DEV);
	add_ns(l, 1, 4ull << 20, 0x1000, DM_MAP_MEM);
	l->ns[1].mode = DM_MODE_FSDAX; /* 2.1 */
	add_ns(l, 2, 0, 0x1000, DM_MAP_MEM);
	l->seq = seq;
}

static void slot(unsigned int k, const struct dm_layout *l)
{
	dm_slot_encode(l, meta + (size_t)k * DM_SLOT_SIZE);
}

/* re-seal slot k after editing it: the checksum is right again */
static void reseal(unsigned int k)
{
	uint8_t *s = meta + (size_t)k * DM_SLOT_SIZE;
	uint64_t c;

	memset(s + 32, 0, 8);
	c = dm_fletcher64(s, DM_SLOT_SIZE);
	for (int i = 0; i < 8; i++)
		s[32 + i] = (uint8_t)(c >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void meta_seeds(void)
{
	static struct dm_layout a, b;
	const char *t = "fuzz-meta";
	uint8_t *e1 = meta + DM_HDR_SIZE + DM_NS_ENTRY_SIZE; /* slot 0, ns1 */

	memset(meta, 0, sizeof(meta));
	put(t, "blank", meta, sizeof(meta));

	dm_layout_init(&a, (const uint8_t *)"corpus-region-id", REGION);
	a.seq = 1;
	slot(0, &a);
	slot(1, &a);
	put(t, "valid-empty", meta, sizeof(meta));

	layout3(&a, 7);
	slot(0, &a);
	slot(1, &a);
	put(t, "valid-3ns", meta, sizeof(meta));

	/* mid-update: slot 1 has the new generation, slot 0 the previous */
	layout3(&b, 8);
	memset(&b.ns[2], 0, sizeof(b.ns[2]));
	slot(1, &b);
	put(t, "newer-in-slot1", meta, sizeof(meta));

	/* torn: the first 4 KiB of slot 1 (header) new, the rest old */
	slot(0, &a);
	slot(1, &a);
	{
		static uint8_t s[DM_SLOT_SIZE];

		dm_slot_encode(&b, s);
		memcpy(meta + DM_SLOT_SIZE, s, 0x1000);
	}
	put(t, "torn-slot1-header", meta, sizeof(meta));

	/* slot 0 checksum wrong, slot 1 good */
	slot(0, &a);
	slot(1, &a);
	meta[40] ^= 0x01;
	put(t, "bad-csum-slot0", meta, sizeof(meta));
	meta[DM_SLOT_SIZE + 0x2000] ^= 0x80;
	put(t, "bad-csum-both", meta, sizeof(meta));

	/* future major version in both slots (re-sealed) */
	slot(0, &a);
	slot(1, &a);
	meta[16] = 3;
	meta[DM_SLOT_SIZE + 16] = 3;
	reseal(0);
	reseal(1);
	put(t, "major-3", meta, sizeof(meta));

	/* a 1.0 layout, as the first release wrote it (slots at 0) */
	a.major = DM_FMT_MAJOR_V1;
	a.slots_offset = 0;
	slot(0, &a);
	slot(1, &a);
	put(t, "v1-valid", meta, sizeof(meta));
	a.major = DM_FMT_MAJOR;
	a.slots_offset = REGION - 0x1ff000;

	/* a 2.0 anchor over zeros (the head of a 2.x region) */
	memset(meta, 0, sizeof(meta));
	dm_anchor_encode(&a, meta);
	put(t, "anchor-head", meta, sizeof(meta));
	meta[0x810] ^= 0x01; /* copy 1 damaged */
	put(t, "anchor-copy1-bad", meta, sizeof(meta));

	/* ns1 overlaps ns0; ns1 past the end of the region (re-sealed) */
	slot(0, &a);
	slot(1, &a);
	put64(e1 + 80, a.ns[0].resv_offset);
	put64(e1 + 88, a.ns[0].offset);
	reseal(0);
	put(t, "overlap-slot0", meta, sizeof(meta));
	slot(0, &a);
	put64(e1 + 88, REGION - 0x1000);
	reseal(0);
	put(t, "outside-slot0", meta, sizeof(meta));

	/* namespace count off by one (re-sealed) */
	slot(0, &a);
	meta[80] = 4;
	reseal(0);
	meta[DM_SLOT_SIZE + 80] = 2;
	reseal(1);
	put(t, "count-wrong", meta, sizeof(meta));

	/* foreign formats */
	memset(meta, 0, sizeof(meta));
	memcpy(meta + 0x1000, "NVDIMM_PFN_INFO\0", 16);
	put(t, "foreign-pfn", meta, sizeof(meta));
	memcpy(meta + 0x1000, "NVDIMM_DAX_INFO\0", 16);
	put(t, "foreign-dax", meta, sizeof(meta));
	memcpy(meta + 0x1000, "BTT_ARENA_INFO\0", 15);
	put(t, "foreign-btt", meta, sizeof(meta));
	memset(meta, 0, sizeof(meta));
	memcpy(meta, "XFSB", 4);
	put(t, "foreign-xfs", meta, sizeof(meta));
	memset(meta, 0, sizeof(meta));
	meta[0x438] = 0x53;
	meta[0x439] = 0xef;
	put(t, "foreign-ext4", meta, sizeof(meta));

	/* short inputs: spread over the headers; 'S' seals entries from bytes
	 */
	put(t, "short-magic", "DEVMEM_REGION\0\0\0\1\0\0\0", 20);
	put(t, "sealed-2ns",
	    "S\x10\x00\x20\x01\xff\x00\x10\x00\x01\x00\x02\x01"
	    "\x20\x00\x00\x02\x00\x00\x00\x00\x10\x00\x00\x01\x01",
	    26);
}

static void layout_seeds(void)
{
	const char *t = "fuzz-layout";
	/* region size (3 bytes, 4 KiB units), then ops: create = op, size(3),
	 * base(2); destroy = 0x80|x, index(2) */
	static const uint8_t mixed[] = {
		0x00, 0x10, 0x00,		    /* 256 MiB */
		0x02, 0x00, 0x40, 0x00, 0x01, 0x00, /* dev 4K 16 MiB */
		0x09, 0x20, 0x00, 0x00, 0x03, 0x00, /* mem 2M, base known */
		0x05, 0x03, 0x00, 0x00, 0x00, 0x00, /* mem 2M units */
		0x80, 0x00, 0x00, 0x00, 0x00, 0x00, /* destroy ns 0 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* mem 4K, largest */
	};
	static const uint8_t tiny[] = {0x00, 0x00, 0x00, 0x00, 0x01,
				       0x00, 0x00, 0x00, 0x00};
	static const uint8_t huge[] = {0xff, 0xff, 0xff, 0x0b, 0xff,
				       0xff, 0x3f, 0x00, 0x10, 0x03,
				       0x00, 0x00, 0x00, 0x00, 0x00};

	put(t, "mixed", mixed, sizeof(mixed));
	put(t, "tiny-region", tiny, sizeof(tiny));
	put(t, "huge-region", huge, sizeof(huge));
}

static void cli_seeds(void)
{
	static const char *const sizes[] = {
		"512M",
		"0x1000",
		"1GiB",
		"4K",
		"18446744073709551615",
		"18446744073709551616",
		"16777216T",
		"0x",
		"12345",
		"1x",
		"2MiB",
	};
	static const struct {
		const char *name;
		const char *argv;
		size_t len;
	} lines[] = {
#define L(n, s) {n, s, sizeof(s) - 1}
		L("create", "\x01-r\0region0\0-s\0"
			    "1G\0-a\0"
			    "2M\0-M\0mem"),
		L("create-long", "\x01--size=64M\0--name=db\0--uuid=x\0-v"),
		L("create-missing", "\x01-r"),
		L("create-unknown", "\x01-x\0--nope\0--verbose=1"),
		L("create-extra", "\x01region0\0more"),
		L("claim", "\x03-f\0region1"),
		L("claim-help", "\x03-h"),
		L("claim-human", "\x03-u\0-v\0"
				 "0"),
		L("claim-dashdash", "\x03--\0-f"),
#undef L
	};
	char buf[64];

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char name[32];

		buf[0] = 0;
		memcpy(buf + 1, sizes[i], strlen(sizes[i]));
		snprintf(name, sizeof(name), "size-%zu", i);
		put("fuzz-cli", name, buf, strlen(sizes[i]) + 1);
	}
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		put("fuzz-cli", lines[i].name, lines[i].argv, lines[i].len);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkcorpus DIR\n");
		return 2;
	}
	dir = argv[1];
	meta_seeds();
	layout_seeds();
	cli_seeds();
	return 0;
}
