// SPDX-License-Identifier: GPL-2.0
/*
 * devmem regions: claiming a physical range of persistent memory, and the
 * metadata I/O into it. The layout inside a region is userspace
 * policy; here we only make sure the range is safe to own and map.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>

#include "devmem.h"

/* id -> struct devmem_region; protected by devmem_lock */
static DEFINE_XARRAY_ALLOC(devmem_regions);

struct devmem_region *devmem_region_find(u64 id)
{
	lockdep_assert_held(&devmem_lock);
	if (id >= DEVMEM_MAX_REGIONS)
		return NULL;
	return xa_load(&devmem_regions, id);
}

static bool devmem_overflows(u64 start, u64 size)
{
	return !size || start + size < start;
}

static int devmem_count_bytes(struct resource *res, void *arg)
{
	*(u64 *)arg += resource_size(res);
	return 0;
}

/*
 * Bytes of [phys, phys + size) that firmware described as persistent
 * memory: ACPI NFIT ranges, and legacy e820 type-12 ranges (memmap=nn!ss,
 * served by nd_e820).
 */
static u64 devmem_pmem_bytes(u64 phys, u64 size)
{
	u64 bytes = 0;

	walk_iomem_res_desc(IORES_DESC_PERSISTENT_MEMORY, IORESOURCE_MEM, phys,
			    phys + size - 1, &bytes, devmem_count_bytes);
	walk_iomem_res_desc(IORES_DESC_PERSISTENT_MEMORY_LEGACY, IORESOURCE_MEM,
			    phys, phys + size - 1, &bytes, devmem_count_bytes);
	return bytes;
}

