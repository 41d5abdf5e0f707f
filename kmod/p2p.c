// SPDX-License-Identifier: GPL-2.0
/*
 * devmem P2P ranges: the exported kernel API of include/linux/devmem.h.
 *
 * A driver hands in a 4 KiB-aligned range of its device memory; devmem
 * gives it struct pages with memremap_pages(MEMORY_DEVICE_GENERIC), as
 * ns.c does for namespaces. memremap_pages() works on whole 2 MiB
 * sub-sections (check_pfn_span), so the pgmap covers the range rounded
 * OUT to sub-sections. The pages of that slack exist but belong to the
 * caller's device only if the caller owns them: for a PCI device the
 * rounded range must lie inside one memory BAR of that device (which only
 * the device decodes); for any other device no busy resource may be inside
 * it (a trial busy request succeeds). Either way the slack pages are never
 * handed out: the genalloc pool holds only [phys, phys + size).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/genalloc.h>
#include <linux/ioport.h>
#include <linux/list.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "devmem.h"

struct devmem_range {
	struct list_head node; /* on devmem_p2p_ranges */
	struct device *dev; /* the caller's device (a reference) */
	phys_addr_t phys; /* what the caller registered */
	resource_size_t size;
	struct gen_pool *pool; /* [phys, phys + size), PAGE_SIZE granules */
	atomic_long_t allocated; /* pages handed out and not yet freed */
	struct dev_pagemap pgmap; /* the sub-section rounded range */
};

/*
 * devmem_lock (devmem.h) also protects devmem_p2p_ranges and serialises
 * register/unregister against each other and against namespace mapping,
 * so that the overlap checks against other pgmaps cannot race with
 * devmem's own memremap_pages() calls. devmem_alloc()/devmem_free() and
 * the lookups do not take it: genalloc is lock-free and the range is the
 * caller's until devmem_unregister_range() returns 0.
 */
static LIST_HEAD(devmem_p2p_ranges);

/* marks our pgmaps, so that devmem_page_to_range() can recognise them */
static const struct dev_pagemap_ops devmem_p2p_pgmap_ops;

/* Is any part of @rg in the pgmap of a P2P range? Caller holds devmem_lock. */
bool devmem_range_overlaps_p2p(const struct range *rg)
{
	struct devmem_range *r;

	lockdep_assert_held(&devmem_lock);
	list_for_each_entry(r, &devmem_p2p_ranges, node)
		if (r->pgmap.range.start <= rg->end &&
		    rg->start <= r->pgmap.range.end)
			return true;
	return false;
}

static bool devmem_p2p_overlaps(const struct range *pg)
{
	return devmem_range_overlaps_p2p(pg) ||
	       devmem_range_overlaps_pgmap(pg) ||
	       devmem_range_overlaps_region(pg);
}

/* any pgmap (any driver's) in one of the sub-sections of @pg? */
static bool devmem_p2p_pgmap_taken(const struct range *pg)
{
	struct dev_pagemap *other;
	u64 addr;

	for (addr = pg->start; addr < pg->end; addr += DEVMEM_SUBSECTION_SIZE) {
		other = get_dev_pagemap(PHYS_PFN(addr), NULL);
		if (other) {
			put_dev_pagemap(other);
			return true;
		}
	}
	return false;
}

/* Does @dev own all of @pg? See the comment at the top for the rule. */
static int devmem_p2p_owned(struct device *dev, const struct range *pg)
{
	struct resource *res;
	int i;

	if (dev_is_pci(dev)) {
		struct pci_dev *pdev = to_pci_dev(dev);

		for (i = 0; i < PCI_STD_NUM_BARS; i++) {
			res = &pdev->resource[i];
			if (resource_type(res) == IORESOURCE_MEM &&
			    res->start <= pg->start && pg->end <= res->end)
				return 0;
		}
		return -ERANGE;
	}

	res = request_mem_region(pg->start, range_len(pg), KBUILD_MODNAME);
	if (!res)
		return -EBUSY;
	release_mem_region(pg->start, range_len(pg));
	return 0;
}

