// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * On-media format of a devmem region, versions 2 and 1: encoding, decoding
 * and classification of the anchor and the metadata slots. See
 * docs/format.md.
 *
 * Every integer is little-endian on media and is read and written byte by
 * byte, so the code is independent of host endianness and struct packing.
 */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "format.h"

/* Header field offsets within a slot. */
#define HDR_MAGIC	  0
#define HDR_MAJOR	  16
#define HDR_MINOR	  20
#define HDR_SEQ		  24
#define HDR_CSUM	  32
#define HDR_REGION_UUID	  40
#define HDR_REGION_SIZE	  56
#define HDR_SLOT_SIZE	  64
#define HDR_NS_OFFSET	  68
#define HDR_NS_ENTRY_SIZE 72
#define HDR_NS_MAX	  76
#define HDR_NS_COUNT	  80
#define HDR_FLAGS	  84
#define HDR_DAX_REGION	  88
#define HDR_SLOTS_OFFSET  92  /* 2.x only */
#define HDR_USED	  100 /* bytes of the header a 2.0 writer sets */

/* Anchor copy field offsets (2.x, region offset 0 and DM_ANCHOR_COPY). */
#define ANC_MAGIC	 0 /* the slots' magic: a 1.x reader sees 2.0 */
#define ANC_MAJOR	 16
#define ANC_MINOR	 20
#define ANC_CSUM	 24
#define ANC_TAG		 32
#define ANC_REGION_UUID	 40
#define ANC_SLOTS_OFFSET 56
#define ANC_SLOT_SIZE	 64
#define ANC_NR_SLOTS	 68
#define ANC_COPY_SIZE	 72
#define ANC_FLAGS	 76
#define ANC_USED	 80
#define ANC_TAG_STR	 "ANCHOR\0\0" /* 8 bytes: not a slot header */

/* Namespace entry field offsets within an entry. */
#define NS_UUID	       0
#define NS_NAME	       16
#define NS_RESV_OFFSET 80
#define NS_OFFSET      88
#define NS_SIZE	       96
#define NS_MODE	       104
#define NS_ALIGN       108
#define NS_MAP	       112
#define NS_FLAGS       116

#define DM_MAGIC_LEN 16
#define DM_META_LEN  ((size_t)DM_META_SIZE)
#define DM_4K	     0x1000ull

/* Signatures of other on-media formats, for naming a foreign area. */
#define PFN_SIG	       "NVDIMM_PFN_INFO\0"
#define DAX_SIG	       "NVDIMM_DAX_INFO\0"
#define BTT_SIG	       "BTT_ARENA_INFO\0"
#define INFO_BLOCK_OFF 0x1000u /* nvdimm pfn/dax/BTT info block */
#define EXT4_MAGIC_OFF 0x438u  /* 1024 + 56 */
#define EXT4_MAGIC     0xef53u
#define XFS_MAGIC      "XFSB"

static const uint8_t dm_magic[DM_MAGIC_LEN] = DM_FMT_MAGIC;
_Static_assert(DM_MAGIC_LEN == DEVMEM_FMT_MAGIC_LEN &&
		       DM_ANCHOR_COPY == DEVMEM_ANCHOR_COPY &&
		       DM_ANCHOR_SIZE == DEVMEM_ANCHOR_SIZE,
	       "the module reads the magic where the format puts it");

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v)); /* unaligned-safe load */
	return le32toh(v);
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

struct fletcher {
	uint32_t lo, hi; /* both sums modulo 2^32, as nd_fletcher64() */
};

static void fletcher_add(struct fletcher *f, const uint8_t *p, size_t words)
{
	uint32_t lo = f->lo, hi = f->hi;

	for (size_t i = 0; i < words; i++) {
		lo += get_le32(p + 4 * i);
		hi += lo;
	}
	f->lo = lo;
	f->hi = hi;
}

/*
 * Fletcher-64 over little-endian 32-bit words, as the Linux nvdimm labels'
 * nd_fletcher64(buf, len, true). Trailing bytes (len % 4) are ignored.
 */
uint64_t dm_fletcher64(const void *buf, size_t len)
{
	struct fletcher f = {0, 0};

	fletcher_add(&f, buf, len / 4);
	return (uint64_t)f.hi << 32 | f.lo;
}

/* dm_fletcher64() of @len bytes with the checksum field at @csum (8
 * bytes) read as zero. */