static int devmem_region_check(u64 phys, u64 size, u64 flags)
{
	struct range rg = { phys, phys + size - 1 };

	if (!IS_ALIGNED(phys | size, DEVMEM_PAGE_SIZE) ||
	    devmem_overflows(phys, size) || size < 2 * DEVMEM_SUBSECTION_SIZE)
		return -EINVAL;
	if ((phys + size - 1) >> MAX_PHYSMEM_BITS)
		return -ERANGE;
	if (region_intersects(phys, size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT)
		return -EPERM;
	if (flags & ~DEVMEM_CLAIM_UNDESCRIBED)
		return -EINVAL;
	if (flags & DEVMEM_CLAIM_UNDESCRIBED) {
		/* virtio-pmem: nothing else may be known at the range */
		if (region_intersects(phys, size, IORESOURCE_MEM,
				      IORES_DESC_NONE) != REGION_DISJOINT)
			return -EBUSY;
	} else if (devmem_pmem_bytes(phys, size) != size) {
		return -EINVAL;
	}
	/* another devmem region, or a P2P range of a driver (kmod/p2p.c) */
	if (devmem_range_overlaps_region(&rg) ||
	    devmem_range_overlaps_p2p(&rg))
		return -EBUSY;
	return 0;
}

/*
 * Mark the range as devmem's in /proc/iomem with a non-busy resource, so
 * that device-dax can still request the data ranges of the namespaces
 * inside it. A busy trial request proves that no driver owns any part of
 * the range, and finds the deepest non-busy resource containing it (the
 * firmware's "Persistent Memory"), under which ours goes. Nothing can be
 * inserted there between the two steps but by another claim of devmem's
 * own, which devmem_lock excludes; a driver racing for the same range
 * makes request_resource() fail, which is reported as -EBUSY.
 */
static struct resource *devmem_region_reserve(u64 id, u64 phys, u64 size)
{
	struct resource *res, *parent;

	res = request_mem_region(phys, size, KBUILD_MODNAME);
	if (!res)
		return ERR_PTR(-EBUSY);
	parent = res->parent;
	release_mem_region(phys, size);

	res = kzalloc(sizeof(*res), GFP_KERNEL);
	if (!res)
		return ERR_PTR(-ENOMEM);
	res->name = kasprintf(GFP_KERNEL, "devmem region%llu", id);
	if (!res->name) {
		kfree(res);
		return ERR_PTR(-ENOMEM);
	}
	res->start = phys;
	res->end = phys + size - 1;
	res->flags = IORESOURCE_MEM;
	if (request_resource(parent, res)) {
		kfree(res->name);
		kfree(res);
		return ERR_PTR(-EBUSY);
	}
	return res;
}

static void devmem_region_unreserve(struct resource *res)
{
	remove_resource(res);
	kfree(res->name);
	kfree(res);
}

int devmem_region_claim(struct devmem_region_arg *arg)
{
	struct devmem_region *r;
	u32 id;
	int rc;

	rc = devmem_region_check(arg->phys, arg->size, arg->flags);
	if (rc) {
		pr_debug("claim %#llx+%#llx refused: %d\n", arg->phys,
			 arg->size, rc);
		return rc;
	}

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->phys = arg->phys;
	r->size = arg->size;
	r->flags = arg->flags;
	xa_init(&r->ns);

	/* the wanted id keeps /dev/daxN.M names stable across boots */
	rc = -EBUSY;
	if (arg->id < DEVMEM_MAX_REGIONS) {
		id = arg->id;
		rc = xa_insert(&devmem_regions, id, r, GFP_KERNEL);
	}
	if (rc == -EBUSY)
		rc = xa_alloc(&devmem_regions, &id, r,
			      XA_LIMIT(0, DEVMEM_MAX_REGIONS - 1), GFP_KERNEL);
	if (rc) {
		rc = rc == -EBUSY ? -ENOSPC : rc; /* every id taken */
		goto err_free;
	}
	r->id = id;

	r->res = devmem_region_reserve(r->id, r->phys, r->size);
	if (IS_ERR(r->res)) {
		rc = PTR_ERR(r->res);
		goto err_id;
	}

	__module_get(THIS_MODULE);
	arg->id = r->id;
	pr_info("region%llu: claimed [%#llx-%#llx]\n", r->id, r->phys,
		r->phys + r->size - 1);
	return 0;

err_id:
	xa_erase(&devmem_regions, r->id);
err_free:
	kfree(r);
	return rc;
}

static void devmem_region_free(struct devmem_region *r)
{
	pr_info("region%llu: released\n", r->id);
	devmem_region_unreserve(r->res);
	xa_erase(&devmem_regions, r->id);
	xa_destroy(&r->ns);
	kfree(r);
	module_put(THIS_MODULE);
}

int devmem_region_release(struct devmem_region_arg *arg)
{
	struct devmem_region *r = devmem_region_find(arg->id);

	if (!r)
		return -ENOENT;
	if (r->nr_mapped)
		return -EBUSY;
	devmem_region_free(r);
	return 0;
}

int devmem_region_info(struct devmem_region_arg *arg)
{
	struct devmem_region *r = devmem_region_find(arg->id);

	if (!r)
		return -ENOENT;
	arg->phys = r->phys;
	arg->size = r->size;
	arg->nr_mapped = r->nr_mapped;
	arg->flags = r->flags;
	return 0;
}

void devmem_region_release_all(void)
{
	struct devmem_region *r;
	unsigned long id;

	xa_for_each(&devmem_regions, id, r) {
		devmem_ns_unmap_all(r);
		devmem_region_free(r);
	}
}

/* Is any part of @rg inside a claimed region? Caller holds devmem_lock. */
bool devmem_range_overlaps_region(const struct range *rg)
{
	struct devmem_region *r;
	unsigned long id;

	lockdep_assert_held(&devmem_lock);
	xa_for_each(&devmem_regions, id, r)
		if (r->phys <= rg->end && rg->start < r->phys + r->size)
			return true;
	return false;
}

/* Is any part of @r inside the pgmap range of a mapped namespace? */
bool devmem_range_overlaps_pgmap(const struct range *rg)
{
	struct devmem_region *r;
	struct devmem_ns *ns;
	unsigned long id, idx;

	xa_for_each(&devmem_regions, id, r)
		xa_for_each(&r->ns, idx, ns)
			if (ns->pgmap.start <= rg->end &&
			    rg->start <= ns->pgmap.end)
				return true;
	return false;
}

/*
 * Bytes of a mapped namespace that metadata I/O must not touch: the data,
 * which device-dax hands out, and for map=dev the 2 MiB blocks the altmap
 * hands out for the namespace's struct pages (the kernel takes them only
 * for whole sections, from the first 2 MiB boundary past the reserve;
 * devmem_ns_place() counted them). The rest of a pgmap range (the reserve
 * over the anchor, unused altmap space, the rounding past the data) is
 * free.
 */
static bool devmem_meta_hits_ns(struct devmem_region *r, u64 start, u64 end)
{
	struct devmem_ns *ns;
	unsigned long idx;

	xa_for_each(&r->ns, idx, ns) {
		if (ns->data.start <= end && start <= ns->data.end)
			return true;
		if (ns->memmap_len && ns->memmap_start <= end &&
		    start < ns->memmap_start + ns->memmap_len)
			return true;
	}
	return false;
}

/*
 * Metadata I/O: [offset, offset + length) of the region, through a bounce
 * buffer and a mapping made for the call. Reads use copy_mc so that media
 * poison is an -EIO, not a machine check; writes are flushed to the
 * persistence domain before returning. Where the metadata lives is
 * userspace's policy; the module only keeps the I/O off what mapped
 * namespaces use. Caller holds devmem_lock, which keeps the mappings
 * still.
 */
int devmem_meta_io(struct devmem_meta_arg *arg, bool write)
{
	struct devmem_region *r = devmem_region_find(arg->id);
	void __user *ubuf = u64_to_user_ptr(arg->buf);
	void *buf, *media;
	u64 start;
	int rc = 0;

	if (!r)
		return -ENOENT;
	if (!arg->length || arg->length > DEVMEM_META_IO_MAX ||
	    arg->offset >= r->size || arg->length > r->size - arg->offset)
		return -EINVAL;
	start = r->phys + arg->offset;
	if (devmem_meta_hits_ns(r, start, start + arg->length - 1))
		return -EBUSY;

	buf = kvmalloc(arg->length, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	media = memremap(start, arg->length, MEMREMAP_WB);
	if (!media) {
		rc = -ENOMEM;
		goto out_buf;
	}

	if (write) {
		if (copy_from_user(buf, ubuf, arg->length)) {
			rc = -EFAULT;
			goto out;
		}
		memcpy_flushcache(media, buf, arg->length);
		wmb(); /* order the non-temporal stores before returning */
	} else {
		if (copy_mc_to_kernel(buf, media, arg->length)) {
			rc = -EIO;
			goto out;
		}
		if (copy_to_user(ubuf, buf, arg->length))
			rc = -EFAULT;
	}
out:
	memunmap(media);
out_buf:
	kvfree(buf);
	return rc;
}