static int devmem_p2p_check(struct device *dev, phys_addr_t phys,
			    resource_size_t size, unsigned long flags,
			    const struct range *pg)
{
	if (!dev || flags & ~DEVMEM_RANGE_FLAGS_ALL)
		return -EINVAL;
	if (!IS_ALIGNED(phys | size, PAGE_SIZE) || !size ||
	    phys + size < phys)
		return -EINVAL;
	if (pg->end >> MAX_PHYSMEM_BITS)
		return -ERANGE;
	if (region_intersects(pg->start, range_len(pg), IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT)
		return -EPERM;
	if (devmem_p2p_overlaps(pg))
		return -EEXIST;
	if (devmem_p2p_pgmap_taken(pg))
		return -EBUSY;
	return devmem_p2p_owned(dev, pg);
}

/**
 * devmem_register_range() - give a device-memory range struct pages
 * @dev: the device that owns the memory (held until unregister)
 * @phys: CPU physical start, 4 KiB aligned
 * @size: bytes, a 4 KiB multiple
 * @flags: 0
 *
 * Context: process context, may sleep. Takes devmem_lock.
 *
 * Return: the range, or ERR_PTR(): -EINVAL (unaligned, empty, overflowing,
 * flags), -ERANGE (beyond the physical address space, or for a PCI device
 * the range rounded to 2 MiB sub-sections leaves its memory BARs), -EPERM
 * (the rounded range touches System RAM), -EEXIST (it shares a sub-section
 * with another devmem range, namespace or claimed region), -EBUSY (another
 * pgmap is there, or for a non-PCI device a busy resource), -ENOMEM.
 */
struct devmem_range *devmem_register_range(struct device *dev,
					   phys_addr_t phys,
					   resource_size_t size,
					   unsigned long flags)
{
	struct range pg = {
		.start = ALIGN_DOWN(phys, DEVMEM_SUBSECTION_SIZE),
		.end = ALIGN(phys + size, DEVMEM_SUBSECTION_SIZE) - 1,
	};
	struct devmem_range *r;
	void *addr;
	int rc;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return ERR_PTR(-ENOMEM);

	mutex_lock(&devmem_lock);
	rc = devmem_p2p_check(dev, phys, size, flags, &pg);
	if (rc)
		goto err_unlock;

	r->pool = gen_pool_create(PAGE_SHIFT, dev_to_node(dev));
	if (!r->pool) {
		rc = -ENOMEM;
		goto err_unlock;
	}
	/* the pool's addresses are physical addresses; 0 means failure */
	rc = gen_pool_add(r->pool, phys, size, dev_to_node(dev));
	if (rc)
		goto err_pool;

	r->phys = phys;
	r->size = size;
	atomic_long_set(&r->allocated, 0);
	r->pgmap.type = MEMORY_DEVICE_GENERIC;
	r->pgmap.range = pg;
	r->pgmap.nr_range = 1;
	r->pgmap.ops = &devmem_p2p_pgmap_ops;
	r->pgmap.owner = r;
	addr = memremap_pages(&r->pgmap, dev_to_node(dev));
	if (IS_ERR(addr)) {
		rc = PTR_ERR(addr);
		goto err_pool;
	}

	r->dev = get_device(dev);
	list_add_tail(&r->node, &devmem_p2p_ranges);
	__module_get(THIS_MODULE);
	mutex_unlock(&devmem_lock);
	dev_dbg(dev, "devmem range [%pa+%pa] pgmap [%#llx-%#llx]\n", &phys,
		&size, pg.start, pg.end);
	return r;

err_pool:
	gen_pool_destroy(r->pool);
err_unlock:
	mutex_unlock(&devmem_lock);
	kfree(r);
	if (dev)
		dev_dbg(dev, "devmem range [%pa+%pa] refused: %d\n", &phys,
			&size, rc);
	return ERR_PTR(rc);
}
EXPORT_SYMBOL_GPL(devmem_register_range);

/**
 * devmem_unregister_range() - undo devmem_register_range()
 * @range: a registered range
 *
 * Refuses while any page is allocated: free them first (devmem_free()
 * refuses a page that someone still holds, e.g. a user pin). On success
 * the struct pages are gone and @range is freed.
 *
 * Context: process context, may sleep. Takes devmem_lock.
 *
 * Return: 0, or -EBUSY with allocations outstanding (nothing changed).
 */
int devmem_unregister_range(struct devmem_range *range)
{
	if (atomic_long_read(&range->allocated))
		return -EBUSY;

	mutex_lock(&devmem_lock);
	list_del(&range->node);
	memunmap_pages(&range->pgmap);
	mutex_unlock(&devmem_lock);

	gen_pool_destroy(range->pool);
	put_device(range->dev);
	kfree(range);
	module_put(THIS_MODULE);
	return 0;
}
EXPORT_SYMBOL_GPL(devmem_unregister_range);

/**
 * devmem_alloc() - allocate physically contiguous pages of a range
 * @range: a registered range
 * @size: bytes, rounded up to whole pages
 *
 * Only pages of [phys, phys + size) given at registration are handed out,
 * never the sub-section slack around it. Each page has a reference count
 * of 1, held by the allocation.
 *
 * Context: any context (genalloc is lock-free).
 *
 * Return: the first page, or NULL when no run of that size is free.
 */
struct page *devmem_alloc(struct devmem_range *range, size_t size)
{
	unsigned long addr;

	if (!size)
		return NULL;
	size = PAGE_ALIGN(size);
	addr = gen_pool_alloc(range->pool, size);
	if (!addr)
		return NULL;
	atomic_long_add(size >> PAGE_SHIFT, &range->allocated);
	return pfn_to_page(PHYS_PFN(addr));
}
EXPORT_SYMBOL_GPL(devmem_alloc);

/**
 * devmem_free() - give back pages from devmem_alloc()
 * @range: the range they came from
 * @page: the first page devmem_alloc() returned
 * @size: the size passed to devmem_alloc()
 *
 * Refuses if any of the pages still has a reference besides the
 * allocation's own (a get_user_pages()/pin_user_pages() that has not been
 * put yet), so that a page is never reused, or its memmap removed, while
 * someone holds it. Revoke user mappings first (unmap_mapping_range()),
 * then wait for in-flight I/O to drop its pins.
 *
 * Context: any context.
 *
 * Return: 0, -EINVAL if the pages are not an allocation of @range, or
 * -EBUSY if one of them is still referenced (nothing freed).
 */
int devmem_free(struct devmem_range *range, struct page *page, size_t size)
{
	phys_addr_t phys = page_to_phys(page);
	unsigned long i, n;

	size = PAGE_ALIGN(size);
	n = size >> PAGE_SHIFT;
	if (!size || phys < range->phys ||
	    phys + size > range->phys + range->size)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (page_ref_count(page + i) != 1)
			return -EBUSY;
	gen_pool_free(range->pool, phys, size);
	atomic_long_sub(n, &range->allocated);
	return 0;
}
EXPORT_SYMBOL_GPL(devmem_free);

/**
 * devmem_range_to_page() - the struct page at an offset of a range
 * @range: a registered range
 * @offset: bytes from the registered start
 *
 * Return: the page, or NULL if @offset is outside [0, size).
 */
struct page *devmem_range_to_page(struct devmem_range *range,
				  resource_size_t offset)
{
	if (offset >= range->size)
		return NULL;
	return pfn_to_page(PHYS_PFN(range->phys + offset));
}
EXPORT_SYMBOL_GPL(devmem_range_to_page);

/**
 * devmem_page_to_range() - the devmem range a page belongs to
 * @page: any page
 *
 * Return: the range whose registered [phys, phys + size) holds @page, or
 * NULL (also for the sub-section slack pages around a range). The caller
 * must know the range cannot be unregistered meanwhile (it owns it, or
 * holds the page's allocation).
 */
struct devmem_range *devmem_page_to_range(struct page *page)
{
	struct devmem_range *r;
	phys_addr_t phys;

	if (!is_zone_device_page(page) ||
	    page->pgmap->ops != &devmem_p2p_pgmap_ops)
		return NULL;
	r = page->pgmap->owner;
	phys = page_to_phys(page);
	if (phys < r->phys || phys - r->phys >= r->size)
		return NULL;
	return r;
}
EXPORT_SYMBOL_GPL(devmem_page_to_range);

/** devmem_range_phys() - the physical start the range was registered with */
phys_addr_t devmem_range_phys(const struct devmem_range *range)
{
	return range->phys;
}
EXPORT_SYMBOL_GPL(devmem_range_phys);

/** devmem_range_size() - the size the range was registered with */
resource_size_t devmem_range_size(const struct devmem_range *range)
{
	return range->size;
}
EXPORT_SYMBOL_GPL(devmem_range_size);

/** devmem_range_allocated() - bytes currently allocated from the range */
size_t devmem_range_allocated(const struct devmem_range *range)
{
	return (size_t)atomic_long_read(&range->allocated) << PAGE_SHIFT;
}
EXPORT_SYMBOL_GPL(devmem_range_allocated);