static uint64_t checksum_at(const uint8_t *p, size_t len, size_t csum)
{
	static const uint8_t zero[8];
	struct fletcher f = {0, 0};

	fletcher_add(&f, p, csum / 4);
	fletcher_add(&f, zero, 2);
	fletcher_add(&f, p + csum + 8, (len - csum - 8) / 4);
	return (uint64_t)f.hi << 32 | f.lo;
}

static uint64_t slot_checksum(const uint8_t *slot)
{
	return checksum_at(slot, DM_SLOT_SIZE, HDR_CSUM);
}

uint64_t dm_layout_head(const struct dm_layout *l)
{
	return l->major == DM_FMT_MAJOR_V1 ? DM_META_SIZE : DM_ANCHOR_SIZE;
}

static void ns_encode(const struct dm_ns *ns, uint8_t *e)
{
	size_t nlen = strnlen(ns->name, DM_NAME_MAX - 1);

	memset(e, 0, DM_NS_ENTRY_SIZE);
	if (!(ns->flags & DM_NS_FLAG_VALID))
		return; /* a free entry is all zero */
	memcpy(e + NS_UUID, ns->uuid, 16);
	memcpy(e + NS_NAME, ns->name, nlen);
	put_le64(e + NS_RESV_OFFSET, ns->resv_offset);
	put_le64(e + NS_OFFSET, ns->offset);
	put_le64(e + NS_SIZE, ns->size);
	put_le32(e + NS_MODE, ns->mode);
	put_le32(e + NS_ALIGN, ns->align);
	put_le32(e + NS_MAP, ns->map);
	put_le32(e + NS_FLAGS, ns->flags & DM_NS_FLAG_VALID);
}

void dm_slot_encode(const struct dm_layout *l, void *slot)
{
	uint8_t *s = slot;
	uint32_t count = 0;
	bool v1 = l->major == DM_FMT_MAJOR_V1;

	memset(s, 0, DM_SLOT_SIZE);
	for (unsigned int i = 0; i < DM_NS_MAX; i++) {
		ns_encode(&l->ns[i],
			  s + DM_HDR_SIZE + (size_t)i * DM_NS_ENTRY_SIZE);
		if (l->ns[i].flags & DM_NS_FLAG_VALID)
			count++;
	}
	memcpy(s + HDR_MAGIC, dm_magic, DM_MAGIC_LEN);
	/* a writer always stamps the version it writes (see docs/format.md):
	 * 2.1, or 1.0 for a 1.x layout updated in place */
	put_le32(s + HDR_MAJOR, v1 ? DM_FMT_MAJOR_V1 : DM_FMT_MAJOR);
	put_le32(s + HDR_MINOR, v1 ? 0 : DM_FMT_MINOR);
	put_le64(s + HDR_SEQ, l->seq);
	memcpy(s + HDR_REGION_UUID, l->region_uuid, 16);
	put_le64(s + HDR_REGION_SIZE, l->region_size);
	put_le32(s + HDR_SLOT_SIZE, DM_SLOT_SIZE);
	put_le32(s + HDR_NS_OFFSET, DM_HDR_SIZE);
	put_le32(s + HDR_NS_ENTRY_SIZE, DM_NS_ENTRY_SIZE);
	put_le32(s + HDR_NS_MAX, DM_NS_MAX);
	put_le32(s + HDR_NS_COUNT, count);
	put_le32(s + HDR_FLAGS, 0); /* no header flag is defined in 1.0 */
	put_le32(s + HDR_DAX_REGION, l->dax_region);
	if (!v1)
		put_le64(s + HDR_SLOTS_OFFSET, l->slots_offset);
	put_le64(s + HDR_CSUM, slot_checksum(s));
}

