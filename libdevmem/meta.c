// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Metadata I/O of a claimed region and the update protocol. The metadata
 * (2.x: the anchor page at offset 0 and the two slots it names, at the
 * start of the tail guard; 1.x: the two slots in the first 128 KiB) is
 * only ever read and written through the module's
 * DEVMEM_IOC_META_READ/WRITE; the module flushes every write to media
 * before the ioctl returns.
 *
 * Update protocol (devmem_meta_update()): the new layout gets the next
 * generation number, is encoded once, and is written to every slot in the
 * order dm_meta_write_order() gives (never first over the newest valid
 * copy); then, when the region has no valid anchor naming those slots (a
 * claim), the anchor page is written, last: it is the commit point. Then
 * the metadata is read back and each slot must hold exactly what was
 * written. A torn update leaves the previous generation valid in the slot
 * that was not yet written; a torn claim leaves no anchor (blank).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ndctl/libndctl.h>

#include "private.h"

struct devmem_meta *devmem_meta_new(struct devmem_ctx *ctx)
{
	struct devmem_meta *m = calloc(1, sizeof(*m));

	if (!m)
		err(ctx, "out of memory for a %zu-byte layout\n", sizeof(*m));
	return m;
}

void devmem_area_free(struct devmem_area *a)
{
	free(a->head);
	free(a->slots);
	a->head = NULL;
	a->slots = NULL;
}

static int area_read_at(struct devmem_region *r, uint64_t off, void **buf)
{
	int rc;

	*buf = malloc(DM_META_SIZE);
	if (!*buf) {
		err(r->ctx, "%s: out of memory for the metadata\n", r->devname);
		return -ENOMEM;
	}
	rc = devmem_kern_meta_read(r->ctx, r->id, off, *buf, DM_META_SIZE);
	if (rc < 0)
		err(r->ctx,
		    "%s: cannot read the metadata at offset 0x%llx: %s\n",
		    r->devname, (unsigned long long)off, strerror(-rc));
	return rc;
}

/*
 * Read the metadata of claimed region @r: its head, and the slots a 2.x
 * anchor in it names. Slots past the region's end (it shrank: a label area
 * grew) are not read, and classify as corrupt.
 */
int devmem_area_read(struct devmem_region *r, struct devmem_area *a)
{
	void *head = NULL, *slots = NULL;
	uint64_t off;
	int rc;

	memset(a, 0, sizeof(*a));
	_Static_assert(DM_HEAD_SIZE == DM_META_SIZE, "one read size");
	rc = area_read_at(r, 0, &head);
	a->head = head;
	if (rc < 0 || !dm_area_locate(a->head, DM_HEAD_SIZE, &off))
		goto out;
	if (off > r->size || r->size - off < DM_META_SIZE) {
		warn(r->ctx,
		     "%s: the anchor puts the metadata at offset 0x%llx, past "
		     "the end of the region (%llu bytes now)\n",
		     r->devname, (unsigned long long)off,
		     (unsigned long long)r->size);
		goto out;
	}
	rc = area_read_at(r, off, &slots);
	a->slots = slots;
	a->slots_offset = off;
	slots = NULL;
out:
	free(slots);
	if (rc < 0)
		devmem_area_free(a);
	return rc;
}

/* The slots as read: under the anchor, or the 1.x head. */
const unsigned char *devmem_area_slots(const struct devmem_area *a)
{
	return a->slots ? a->slots : a->head;
}

static void meta_classify(const struct devmem_area *a, struct devmem_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->state = dm_area_inspect(a->head, DM_HEAD_SIZE, a->slots, &m->layout,
				   &m->rep);
}

static const char *state_name(enum dm_meta_state state)
{
	switch (state) {
	case DM_META_BLANK:
		return "blank";
	case DM_META_VALID:
		return "valid";
	case DM_META_FOREIGN:
		return "foreign";
	case DM_META_UNSUPPORTED:
		return "unsupported";
	case DM_META_CORRUPT:
		return "corrupt";
	default:
		return "unknown";
	}
}

/*
 * Read and classify the metadata of claimed region @r into @m.
 * Returns 0 (whatever the state found) or -errno when it cannot be read.
 */
