// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Releasing a region (devmem_region_release()): the reverse of claim. The
 * region must hold no devmem namespace (or they are destroyed first with
 * DEVMEM_FORCE); its metadata area is erased so that assemble does not take
 * it again, the module lets go of the range, and the nvdimm region is
 * enabled again so the stock nvdimm stack (a raw /dev/pmemN on a
 * label-less DIMM) has it back.
 *
 * Erase order, 2.x: the rest of the head (what map=dev namespaces' memmap
 * left there), then the anchor page (the commit point: a cut inside it
 * reads as blank), then the slots it named. 1.x: the slot that does not
 * hold the newest copy first (dm_meta_write_order(), as for an update),
 * then the newest one. A torn erase so never leaves an older generation as
 * the only valid copy: either the newest (empty) layout is still readable
 * (assemble claims the region again, with no namespace; release again), or
 * the region reads as blank.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ndctl/libndctl.h>

#include "private.h"

/* Refuse (or with @force destroy) the namespaces of the layout. */
static int release_namespaces(struct devmem_region *r, bool force)
{
	struct devmem_namespace *ns;
	unsigned int n = 0;

	devmem_namespace_foreach (r, ns) {
		n++;
		if (force)
			continue;
		if (devmem_namespace_is_active(ns))
			err(r->ctx,
			    "%s: holds devmem namespace %s (/dev/%s, %llu "
			    "bytes); destroy it or use --force\n",
			    r->devname, devmem_namespace_get_name(ns), ns->dev,
			    devmem_namespace_get_size(ns));
		else
			err(r->ctx,
			    "%s: holds devmem namespace %s (inactive, %llu "
			    "bytes); destroy it or use --force\n",
			    r->devname, devmem_namespace_get_name(ns),
			    devmem_namespace_get_size(ns));
	}
	if (n == 0)
		return 0;
	if (!force)
		return -EBUSY;
	while ((ns = r->namespaces) != NULL) {
		info(r->ctx, "%s: --force: destroying namespace %s\n",
		     r->devname, ns->ns.name);
		int rc = devmem_namespace_destroy(ns, DEVMEM_FORCE);

		if (rc < 0)
			return rc;
		if (r->namespaces == ns) /* not dropped: do not loop */
			return -EIO;
	}
	return 0;
}

/* Zero [@off, @off + @len) of the region and flush it. */
static int erase(struct devmem_region *r, const unsigned char *zero,
		 uint64_t off, uint64_t len)
{
	int rc = devmem_kern_meta_write(r->ctx, r->id, off, zero, len);

	if (rc == 0) /* durable before the next piece is erased */
		rc = devmem_meta_flush(r);
	if (rc < 0)
		err(r->ctx, "%s: erasing the metadata at 0x%llx failed: %s\n",
		    r->devname, (unsigned long long)off, strerror(-rc));
	return rc;
}

static int erased(struct devmem_region *r, const unsigned char *buf,
		  uint64_t off)
{
	for (size_t k = 0; k < DM_META_SIZE; k++) {
		if (buf[k]) {
			err(r->ctx,
			    "%s: the metadata is not zero after the erase "
			    "(offset 0x%llx)\n",
			    r->devname, (unsigned long long)(off + k));
			return -EIO;
		}
	}
	return 0;
}

static int release_erase(struct devmem_region *r, const struct devmem_meta *m)
{
	unsigned int order[DM_NR_SLOTS], k;
	unsigned char *zero, *buf;
	uint64_t base = 0;
	int rc = -ENOMEM;

	zero = calloc(1, DM_META_SIZE);
	buf = malloc(DM_META_SIZE);
	if (!zero || !buf)
		goto out;
	if (m->rep.anchored) {
		base = m->rep.slots_offset;
		rc = erase(r, zero, DM_ANCHOR_SIZE,
			   DM_HEAD_SIZE - DM_ANCHOR_SIZE);
		if (rc == 0)
			rc = erase(r, zero, 0, DM_ANCHOR_SIZE);
		if (rc < 0)
			goto out;
	}
	dm_meta_write_order(&m->rep, order);
	for (k = 0; k < DM_NR_SLOTS; k++) {
		rc = erase(r, zero, base + (uint64_t)order[k] * DM_SLOT_SIZE,
			   DM_SLOT_SIZE);
		if (rc < 0)
			goto out;
	}
	for (k = 0; k < (base ? 2u : 1u); k++) {
		uint64_t off = k ? base : 0;

		rc = devmem_kern_meta_read(r->ctx, r->id, off, buf,
					   DM_META_SIZE);
		if (rc < 0) {
			err(r->ctx, "%s: cannot read the metadata back: %s\n",
			    r->devname, strerror(-rc));
			goto out;
		}
		rc = erased(r, buf, off);
		if (rc < 0)
			goto out;
	}
	dbg(r->ctx, "%s: metadata erased\n", r->devname);
out:
	free(buf);
	free(zero);
	return rc;
}