static int fail(char *why, size_t whylen, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *why, size_t whylen, int err, const char *fmt, ...)
{
	if (why && whylen) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* The checksum field at @csum of the @len bytes at @p matches them. */
static int check_csum(const uint8_t *p, size_t len, size_t csum, char *why,
		      size_t whylen)
{
	uint64_t got = get_le64(p + csum), want = checksum_at(p, len, csum);

	if (got == want)
		return 0;
	return fail(why, whylen, -EBADMSG,
		    "checksum 0x%016llx does not match computed 0x%016llx",
		    (unsigned long long)got, (unsigned long long)want);
}

static int check_u32(const uint8_t *s, unsigned int off, uint32_t want,
		     const char *what, char *why, size_t whylen)
{
	uint32_t v = get_le32(s + off);

	if (v == want)
		return 0;
	return fail(why, whylen, -ERANGE, "%s is %u, expected %u", what, v,
		    want);
}

static int ns_decode(const uint8_t *e, unsigned int idx, struct dm_ns *ns,
		     char *why, size_t whylen)
{
	const char *name = (const char *)(e + NS_NAME);
	size_t nlen;

	memset(ns, 0, sizeof(*ns));
	if (!(get_le32(e + NS_FLAGS) & DM_NS_FLAG_VALID))
		return 0; /* free: the contents are ignored */
	nlen = strnlen(name, DM_NAME_MAX);
	if (nlen == DM_NAME_MAX)
		return fail(why, whylen, -ERANGE,
			    "namespace entry %u: name is not NUL-terminated "
			    "within %u bytes",
			    idx, DM_NAME_MAX);
	memcpy(ns->uuid, e + NS_UUID, 16);
	memcpy(ns->name, name, nlen);
	ns->resv_offset = get_le64(e + NS_RESV_OFFSET);
	ns->offset = get_le64(e + NS_OFFSET);
	ns->size = get_le64(e + NS_SIZE);
	ns->mode = get_le32(e + NS_MODE);
	ns->align = get_le32(e + NS_ALIGN);
	ns->map = get_le32(e + NS_MAP);
	/* bits a later minor version may define are dropped */
	ns->flags = get_le32(e + NS_FLAGS) & DM_NS_FLAG_VALID;
	return 0;
}

int dm_slot_decode(const void *slot, struct dm_layout *l, char *why,
		   size_t whylen)
{
	const uint8_t *s = slot;
	uint32_t major, minor, count, nvalid = 0;
	uint64_t seq, rsize, slots = 0;
	int rc;

	if (why && whylen)
		why[0] = '\0';
	if (all_zero(s, DM_SLOT_SIZE))
		return fail(why, whylen, -ENODATA, "slot is all zero");
	if (memcmp(s + HDR_MAGIC, dm_magic, DM_MAGIC_LEN))
		return fail(why, whylen, -ENOENT, "no devmem magic");

	major = get_le32(s + HDR_MAJOR);
	minor = get_le32(s + HDR_MINOR);
	if (major != DM_FMT_MAJOR && major != DM_FMT_MAJOR_V1)
		return fail(why, whylen, -EPROTONOSUPPORT,
			    "layout version %u.%u is not supported "
			    "(this library reads %u.x and %u.x)",
			    major, minor, DM_FMT_MAJOR_V1, DM_FMT_MAJOR);

	rc = check_csum(s, DM_SLOT_SIZE, HDR_CSUM, why, whylen);
	if (rc)
		return rc;

	rc = check_u32(s, HDR_SLOT_SIZE, DM_SLOT_SIZE, "slot size", why,
		       whylen);
	if (!rc)
		rc = check_u32(s, HDR_NS_OFFSET, DM_HDR_SIZE,
			       "namespace table offset", why, whylen);
	if (!rc)
		rc = check_u32(s, HDR_NS_ENTRY_SIZE, DM_NS_ENTRY_SIZE,
			       "namespace entry size", why, whylen);
	if (!rc)
		rc = check_u32(s, HDR_NS_MAX, DM_NS_MAX,
			       "namespace table length", why, whylen);
	if (rc)
		return rc;

	seq = get_le64(s + HDR_SEQ);
	if (seq == 0)
		return fail(why, whylen, -ERANGE,
			    "generation is 0 (must be >= 1)");
	rsize = get_le64(s + HDR_REGION_SIZE);
	if (rsize % DM_4K || rsize < DM_META_LEN)
		return fail(why, whylen, -ERANGE,
			    "region size 0x%llx is not a multiple of 4 KiB "
			    "of at least 0x%zx",
			    (unsigned long long)rsize, DM_META_LEN);
	if (major == DM_FMT_MAJOR) {
		slots = get_le64(s + HDR_SLOTS_OFFSET);
		if (slots % DM_4K || slots < DM_ANCHOR_SIZE ||
		    slots > rsize - DM_META_LEN)
			return fail(why, whylen, -ERANGE,
				    "slots offset 0x%llx is not a multiple of "
				    "4 KiB in [0x%x, region size 0x%llx - "
				    "0x%zx]",
				    (unsigned long long)slots, DM_ANCHOR_SIZE,
				    (unsigned long long)rsize, DM_META_LEN);
	}

	if (l)
		memset(l, 0, sizeof(*l));
	for (unsigned int i = 0; i < DM_NS_MAX; i++) {
		const uint8_t *e =
			s + DM_HDR_SIZE + (size_t)i * DM_NS_ENTRY_SIZE;
		struct dm_ns ns;

		rc = ns_decode(e, i, &ns, why, whylen);
		if (rc)
			return rc;
		if (ns.flags & DM_NS_FLAG_VALID)
			nvalid++;
		if (l)
			l->ns[i] = ns;
	}
	count = get_le32(s + HDR_NS_COUNT);
	if (count != nvalid)
		return fail(why, whylen, -ERANGE,
			    "namespace count is %u but %u entries are valid",
			    count, nvalid);

	if (l) {
		l->major = major;
		l->minor = minor;
		l->slots_offset = slots;
		l->seq = seq;
		memcpy(l->region_uuid, s + HDR_REGION_UUID, 16);
		l->region_size = rsize;
		l->flags = 0; /* header flags: none defined in 1.x */
		l->dax_region = get_le32(s + HDR_DAX_REGION);
	}
	return 0;
}

static size_t first_nonzero(const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len && !p[i])
		i++;
	return i;
}

