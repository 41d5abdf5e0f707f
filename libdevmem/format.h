/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * On-media format of a devmem region, version 1. See docs/format.md.
 * Pure data and pure functions: no kernel, no I/O.
 */
#ifndef DEVMEM_FORMAT_H
#define DEVMEM_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define DM_FMT_MAGIC	 "DEVMEM_REGION\0\0" /* 16 bytes with the NULs */
#define DM_FMT_MAJOR	 1u
#define DM_FMT_MINOR	 0u
#define DM_SLOT_SIZE	 0x10000u /* one copy of the metadata */
#define DM_NR_SLOTS	 2u /* slot k lives at region offset k * DM_SLOT_SIZE */
#define DM_HDR_SIZE	 0x1000u /* header; the namespace table follows */
#define DM_NS_ENTRY_SIZE 128u
#define DM_NS_MAX	 ((DM_SLOT_SIZE - DM_HDR_SIZE) / DM_NS_ENTRY_SIZE) /* 480 */
#define DM_NAME_MAX	 64u /* bytes incl. the terminating NUL */

enum dm_ns_mode { DM_MODE_DEVDAX = 1 };
enum dm_ns_map { DM_MAP_DEV = 1, DM_MAP_MEM = 2 }; /* == enum devmem_map */
#define DM_NS_FLAG_VALID 0x1u

/* Decoded (host-endian) forms; the encoders below define the byte layout. */
struct dm_ns {
	uint8_t uuid[16];
	char name[DM_NAME_MAX];
	uint64_t resv_offset; /* start of the reservation (front pad) */
	uint64_t offset;      /* start of data, relative to the region */
	uint64_t size;	      /* bytes of data */
	uint32_t mode;	      /* enum dm_ns_mode */
	uint32_t align;	      /* asked fault size: 4096 or 2097152 */
	uint32_t map;	      /* enum dm_ns_map */
	uint32_t flags;	      /* DM_NS_FLAG_VALID for a used entry */
};

struct dm_layout {
	uint32_t major, minor;
	uint64_t seq; /* generation, >= 1 */
	uint8_t region_uuid[16];
	uint64_t region_size; /* bytes the layout covers */
	uint32_t flags;
	uint32_t dax_region; /* N of /dev/daxN.M at claim time; 0: none */
	struct dm_ns ns[DM_NS_MAX]; /* index = position in the table */
};

uint64_t dm_fletcher64(const void *buf, size_t len);

/* Encode @l into one DM_SLOT_SIZE slot (zero-filled, checksum set). */
void dm_slot_encode(const struct dm_layout *l, void *slot);

/*
 * Decode one slot. Returns 0 when valid; otherwise a negative errno and a
 * sentence in @why naming what is wrong (with the offending value):
 * -ENODATA all zero, -ENOENT magic absent, -EPROTONOSUPPORT unknown major,
 * -EBADMSG checksum mismatch, -ERANGE a header field out of range.
 */
int dm_slot_decode(const void *slot, struct dm_layout *l, char *why,
		   size_t whylen);

enum dm_meta_state {
	DM_META_BLANK = 1,   /* the whole metadata area is zero */
	DM_META_VALID,	     /* at least one valid slot; newest one returned */
	DM_META_FOREIGN,     /* non-zero, no devmem magic anywhere */
	DM_META_UNSUPPORTED, /* devmem magic, unknown major version */
	DM_META_CORRUPT,     /* devmem magic, but no slot is valid */
};

struct dm_meta_report {
	enum dm_meta_state state;
	int slot_err[DM_NR_SLOTS];	/* dm_slot_decode() result per slot */
	uint64_t slot_seq[DM_NR_SLOTS]; /* seq of valid slots, else 0 */
	unsigned int current;		/* slot holding the newest valid copy */
	char why[256]; /* one sentence for FOREIGN/UNSUPPORTED/CORRUPT */
};

/*
 * Classify a metadata area (@len >= DM_NR_SLOTS * DM_SLOT_SIZE bytes read
 * from region offset 0). On DM_META_VALID, @cur holds the newest layout.
 * FOREIGN names what was found (nvdimm pfn/dax info block, BTT, ...).
 */
enum dm_meta_state dm_meta_inspect(const void *meta, size_t len,
				   struct dm_layout *cur,
				   struct dm_meta_report *rep);

/*
 * Update protocol: the order in which to write the DM_NR_SLOTS copies of a
 * new generation. The first slot written is never the one holding the
 * newest valid copy, so a torn write leaves the previous layout intact.
 */
void dm_meta_write_order(const struct dm_meta_report *rep,
			 unsigned int order[DM_NR_SLOTS]);

/* Name rules: 1..63 bytes of [A-Za-z0-9._-]. Returns 0 or -EINVAL. */
int dm_name_valid(const char *name);

#endif /* DEVMEM_FORMAT_H */
