// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Metadata I/O of a claimed region and the update protocol. The metadata
 * (the first DM_META_SIZE bytes of the region) is only ever read and
 * written through the module's DEVMEM_IOC_META_READ/WRITE; the module
 * flushes every write to media before the ioctl returns.
 *
 * Update protocol (devmem_meta_update()): the new layout gets the next
 * generation number, is encoded once, and is written to every slot in the
 * order dm_meta_write_order() gives (never first over the newest valid
 * copy); then the whole area is read back and each slot must hold exactly
 * what was written. A torn update leaves the previous generation valid in
 * the slot that was not yet written.
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

static int meta_read_raw(struct devmem_region *r, void *buf)
{
	int rc;

	rc = devmem_kern_meta_read(r->ctx, r->id, 0, buf, DM_META_SIZE);
	if (rc < 0)
		err(r->ctx, "%s: cannot read the metadata area: %s\n",
		    r->devname, strerror(-rc));
	return rc;
}

static void meta_classify(const void *buf, struct devmem_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->state = dm_meta_inspect(buf, DM_META_SIZE, &m->layout, &m->rep);
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
	void *buf;
	int rc;

	buf = malloc(DM_META_SIZE);
	if (!buf) {
		err(r->ctx, "%s: out of memory for the metadata area\n",
		    r->devname);
		return -ENOMEM;
	}
	rc = meta_read_raw(r, buf);
	if (rc == 0) {
		meta_classify(buf, m);
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
	free(buf);
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
int devmem_meta_update(struct devmem_region *r, struct devmem_meta *m,
		       const struct dm_layout *next)
{
	unsigned int order[DM_NR_SLOTS];
	struct devmem_meta *tmp = NULL;
	unsigned char *slot = NULL, *buf = NULL;
	uint64_t seq = meta_cur_seq(m) + 1;
	unsigned int k;
	int rc = -ENOMEM;

	slot = calloc(1, DM_SLOT_SIZE);
	buf = malloc(DM_META_SIZE);
	tmp = devmem_meta_new(r->ctx);
	if (!slot || !buf || !tmp) {
		err(r->ctx, "%s: out of memory for a metadata update\n",
		    r->devname);
		goto out;
	}
	tmp->layout = *next;
	tmp->layout.seq = seq;
	dm_slot_encode(&tmp->layout, slot);
	dm_meta_write_order(&m->rep, order);
	for (k = 0; k < DM_NR_SLOTS; k++) {
		if (order[k] >= DM_NR_SLOTS) {
			err(r->ctx, "%s: write order names slot %u of %u\n",
			    r->devname, order[k], DM_NR_SLOTS);
			rc = -EINVAL;
			goto out;
		}
		rc = devmem_kern_meta_write(r->ctx, r->id,
					    (uint64_t)order[k] * DM_SLOT_SIZE,
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
	rc = meta_read_raw(r, buf);
	if (rc < 0)
		goto out;
	rc = meta_verify(r, buf, slot, seq, &tmp->layout);
	if (rc < 0)
		goto out;
	meta_classify(buf, m);
	if (m->state != DM_META_VALID || m->layout.seq != seq) {
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
	free(tmp);
	free(buf);
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