static void name_foreign(const uint8_t *m, size_t len, char *why, size_t whylen)
{
	static const struct {
		const char *sig;
		size_t len;
		const char *what;
	} info[] = {
		{PFN_SIG, sizeof(PFN_SIG) - 1,
		 "an nvdimm pfn info block (ndctl fsdax/sector namespace)"},
		{DAX_SIG, sizeof(DAX_SIG) - 1,
		 "an nvdimm device-dax info block (ndctl devdax namespace)"},
		{BTT_SIG, sizeof(BTT_SIG) - 1,
		 "a BTT arena info block (ndctl sector namespace)"},
	};

	for (size_t i = 0; i < sizeof(info) / sizeof(info[0]); i++) {
		if (len >= INFO_BLOCK_OFF + info[i].len &&
		    !memcmp(m + INFO_BLOCK_OFF, info[i].sig, info[i].len)) {
			snprintf(why, whylen, "found %s at offset 0x%x",
				 info[i].what, INFO_BLOCK_OFF);
			return;
		}
	}
	if (len >= 4 && !memcmp(m, XFS_MAGIC, 4)) {
		snprintf(why, whylen,
			 "found an xfs superblock (magic \"XFSB\" at offset "
			 "0x0)");
		return;
	}
	if (len >= EXT4_MAGIC_OFF + 2 &&
	    get_le16(m + EXT4_MAGIC_OFF) == EXT4_MAGIC) {
		snprintf(why, whylen,
			 "found an ext2/3/4 superblock (magic 0x%x at offset "
			 "0x%x)",
			 EXT4_MAGIC, EXT4_MAGIC_OFF);
		return;
	}
	snprintf(why, whylen,
		 "found unrecognised non-zero data at offset 0x%zx",
		 first_nonzero(m, len));
}

/*
 * A claim of a blank 1.x area wrote one slot first, and the only non-zero
 * bytes of an empty layout are its header's; a power cut inside that
 * header leaves a prefix of it over zeros. A release erases the header of
 * its last slot after the table is empty; a cut inside leaves zeros over a
 * suffix of the old header. Either way the other slot is all zero, and
 * this one has nothing outside the header's fields and, byte by byte,
 * either zero or the value an empty layout (1.0 or 2.1) has in every field
 * but the generation, checksum, UUID, size, dax_region and slots offset:
 * an interrupted claim or release, which holds no layout.
 */
_Static_assert(DM_NR_SLOTS == 2, "torn_empty_header() pairs slot k with k ^ 1");

static bool torn_empty_header(const uint8_t *m, size_t len, unsigned int k)
{
	const uint8_t *s = m + (size_t)k * DM_SLOT_SIZE;
	const uint8_t *other = m + (size_t)(k ^ 1) * DM_SLOT_SIZE;
	uint8_t ref[HDR_USED] = {0};

	memcpy(ref + HDR_MAGIC, dm_magic, DM_MAGIC_LEN);
	put_le32(ref + HDR_SLOT_SIZE, DM_SLOT_SIZE);
	put_le32(ref + HDR_NS_OFFSET, DM_HDR_SIZE);
	put_le32(ref + HDR_NS_ENTRY_SIZE, DM_NS_ENTRY_SIZE);
	put_le32(ref + HDR_NS_MAX, DM_NS_MAX);
	for (unsigned int i = 0; i < HDR_USED; i++) {
		bool free_field = (i >= HDR_SEQ && i < HDR_SLOT_SIZE) ||
				  i >= HDR_DAX_REGION;

		if (i == HDR_MAJOR &&
		    (s[i] == DM_FMT_MAJOR_V1 || s[i] == DM_FMT_MAJOR))
			continue;
		if (i == HDR_MINOR && s[i] == DM_FMT_MINOR) /* 2.x */
			continue;
		if (s[i] && !free_field && s[i] != ref[i])
			return false;
	}
	return all_zero(other, DM_SLOT_SIZE) &&
	       all_zero(s + HDR_USED, DM_SLOT_SIZE - HDR_USED) &&
	       all_zero(m + DM_META_LEN, len - DM_META_LEN);
}