static int release_locked(struct devmem_region *r, bool force,
			  struct devmem_meta *m)
{
	int rc;

	rc = devmem_region_refresh(r);
	if (rc < 0)
		return rc;
	if (!r->claimed) {
		err(r->ctx, "%s: not claimed by devmem; nothing to release\n",
		    r->devname);
		return -ENXIO;
	}
	rc = devmem_meta_read(r, m);
	if (rc < 0)
		return rc;
	devmem_region_set_layout(r, m);
	switch (m->state) {
	case DM_META_VALID:
	case DM_META_BLANK:
		break;
	default:
		if (!force) {
			err(r->ctx,
			    "%s: %s; which namespaces it holds is not known: "
			    "use --force to release it and erase its "
			    "metadata area\n",
			    r->devname, m->rep.why);
			return m->state == DM_META_UNSUPPORTED
				       ? -EPROTONOSUPPORT
				       : -EBADMSG;
		}
		info(r->ctx, "%s: --force: erasing: %s\n", r->devname,
		     m->rep.why);
		break;
	}
	rc = release_namespaces(r, force);
	if (rc < 0)
		return rc;
	/* mappings the layout does not know (or cannot tell, unreadable) */
	rc = devmem_region_unmap_all(r, force);
	if (rc < 0)
		return rc;
	/* the state after the destroys, for the erase order */
	rc = devmem_meta_read(r, m);
	if (rc < 0)
		return rc;
	rc = release_erase(r, m);
	if (rc < 0)
		return rc;
	rc = devmem_kern_region_release(r->ctx, r->id);
	if (rc < 0) {
		err(r->ctx,
		    "%s: metadata erased, but the devmem module did not "
		    "release region id %llu: %s\n",
		    r->devname, (unsigned long long)r->id, strerror(-rc));
		return rc;
	}
	rc = devmem_region_refresh(r);
	if (rc < 0)
		return rc;
	rc = ndctl_region_enable(r->ndr);
	if (rc < 0) {
		err(r->ctx,
		    "%s: released, but the nvdimm region cannot be enabled: "
		    "%s; try 'ndctl enable-region %s'\n",
		    r->devname, strerror(-rc), r->devname);
		return rc;
	}
	info(r->ctx, "%s: released to the nvdimm stack\n", r->devname);
	return 0;
}

/**
 * devmem_region_release - give a claimed region back to the nvdimm stack
 * @region: a region the devmem module holds
 * @flags: 0, or DEVMEM_FORCE
 *
 * Refuses a region that holds devmem namespaces (one message naming each)
 * or whose metadata cannot be read (corrupt, foreign, newer version), and
 * one with a mapping that is not in its layout. With DEVMEM_FORCE the
 * namespaces are destroyed first (as devmem_namespace_destroy() with
 * DEVMEM_FORCE: live mappings are revoked) and any other mapping is
 * unmapped. Then the metadata area is erased (zeroed, the slot without the
 * newest copy first), the module releases the range, and the nvdimm region
 * is enabled again. The data area of the region is not touched.
 *
 * Returns 0; -ENXIO (not claimed); -EBUSY (namespaces or mappings);
 * -EBADMSG / -EPROTONOSUPPORT (unreadable metadata); -ENODEV (module not
 * loaded); or the error of the failing step.
 */
int devmem_region_release(struct devmem_region *region, unsigned int flags)
{
	struct devmem_region *r = region;
	struct devmem_meta *m;
	int rc;

	if (!r)
		return -EINVAL;
	if (flags & ~DEVMEM_FORCE) {
		err(r->ctx, "%s: unknown release flags %#x\n", r->devname,
		    flags);
		return -EINVAL;
	}
	rc = devmem_ctl_fd(r->ctx);
	if (rc < 0) {
		if (rc == -ENODEV)
			err(r->ctx,
			    "%s: not claimed by devmem (the devmem module is "
			    "not loaded); nothing to release\n",
			    r->devname);
		return rc == -ENODEV ? -ENXIO : rc;
	}
	m = devmem_meta_new(r->ctx);
	if (!m)
		return -ENOMEM;
	rc = devmem_lock(r->ctx);
	if (rc == 0) {
		rc = release_locked(r, flags & DEVMEM_FORCE, m);
		devmem_unlock(r->ctx);
	}
	free(m);
	return rc;
}