int devmem_meta_read(struct devmem_region *r, struct devmem_meta *m)
{
	struct devmem_area a;
	int rc;

	rc = devmem_area_read(r, &a);
	if (rc == 0) {
		meta_classify(&a, m);
		dbg(r->ctx, "%s: metadata %s, slot seq %llu/%llu\n", r->devname,
		    state_name(m->state),
		    (unsigned long long)m->rep.slot_seq[0],
		    (unsigned long long)m->rep.slot_seq[1]);
		/* a damaged copy is named once, on the first read of the
		 * region; the next update rewrites it first
		 * (dm_meta_write_order) */
		if (m->state == DM_META_VALID && m->rep.why[0] &&
		    !r->meta_warned) {
			warn(r->ctx, "%s: metadata %s\n", r->devname,
			     m->rep.why);
			r->meta_warned = true;
		}
	}
	devmem_area_free(&a);
	return rc;
}

/* The generation the next update must exceed. */
static uint64_t meta_cur_seq(const struct devmem_meta *m)
{
	uint64_t seq = 0;
	unsigned int k;

	if (m->state == DM_META_VALID)
		seq = m->layout.seq;
	for (k = 0; k < DM_NR_SLOTS; k++)
		if (m->rep.slot_seq[k] > seq)
			seq = m->rep.slot_seq[k];
	return seq;
}

static int meta_verify(struct devmem_region *r, const void *buf,
		       const void *slot, uint64_t seq, struct dm_layout *tmp)
{
	char why[256];
	unsigned int k;

	for (k = 0; k < DM_NR_SLOTS; k++) {
		const unsigned char *got =
			(const unsigned char *)buf + (size_t)k * DM_SLOT_SIZE;
		int rc = dm_slot_decode(got, tmp, why, sizeof(why));
		if (rc < 0) {
			err(r->ctx,
			    "%s: metadata slot %u does not decode "
			    "after the update: %s\n",
			    r->devname, k, why);
			return -EIO;
		}
		if (tmp->seq != seq || memcmp(got, slot, DM_SLOT_SIZE) != 0) {
			err(r->ctx,
			    "%s: metadata slot %u reads back as "
			    "generation %llu, not the %llu written\n",
			    r->devname, k, (unsigned long long)tmp->seq,
			    (unsigned long long)seq);
			return -EIO;
		}
	}
	return 0;
}

/*
 * Make a written slot durable before the next write starts. The module's
 * memcpy_flushcache() + wmb reaches the persistence domain of platforms
 * that flush on power loss (ADR: QEMU's NVDIMMs, e820 pmem). A region with
 * an explicit flush needs a deep flush through libnvdimm as well: the
 * host's fsync of the backing file for virtio-pmem, the flush hints of an
 * NFIT region that has them. Their regionN/deep_flush is writable; for the
 * others libndctl has no descriptor for it (-EBADF) and nothing is needed.
 */
int devmem_meta_flush(struct devmem_region *r)
{
	int rc = ndctl_region_deep_flush(r->ndr);

	if (rc == -EBADF)
		return 0;
	if (rc < 0)
		err(r->ctx, "%s: deep flush of the region failed: %s\n",
		    r->devname, strerror(-rc));
	return rc;
}

/*
 * Write @next as the next generation after @m (the state read under the
 * update lock), following the update protocol. On success @m describes
 * what is now on media. The caller holds the update lock.
 */
/* Write what the anchor of 2.x layout @l says, as one page, and flush. */
static int anchor_write(struct devmem_region *r, const struct dm_layout *l)
{
	unsigned char *page = malloc(DM_ANCHOR_SIZE);
	int rc = -ENOMEM;

	if (!page) {
		err(r->ctx, "%s: out of memory for the anchor\n", r->devname);
		return rc;
	}
	dm_anchor_encode(l, page);
	rc = devmem_kern_meta_write(r->ctx, r->id, 0, page, DM_ANCHOR_SIZE);
	if (rc == 0)
		rc = devmem_meta_flush(r);
	if (rc < 0)
		err(r->ctx, "%s: writing the anchor failed: %s\n", r->devname,
		    strerror(-rc));
	free(page);
	return rc;
}

/*
 * Does @next need its anchor (re)written after its slots? Yes unless a
 * valid anchor names these slots and this layout (its region UUID: claim
 * --force over a layout makes a new one) already, and both its copies are
 * good.
 */
static bool anchor_needed(const struct devmem_meta *m,
			  const struct dm_layout *next)
{
	if (next->major == DM_FMT_MAJOR_V1)
		return false;
	return m->state != DM_META_VALID || !m->rep.anchored ||
	       m->rep.slots_offset != next->slots_offset ||
	       memcmp(m->layout.region_uuid, next->region_uuid, 16) != 0 ||
	       m->rep.anchor_err[0] || m->rep.anchor_err[1];
}