/*
 * What a slot must be, beyond decoding, to count where it was read: under
 * a 2.x anchor a 2.x copy of that anchor's layout; in the head of a region
 * without an anchor a 1.x slot. NULL: any version this library reads.
 */
struct slot_want {
	uint32_t major;
	uint64_t slots_offset;
	const uint8_t *region_uuid; /* NULL: any */
};

static int slot_decode_want(const uint8_t *s, const struct slot_want *w,
			    char *why, size_t whylen)
{
	uint32_t major;
	uint64_t off;
	int rc = dm_slot_decode(s, NULL, why, whylen);

	if (rc || !w)
		return rc;
	major = get_le32(s + HDR_MAJOR);
	if (major != w->major)
		return fail(why, whylen, -ERANGE,
			    "a %u.x copy where a %u.x copy belongs", major,
			    w->major);
	off = major == DM_FMT_MAJOR ? get_le64(s + HDR_SLOTS_OFFSET) : 0;
	if (off != w->slots_offset)
		return fail(why, whylen, -ERANGE,
			    "records slots offset 0x%llx, but was read at "
			    "0x%llx",
			    (unsigned long long)off,
			    (unsigned long long)w->slots_offset);
	if (w->region_uuid && memcmp(s + HDR_REGION_UUID, w->region_uuid, 16))
		return fail(why, whylen, -ERANGE,
			    "its region UUID is not the anchor's (a copy of "
			    "another layout)");
	return 0;
}

static enum dm_meta_state inspect_slots(const uint8_t *m, size_t len,
					const struct slot_want *w,
					struct dm_layout *cur,
					struct dm_meta_report *out)
{
	struct dm_meta_report r;
	char swhy[DM_NR_SLOTS][160];
	bool magic = false, valid = false, unsupported = false;
	unsigned int best = 0;
	int used;

	memset(&r, 0, sizeof(r));
	if (len < DM_META_LEN) {
		r.state = DM_META_CORRUPT;
		snprintf(r.why, sizeof(r.why),
			 "metadata area of %zu bytes is shorter than %zu", len,
			 DM_META_LEN);
		goto out;
	}
	if (all_zero(m, len)) {
		r.state = DM_META_BLANK;
		for (unsigned int k = 0; k < DM_NR_SLOTS; k++)
			r.slot_err[k] = -ENODATA;
		goto out;
	}

	for (unsigned int k = 0; k < DM_NR_SLOTS; k++) {
		const uint8_t *s = m + (size_t)k * DM_SLOT_SIZE;
		int rc = slot_decode_want(s, w, swhy[k], sizeof(swhy[k]));

		r.slot_err[k] = rc;
		if (rc != -ENODATA && rc != -ENOENT)
			magic = true;
		if (rc == -EPROTONOSUPPORT)
			unsupported = true;
		if (rc)
			continue;
		r.slot_seq[k] = get_le64(s + HDR_SEQ);
		/* newest wins; on a tie the lower slot */
		if (!valid || r.slot_seq[k] > r.slot_seq[best])
			best = k;
		valid = true;
	}

