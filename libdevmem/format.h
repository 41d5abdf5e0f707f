/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * On-media format of a devmem region, versions 2 (written) and 1 (read and
 * updated in place). See docs/format.md. Pure data and pure functions: no
 * kernel, no I/O.
 *
 * 2.x: a 4 KiB anchor at region offset 0 (two 2 KiB copies) names where the
 * two metadata slots are: at the start of the region's tail guard, which
 * no namespace's data ever uses. 1.x: the two slots are the first 128 KiB.
 */
#ifndef DEVMEM_FORMAT_H
#define DEVMEM_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include <linux/devmem.h>

#define DM_FMT_MAGIC	 DEVMEM_FMT_MAGIC /* uapi: the module looks for it */
#define DM_FMT_MAJOR	 2u		  /* what a new claim writes */
#define DM_FMT_MINOR	 1u		  /* 2.1: mode fsdax */
#define DM_FMT_MAJOR_V1	 1u	  /* read, and updated in place as 1.0 */
#define DM_SLOT_SIZE	 0x10000u /* one copy of the metadata */
#define DM_NR_SLOTS	 2u /* slot k at slots_offset + k * DM_SLOT_SIZE */
#define DM_META_SIZE	 ((uint64_t)DM_NR_SLOTS * DM_SLOT_SIZE) /* 128 KiB */
#define DM_HEAD_SIZE	 0x20000u /* bytes read at offset 0 to classify */
#define DM_ANCHOR_SIZE	 0x1000u  /* 2.x: the anchor page at offset 0 */
#define DM_ANCHOR_COPY	 0x800u	  /* two copies of the anchor in the page */
#define DM_HDR_SIZE	 0x1000u  /* header; the namespace table follows */
#define DM_NS_ENTRY_SIZE 128u
#define DM_NS_MAX	 ((DM_SLOT_SIZE - DM_HDR_SIZE) / DM_NS_ENTRY_SIZE) /* 480 */
#define DM_NAME_MAX	 64u /* bytes incl. the terminating NUL */

enum dm_ns_mode { DM_MODE_DEVDAX = 1, DM_MODE_FSDAX = 2 }; /* 2: since 2.1 */
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
	uint32_t major, minor; /* 2.0 or 1.0 when written */
	uint64_t slots_offset; /* region offset of slot 0; 0 for 1.x */
	uint64_t seq;	       /* generation, >= 1 */
	uint8_t region_uuid[16];
	uint64_t region_size; /* bytes the layout covers */
	uint32_t flags;
	uint32_t dax_region; /* N of /dev/daxN.M at claim time; 0: none */
	struct dm_ns ns[DM_NS_MAX]; /* index = position in the table */
};

uint64_t dm_fletcher64(const void *buf, size_t len);

/* Bytes at the head of a region that belong to the metadata of @l: the
 * anchor page (2.x) or the two slots (1.x). Namespace data starts past it. */
uint64_t dm_layout_head(const struct dm_layout *l);

/*
 * Encode @l into one DM_SLOT_SIZE slot (zero-filled, checksum set), as
 * version l->major.0 (2.0 records l->slots_offset; 1.0 has no such field).
 */
void dm_slot_encode(const struct dm_layout *l, void *slot);

/*
 * Decode one slot. Returns 0 when valid; otherwise a negative errno and a
 * sentence in @why naming what is wrong (with the offending value):
 * -ENODATA all zero, -ENOENT magic absent, -EPROTONOSUPPORT unknown major,
 * -EBADMSG checksum mismatch, -ERANGE a header field out of range.
 */
int dm_slot_decode(const void *slot, struct dm_layout *l, char *why,
		   size_t whylen);

/*
 * May a claim write new slots over these DM_META_SIZE bytes? Each slot
 * must be all zero or hold devmem's magic (a claim cut short, a released
 * layout). Returns DM_META_SIZE if so, else the offset of the first byte
 * that is someone else's.
 */
size_t dm_slots_reusable(const void *slots);

/* The 2.x anchor: where the slots of the region's layout are. */
struct dm_anchor {
	uint32_t major, minor;
	uint8_t region_uuid[16];
	uint64_t slots_offset;
};

/* Encode the anchor of 2.x layout @l: both copies into one DM_ANCHOR_SIZE
 * page (zero-filled, checksums set). */
void dm_anchor_encode(const struct dm_layout *l, void *page);

/*
 * Decode one DM_ANCHOR_COPY-byte anchor copy. Returns 0 when valid, else
 * -ENODATA all zero, -ENOENT not an anchor (no magic, or a 1.x slot
 * header), -EPROTONOSUPPORT unknown major, -EBADMSG checksum, -ERANGE a
 * field out of range; @why names the value.
 */
int dm_anchor_decode(const void *copy, struct dm_anchor *a, char *why,
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
	/* dm_area_inspect() only: */
	int anchored;	       /* 1: a 2.x anchor copy is valid */
	int anchor_err[2];     /* dm_anchor_decode() result per copy */
	uint64_t slots_offset; /* where the slots were read (anchored) */
};

/*
 * Classify a pair of slots (@len >= DM_META_SIZE bytes: slot 0, slot 1),
 * of any version this library reads, wherever they were read. On
 * DM_META_VALID, @cur holds the newest layout. FOREIGN names what was
 * found (nvdimm pfn/dax info block, BTT, ...). See dm_area_inspect() for a
 * region's metadata as a whole.
 */
enum dm_meta_state dm_meta_inspect(const void *meta, size_t len,
				   struct dm_layout *cur,
				   struct dm_meta_report *rep);

/*
 * Where are the slots of a region whose first @len >= DM_HEAD_SIZE bytes
 * are @head? Returns 1 and sets @slots_offset when a 2.x anchor copy is
 * valid (read DM_META_SIZE bytes there and pass them to dm_area_inspect()),
 * else 0 (1.x, blank, foreign: the head is all there is to read).
 */
int dm_area_locate(const void *head, size_t len, uint64_t *slots_offset);

/*
 * Classify a region's metadata: @head as for dm_area_locate(), @slots the
 * DM_META_SIZE bytes read at the anchor's slots_offset (NULL when
 * dm_area_locate() returned 0). Under a valid anchor the slots must be 2.x
 * copies of that anchor's layout (its region UUID and slots_offset), and
 * blank or foreign slots make the area CORRUPT. Without an anchor the head
 * is classified as a 1.x area (dm_meta_inspect(), 1.x slots only). An
 * anchor cut short by a power cut (claim or release) reads as BLANK.
 */
enum dm_meta_state dm_area_inspect(const void *head, size_t len,
				   const void *slots, struct dm_layout *cur,
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