int devmem_meta_update(struct devmem_region *r, struct devmem_meta *m,
		       const struct dm_layout *next)
{
	unsigned int order[DM_NR_SLOTS];
	struct devmem_meta *tmp = NULL;
	struct devmem_area a = {0};
	unsigned char *slot = NULL;
	uint64_t seq = meta_cur_seq(m) + 1, base;
	unsigned int k;
	int rc = -ENOMEM;

	slot = calloc(1, DM_SLOT_SIZE);
	tmp = devmem_meta_new(r->ctx);
	if (!slot || !tmp) {
		err(r->ctx, "%s: out of memory for a metadata update\n",
		    r->devname);
		goto out;
	}
	tmp->layout = *next;
	tmp->layout.seq = seq;
	base = next->major == DM_FMT_MAJOR_V1 ? 0 : next->slots_offset;
	dm_slot_encode(&tmp->layout, slot);
	/* new slots (a claim) hold nothing yet: any order will do */
	dm_meta_write_order(&m->rep, order);
	for (k = 0; k < DM_NR_SLOTS; k++) {
		if (order[k] >= DM_NR_SLOTS) {
			err(r->ctx, "%s: write order names slot %u of %u\n",
			    r->devname, order[k], DM_NR_SLOTS);
			rc = -EINVAL;
			goto out;
		}
		rc = devmem_kern_meta_write(
			r->ctx, r->id, base + (uint64_t)order[k] * DM_SLOT_SIZE,
			slot, DM_SLOT_SIZE);
		if (rc == 0)
			rc = devmem_meta_flush(r);
		if (rc < 0) {
			err(r->ctx,
			    "%s: writing metadata slot %u (generation "
			    "%llu) failed: %s\n",
			    r->devname, order[k], (unsigned long long)seq,
			    strerror(-rc));
			goto out;
		}
	}
	if (anchor_needed(m, next)) {
		rc = anchor_write(r, next);
		if (rc < 0)
			goto out;
	}
	rc = devmem_area_read(r, &a);
	if (rc < 0)
		goto out;
	rc = meta_verify(r, devmem_area_slots(&a), slot, seq, &tmp->layout);
	if (rc < 0)
		goto out;
	meta_classify(&a, m);
	if (m->state != DM_META_VALID || m->layout.seq != seq ||
	    (next->major != DM_FMT_MAJOR_V1 &&
	     (!m->rep.anchored || m->rep.anchor_err[0] ||
	      m->rep.anchor_err[1]))) {
		err(r->ctx,
		    "%s: metadata does not inspect as generation %llu "
		    "after the update\n",
		    r->devname, (unsigned long long)seq);
		rc = -EIO;
		goto out;
	}
	dbg(r->ctx, "%s: wrote layout generation %llu\n", r->devname,
	    (unsigned long long)seq);
	r->meta_warned = false; /* both copies are good now */
out:
	devmem_area_free(&a);
	free(tmp);
	free(slot);
	return rc;
}

/*
 * Defence before mapping or writing: the layout must pass the layout
 * engine's check and fit the region as found on this boot. A region whose
 * size changed since the layout was written (a DIMM's label area resized:
 * QEMU keeps it at the end of the DIMM) is taken at its new size when
 * every namespace still fits; @l->region_size is updated, so the next
 * update records the new size.
 */
int devmem_meta_check(struct devmem_region *r, struct dm_layout *l)
{
	uint64_t was = l->region_size;
	char why[256];

	l->region_size = r->size;
	if (dm_layout_check(l, why, sizeof(why)) < 0) {
		l->region_size = was;
		if (was != r->size)
			err(r->ctx,
			    "%s: the layout covers %llu bytes but the region "
			    "has %llu now, and %s\n",
			    r->devname, (unsigned long long)was,
			    (unsigned long long)r->size, why);
		else
			err(r->ctx, "%s: the layout fails its check: %s\n",
			    r->devname, why);
		return -EINVAL;
	}
	if (was != r->size)
		warn(r->ctx,
		     "%s: the region is %llu bytes now (the layout was "
		     "written for %llu); every namespace still fits\n",
		     r->devname, (unsigned long long)r->size,
		     (unsigned long long)was);
	return 0;
}