	if (valid) {
		r.state = DM_META_VALID;
		r.current = best;
		if (cur)
			dm_slot_decode(m + (size_t)best * DM_SLOT_SIZE, cur,
				       NULL, 0);
		/* note a bad copy so that a caller can warn about it */
		used = 0;
		for (unsigned int k = 0; k < DM_NR_SLOTS; k++) {
			if (!r.slot_err[k] || (size_t)used >= sizeof(r.why))
				continue;
			used += snprintf(r.why + used, sizeof(r.why) - used,
					 "%sslot %u: %s", used ? "; " : "", k,
					 swhy[k]);
		}
		if (used && (size_t)used < sizeof(r.why))
			snprintf(r.why + used, sizeof(r.why) - used,
				 "; using slot %u (generation %llu)", best,
				 (unsigned long long)r.slot_seq[best]);
	} else if (torn_empty_header(m, len, 0) ||
		   torn_empty_header(m, len, 1)) {
		unsigned int k = torn_empty_header(m, len, 0) ? 0 : 1;

		r.state = DM_META_BLANK;
		snprintf(r.why, sizeof(r.why),
			 "slot %u holds only part of an empty layout's header "
			 "(a claim or release cut short); read as blank",
			 k);
	} else if (unsupported) {
		unsigned int k = r.slot_err[0] == -EPROTONOSUPPORT ? 0 : 1;

		r.state = DM_META_UNSUPPORTED;
		snprintf(r.why, sizeof(r.why), "slot %u: %s", k, swhy[k]);
	} else if (magic) {
		r.state = DM_META_CORRUPT;
		used = snprintf(r.why, sizeof(r.why), "no valid metadata copy");
		for (unsigned int k = 0; k < DM_NR_SLOTS; k++) {
			if ((size_t)used >= sizeof(r.why))
				break;
			used += snprintf(r.why + used, sizeof(r.why) - used,
					 "; slot %u: %s", k, swhy[k]);
		}
	} else {
		r.state = DM_META_FOREIGN;
		name_foreign(m, len, r.why, sizeof(r.why));
	}
out:
	if (out)
		*out = r;
	return r.state;
}

enum dm_meta_state dm_meta_inspect(const void *meta, size_t len,
				   struct dm_layout *cur,
				   struct dm_meta_report *rep)
{
	return inspect_slots(meta, len, NULL, cur, rep);
}

size_t dm_slots_reusable(const void *slots)
{
	const uint8_t *m = slots;

	for (unsigned int k = 0; k < DM_NR_SLOTS; k++) {
		const uint8_t *s = m + (size_t)k * DM_SLOT_SIZE;

		if (!memcmp(s + HDR_MAGIC, dm_magic, DM_MAGIC_LEN))
			continue;
		if (!all_zero(s, DM_SLOT_SIZE))
			return (size_t)k * DM_SLOT_SIZE +
			       first_nonzero(s, DM_SLOT_SIZE);
	}
	return DM_META_LEN;
}

void dm_anchor_encode(const struct dm_layout *l, void *page)
{
	uint8_t *a = page;

	memset(a, 0, DM_ANCHOR_SIZE);
	memcpy(a + ANC_MAGIC, dm_magic, DM_MAGIC_LEN);
	put_le32(a + ANC_MAJOR, DM_FMT_MAJOR);
	put_le32(a + ANC_MINOR, DM_FMT_MINOR);
	memcpy(a + ANC_TAG, ANC_TAG_STR, 8);
	memcpy(a + ANC_REGION_UUID, l->region_uuid, 16);
	put_le64(a + ANC_SLOTS_OFFSET, l->slots_offset);
	put_le32(a + ANC_SLOT_SIZE, DM_SLOT_SIZE);
	put_le32(a + ANC_NR_SLOTS, DM_NR_SLOTS);
	put_le32(a + ANC_COPY_SIZE, DM_ANCHOR_COPY);
	put_le64(a + ANC_CSUM, checksum_at(a, DM_ANCHOR_COPY, ANC_CSUM));
	memcpy(a + DM_ANCHOR_COPY, a, DM_ANCHOR_COPY);
}

int dm_anchor_decode(const void *copy, struct dm_anchor *out, char *why,
		     size_t whylen)
{
	const uint8_t *a = copy;
	uint32_t major, minor;
	uint64_t slots;
	int rc;

	if (why && whylen)
		why[0] = '\0';
	if (all_zero(a, DM_ANCHOR_COPY))
		return fail(why, whylen, -ENODATA, "all zero");
	major = get_le32(a + ANC_MAJOR);
	minor = get_le32(a + ANC_MINOR);
	if (memcmp(a + ANC_MAGIC, dm_magic, DM_MAGIC_LEN) ||
	    major == DM_FMT_MAJOR_V1)
		return fail(why, whylen, -ENOENT, "no devmem anchor magic");
	if (major != DM_FMT_MAJOR)
		return fail(why, whylen, -EPROTONOSUPPORT,
			    "layout version %u.%u is not supported "
			    "(this library reads %u.x and %u.x)",
			    major, minor, DM_FMT_MAJOR_V1, DM_FMT_MAJOR);
	rc = check_csum(a, DM_ANCHOR_COPY, ANC_CSUM, why, whylen);
	if (rc)
		return rc;
	if (memcmp(a + ANC_TAG, ANC_TAG_STR, 8))
		return fail(why, whylen, -ERANGE, "no anchor tag");
	rc = check_u32(a, ANC_SLOT_SIZE, DM_SLOT_SIZE, "slot size", why,
		       whylen);
	if (!rc)
		rc = check_u32(a, ANC_NR_SLOTS, DM_NR_SLOTS, "number of slots",
			       why, whylen);
	if (!rc)
		rc = check_u32(a, ANC_COPY_SIZE, DM_ANCHOR_COPY,
			       "anchor copy size", why, whylen);
	if (rc)
		return rc;
	slots = get_le64(a + ANC_SLOTS_OFFSET);
	if (slots % DM_4K || slots < DM_ANCHOR_SIZE)
		return fail(why, whylen, -ERANGE,
			    "slots offset 0x%llx is not a multiple of 4 KiB "
			    "past the anchor",
			    (unsigned long long)slots);
	if (out) {
		out->major = major;
		out->minor = minor;
		memcpy(out->region_uuid, a + ANC_REGION_UUID, 16);
		out->slots_offset = slots;
	}
	return 0;
}

/*
 * The anchor is the commit point of claim (written last, as one page) and
 * of release (zeroed first, as one page, after the rest of the head). A
 * cut inside that write leaves, in each copy, zeros and a part of an
 * anchor; no copy is valid, and every non-zero byte is the one an anchor
 * has there in its fixed fields (magic, version, tag, sizes, flags), with
 * the rest of the head zero: the claim or release did not (fully) happen,
 * and the region holds no layout.
 */
static bool torn_anchor(const uint8_t *h, size_t len)
{
	uint8_t ref[ANC_USED] = {0};

	memcpy(ref + ANC_MAGIC, dm_magic, DM_MAGIC_LEN);
	put_le32(ref + ANC_MAJOR, DM_FMT_MAJOR);
	put_le32(ref + ANC_MINOR, DM_FMT_MINOR);
	memcpy(ref + ANC_TAG, ANC_TAG_STR, 8);
	put_le32(ref + ANC_SLOT_SIZE, DM_SLOT_SIZE);
	put_le32(ref + ANC_NR_SLOTS, DM_NR_SLOTS);
	put_le32(ref + ANC_COPY_SIZE, DM_ANCHOR_COPY);
	for (unsigned int c = 0; c < 2; c++) {
		const uint8_t *a = h + (size_t)c * DM_ANCHOR_COPY;

		for (unsigned int i = 0; i < ANC_USED; i++) {
			bool free_field =
				(i >= ANC_CSUM && i < ANC_TAG) ||
				(i >= ANC_REGION_UUID && i < ANC_SLOT_SIZE);

			if (a[i] && !free_field && a[i] != ref[i])
				return false;
		}
		if (!all_zero(a + ANC_USED, DM_ANCHOR_COPY - ANC_USED))
			return false;
	}
	return all_zero(h + DM_ANCHOR_SIZE, len - DM_ANCHOR_SIZE);
}

enum dm_anchor_state {
	ANCHOR_NONE,	    /* no 2.x anchor: a 1.x, blank or foreign head */
	ANCHOR_VALID,	    /* a copy is valid */
	ANCHOR_TORN,	    /* a claim or release cut short */
	ANCHOR_UNSUPPORTED, /* a later major */
	ANCHOR_CORRUPT,	    /* anchor magic, no valid copy */
};

static enum dm_anchor_state anchor_inspect(const uint8_t *h, size_t len,
					   struct dm_anchor *a, int err[2],
					   char why[2][96])
{
	struct dm_anchor tmp[2];
	int valid = -1;

	for (unsigned int c = 0; c < 2; c++) {
		err[c] = dm_anchor_decode(h + (size_t)c * DM_ANCHOR_COPY,
					  &tmp[c], why[c], sizeof(why[c]));
		if (!err[c] && valid < 0)
			valid = (int)c;
	}
	if (valid >= 0) {
		*a = tmp[valid];
		return ANCHOR_VALID;
	}
	if (err[0] == -ENODATA && err[1] == -ENODATA)
		return ANCHOR_NONE;
	if (torn_anchor(h, len))
		return ANCHOR_TORN;
	if (err[0] == -EPROTONOSUPPORT || err[1] == -EPROTONOSUPPORT)
		return ANCHOR_UNSUPPORTED;
	if ((err[0] == -EBADMSG || err[0] == -ERANGE) ||
	    (err[1] == -EBADMSG || err[1] == -ERANGE))
		return ANCHOR_CORRUPT;
	return ANCHOR_NONE;
}

int dm_area_locate(const void *head, size_t len, uint64_t *slots_offset)
{
	struct dm_anchor a;
	char why[2][96];
	int err[2];

	if (len < DM_HEAD_SIZE ||
	    anchor_inspect(head, len, &a, err, why) != ANCHOR_VALID)
		return 0;
	*slots_offset = a.slots_offset;
	return 1;
}

enum dm_meta_state dm_area_inspect(const void *head, size_t len,
				   const void *slots, struct dm_layout *cur,
				   struct dm_meta_report *rep)
{
	struct dm_meta_report r;
	struct slot_want w = {.major = DM_FMT_MAJOR_V1};
	struct dm_anchor a;
	char why[2][96];
	int err[2] = {-ENODATA, -ENODATA};
	enum dm_anchor_state as = ANCHOR_NONE;

	memset(&r, 0, sizeof(r));
	if (len >= DM_HEAD_SIZE)
		as = anchor_inspect(head, len, &a, err, why);
	switch (as) {
	case ANCHOR_NONE:
		inspect_slots(head, len, &w, cur, &r);
		break;
	case ANCHOR_VALID:
		w.major = DM_FMT_MAJOR;
		w.slots_offset = a.slots_offset;
		w.region_uuid = a.region_uuid;
		if (!slots) {
			r.state = DM_META_CORRUPT;
			snprintf(r.why, sizeof(r.why),
				 "the anchor's slots at offset 0x%llx are out "
				 "of "
				 "reach (past the end of the region)",
				 (unsigned long long)a.slots_offset);
			break;
		}
		inspect_slots(slots, DM_META_LEN, &w, cur, &r);
		r.anchored = 1;
		r.slots_offset = a.slots_offset;
		if (r.state == DM_META_BLANK || r.state == DM_META_FOREIGN) {
			char was[160];

			memcpy(was, r.why, sizeof(was) - 1);
			was[sizeof(was) - 1] = '\0';
			r.state = DM_META_CORRUPT;
			snprintf(r.why, sizeof(r.why),
				 "the anchor puts the metadata at offset "
				 "0x%llx, but no devmem copy is there (%s)",
				 (unsigned long long)a.slots_offset,
				 was[0] ? was : "all zero");
		}
		break;
	case ANCHOR_TORN:
		r.state = DM_META_BLANK;
		r.slot_err[0] = r.slot_err[1] = -ENODATA;
		snprintf(r.why, sizeof(r.why),
			 "the anchor holds only part of an anchor (a claim or "
			 "release cut short); read as blank");
		break;
	case ANCHOR_UNSUPPORTED:
		r.state = DM_META_UNSUPPORTED;
		snprintf(r.why, sizeof(r.why), "anchor: %s",
			 why[err[0] == -EPROTONOSUPPORT ? 0 : 1]);
		break;
	case ANCHOR_CORRUPT:
		r.state = DM_META_CORRUPT;
		snprintf(r.why, sizeof(r.why),
			 "no valid anchor copy; copy 0: %s; copy 1: %s", why[0],
			 why[1]);
		break;
	}
	r.anchor_err[0] = err[0];
	r.anchor_err[1] = err[1];
	if (rep)
		*rep = r;
	return r.state;
}

void dm_meta_write_order(const struct dm_meta_report *rep,
			 unsigned int order[DM_NR_SLOTS])
{
	unsigned int first = 1; /* blank or no valid copy: slot 1 first */

	/*
	 * Never write first over the newest valid copy. On a tie current is
	 * slot 0, so slot 1 goes first, as for a blank area.
	 */
	if (rep && rep->state == DM_META_VALID && rep->current < DM_NR_SLOTS)
		first = (rep->current + 1) % DM_NR_SLOTS;
	for (unsigned int i = 0; i < DM_NR_SLOTS; i++)
		order[i] = (first + i) % DM_NR_SLOTS;
}

int dm_name_valid(const char *name)
{
	size_t len;

	if (!name)
		return -EINVAL;
	len = strnlen(name, DM_NAME_MAX);
	if (len == 0 || len >= DM_NAME_MAX)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return -EINVAL;
	}
	return 0;
}
