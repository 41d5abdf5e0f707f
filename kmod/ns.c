// SPDX-License-Identifier: GPL-2.0
/*
 * devmem namespaces: one platform device per mapped namespace, whose probe
 * hands device-dax a static dev_pagemap (as drivers/dax/pmem.c does), or
 * for an fsdax namespace maps the pages itself under a block device
 * (fsdax.c). The
 * pgmap range is the data range widened to sub-sections: rounded up from
 * the start of the namespace's reservation and up from the end of its
 * data. Userspace reserved the slack for that in the layout; here we only
 * check it, compute the ranges from this boot's physical base and map.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/numa.h>
#include <linux/platform_device.h>
#include <linux/slab.h>

#include "dax_compat.h"
#include "devmem.h"

#define DEVMEM_NS_DRV_NAME "devmem-ns"

/* memmap a vmem_altmap supplies: whole sections only (x86 vmemmap_populate) */
static u64 devmem_altmap_need(const struct range *pg)
{
	u64 first = ALIGN(pg->start, DEVMEM_SECTION_SIZE);
	u64 last = ALIGN_DOWN(pg->end + 1, DEVMEM_SECTION_SIZE);
	u64 per_section = ALIGN(PAGES_PER_SECTION * sizeof(struct page),
				PMD_SIZE);

	if (last <= first)
		return 0;
	return (last - first) / DEVMEM_SECTION_SIZE * per_section;
}

static bool devmem_pgmap_taken(const struct range *pg)
{
	struct dev_pagemap *other;

	if (devmem_range_overlaps_pgmap(pg))
		return true;
	other = get_dev_pagemap(PHYS_PFN(pg->start), NULL);
	if (!other)
		other = get_dev_pagemap(PHYS_PFN(pg->end), NULL);
	if (other) {
		put_dev_pagemap(other);
		return true;
	}
	return false;
}

/* Validate a map request and compute this boot's ranges into @ns. */
static int devmem_ns_place(struct devmem_region *r,
			   const struct devmem_ns_arg *arg, struct devmem_ns *ns)
{
	u64 data_end;

	if (arg->map != DEVMEM_MAP_DEV && arg->map != DEVMEM_MAP_MEM)
		return -EINVAL;
	if (arg->mode != DEVMEM_MODE_DEVDAX && arg->mode != DEVMEM_MODE_FSDAX)
		return -EINVAL;
	/* REQ_PREFLUSH is a barrier only: the platform must persist stores */
	if (arg->mode == DEVMEM_MODE_FSDAX &&
	    (r->flags & DEVMEM_CLAIM_UNDESCRIBED))
		return -EOPNOTSUPP;
	if (arg->align != DEVMEM_PAGE_SIZE &&
	    arg->align != DEVMEM_SUBSECTION_SIZE)
		return -EINVAL;
	if (!IS_ALIGNED(arg->resv_offset | arg->offset | arg->size,
			DEVMEM_PAGE_SIZE) ||
	    !arg->size || arg->offset + arg->size < arg->offset)
		return -EINVAL;
	/* the reservation may cover the anchor page; the data never does */
	if (arg->offset < DEVMEM_ANCHOR_SIZE || arg->resv_offset > arg->offset ||
	    arg->offset + arg->size > r->size)
		return -ERANGE;

	data_end = r->phys + arg->offset + arg->size;
	ns->resv_offset = arg->resv_offset;
	ns->data.start = r->phys + arg->offset;
	ns->data.end = data_end - 1;
	ns->pgmap.start = ALIGN(r->phys + arg->resv_offset,
				DEVMEM_SUBSECTION_SIZE);
	ns->pgmap.end = ALIGN(data_end, DEVMEM_SUBSECTION_SIZE) - 1;
	if (ns->pgmap.start > ns->data.start ||
	    ns->pgmap.end >= r->phys + r->size) {
		pr_debug("region%llu ns%llu: pgmap %#llx-%#llx outside the reservation\n",
			 r->id, arg->index, ns->pgmap.start, ns->pgmap.end);
		return -ERANGE;
	}
	/*
	 * The altmap hands out memmap between the anchor page and the data,
	 * in blocks aligned to their 2 MiB size (altmap_alloc_block_buf()).
	 */
	ns->altmap_reserve = 0;
	if (ns->pgmap.start < r->phys + DEVMEM_ANCHOR_SIZE)
		ns->altmap_reserve =
			r->phys + DEVMEM_ANCHOR_SIZE - ns->pgmap.start;
	ns->memmap_len = 0;
	if (arg->map == DEVMEM_MAP_DEV) {
		u64 first = ALIGN(ns->pgmap.start + ns->altmap_reserve, PMD_SIZE);
		u64 need = devmem_altmap_need(&ns->pgmap);

		if (need && (first > ns->data.start ||
			     need > ns->data.start - first))
			return -ENOSPC;
		ns->memmap_start = first;
		ns->memmap_len = need;
	}
	if (devmem_pgmap_taken(&ns->pgmap))
		return -EBUSY;

	ns->region = r;
	ns->index = arg->index;
	ns->map = arg->map;
	ns->mode = arg->mode;
	ns->align = arg->align;
	ns->align_effective = DEVMEM_PAGE_SIZE;
	if (arg->align == DEVMEM_SUBSECTION_SIZE &&
	    IS_ALIGNED(ns->data.start | arg->size, DEVMEM_SUBSECTION_SIZE))
		ns->align_effective = DEVMEM_SUBSECTION_SIZE;
	ns->dax_region_id = DEVMEM_DAX_REGION_BASE + r->id;
	ns->dax_id = arg->index;
	return 0;
}

static void devmem_ns_fill(const struct devmem_ns *ns, struct devmem_ns_arg *arg)
{
	arg->align_effective = ns->align_effective;
	arg->dax_region = ns->dax_region_id;
	arg->dax_id = ns->dax_id;
	arg->pgmap_start = ns->pgmap.start;
	arg->pgmap_end = ns->pgmap.end + 1;
	arg->mapped = 1;
	arg->mode = ns->mode;
}

enum devmem_dax_bind {
	DEVMEM_DAX_UNBOUND,
	DEVMEM_DAX_DEVICE_DAX,
	DEVMEM_DAX_OTHER, /* kmem: the range is system RAM */
};

/*
 * What drives a devdax namespace's dax device. Takes the dax device's lock
 * (order: devmem_lock, the platform device, its dax child); a rebind right
 * after it returns is not stopped.
 */
static enum devmem_dax_bind devmem_dax_bind(const struct devmem_ns *ns)
{
	enum devmem_dax_bind bind = DEVMEM_DAX_UNBOUND;
	struct device *child;
	char name[32];

	snprintf(name, sizeof(name), "dax%d.%d", ns->dax_region_id, ns->dax_id);
	child = device_find_child_by_name(&ns->pdev->dev, name);
	if (!child)
		return bind;
	device_lock(child);
	if (child->driver)
		bind = strcmp(child->driver->name, "device_dax") ?
			       DEVMEM_DAX_OTHER :
			       DEVMEM_DAX_DEVICE_DAX;
	device_unlock(child);
	put_device(child);
	return bind;
}

/* All devm: a failed probe or an unbind undoes everything in reverse. */
static int devmem_ns_probe(struct platform_device *pdev)
{
	struct devmem_ns *ns = *(struct devmem_ns **)dev_get_platdata(&pdev->dev);
	struct dev_pagemap pgmap = { .range = ns->pgmap, .nr_range = 1 };
	struct dax_region *dax_region;
	struct dev_dax_data data;
	struct dev_dax *dev_dax;
	int rc = 0;

	ns->pdev = pdev;

	if (ns->map == DEVMEM_MAP_DEV) {
		struct vmem_altmap altmap = {
			.base_pfn = PHYS_PFN(ns->pgmap.start),
			.end_pfn = PHYS_PFN(ns->pgmap.end),
			.reserve = PHYS_PFN(ns->altmap_reserve),
			.free = PHYS_PFN(ns->data.start - ns->pgmap.start -
					 ns->altmap_reserve),
		};

		memcpy(&pgmap.altmap, &altmap, sizeof(altmap));
		pgmap.flags |= PGMAP_ALTMAP_VALID;
	}
	if (ns->mode == DEVMEM_MODE_FSDAX) {
		rc = devmem_fsdax_probe(pdev, ns, &pgmap);
		goto out;
	}

	dax_region = alloc_dax_region(&pdev->dev, ns->dax_region_id, &ns->data,
				      memory_add_physaddr_to_nid(ns->data.start),
				      ns->align_effective, IORESOURCE_DAX_STATIC);
	if (!dax_region) {
		rc = -ENOMEM;
		goto out;
	}

	data = (struct dev_dax_data){
		.dax_region = dax_region,
		.pgmap = &pgmap,
		.size = range_len(&ns->data),
		.id = ns->dax_id,
	};
	dev_dax = devm_create_dev_dax(&data);
	/* the dev_dax instance now owns the lifetime of the dax_region */
	dax_region_put(dax_region);
	if (IS_ERR(dev_dax)) {
		rc = PTR_ERR(dev_dax);
		goto out;
	}
	/* device_dax maps the pages in its own probe; did it succeed? */
	if (devmem_dax_bind(ns) == DEVMEM_DAX_UNBOUND)
		rc = -ENXIO;
out:
	ns->probe_rc = rc;
	return rc;
}

static struct platform_driver devmem_ns_driver = {
	.probe = devmem_ns_probe,
	.driver = {
		.name = DEVMEM_NS_DRV_NAME,
		/* only the ioctl path may bind and unbind namespaces */
		.suppress_bind_attrs = true,
	},
};

int devmem_ns_driver_register(void)
{
	return platform_driver_register(&devmem_ns_driver);
}

void devmem_ns_driver_unregister(void)
{
	platform_driver_unregister(&devmem_ns_driver);
}

static int devmem_ns_publish(struct devmem_ns *ns)
{
	struct platform_device_info info = {
		.name = DEVMEM_NS_DRV_NAME,
		.id = PLATFORM_DEVID_AUTO,
		.data = &ns,
		.size_data = sizeof(ns),
	};

	/* probe runs synchronously inside the registration */
	ns->probe_rc = -ENODEV;
	ns->pdev = platform_device_register_full(&info);
	if (IS_ERR(ns->pdev))
		return PTR_ERR(ns->pdev);
	if (ns->probe_rc) {
		platform_device_unregister(ns->pdev);
		return ns->probe_rc;
	}
	return 0;
}

/* Look up the region and the mapped namespace (or NULL) @arg names. */
static int devmem_ns_find(const struct devmem_ns_arg *arg,
			  struct devmem_region **r, struct devmem_ns **ns)
{
	*r = devmem_region_find(arg->id);
	if (!*r)
		return -ENOENT;
	if (arg->index >= DEVMEM_MAX_NAMESPACES)
		return -EINVAL;
	*ns = xa_load(&(*r)->ns, arg->index);
	return 0;
}

int devmem_ns_map(struct devmem_ns_arg *arg)
{
	struct devmem_region *r;
	struct devmem_ns *ns;
	int rc;

	rc = devmem_ns_find(arg, &r, &ns);
	if (rc)
		return rc;
	if (ns)
		return -EEXIST;

	ns = kzalloc(sizeof(*ns), GFP_KERNEL);
	if (!ns)
		return -ENOMEM;
	rc = devmem_ns_place(r, arg, ns);
	if (rc)
		goto err_free;
	rc = xa_insert(&r->ns, arg->index, ns, GFP_KERNEL);
	if (rc)
		goto err_free;
	rc = devmem_ns_publish(ns);
	if (rc) {
		pr_err("region%llu ns%llu: mapping [%#llx-%#llx] failed: %d\n",
		       r->id, ns->index, ns->data.start, ns->data.end, rc);
		goto err_erase;
	}
	r->nr_mapped++;
	devmem_ns_fill(ns, arg);
	pr_info("region%llu ns%llu: %s%d.%d [%#llx-%#llx] pgmap [%#llx-%#llx] map=%s align=%#llx\n",
		r->id, ns->index,
		ns->mode == DEVMEM_MODE_FSDAX ? "devmem" : "dax",
		ns->dax_region_id, ns->dax_id, ns->data.start,
		ns->data.end, ns->pgmap.start, ns->pgmap.end,
		ns->map == DEVMEM_MAP_DEV ? "dev" : "mem", ns->align_effective);
	return 0;

err_erase:
	xa_erase(&r->ns, arg->index);
err_free:
	kfree(ns);
	return rc;
}

static void devmem_ns_free(struct devmem_ns *ns)
{
	struct devmem_region *r = ns->region;

	/* unregistering kills the dax device: live mappings are revoked */
	platform_device_unregister(ns->pdev);
	xa_erase(&r->ns, ns->index);
	r->nr_mapped--;
	kfree(ns);
}

/*
 * In use in a way unmapping cannot revoke? A devdax device's mappings are
 * revoked by its unregistration; a mounted filesystem or system RAM are not.
 * Checked under devmem_lock; a mount or a bind racing it is not stopped.
 */
static bool devmem_ns_busy(const struct devmem_ns *ns)
{
	if (ns->mode == DEVMEM_MODE_FSDAX)
		return devmem_fsdax_busy(ns);
	return devmem_dax_bind(ns) == DEVMEM_DAX_OTHER;
}

int devmem_ns_unmap(struct devmem_ns_arg *arg)
{
	struct devmem_region *r;
	struct devmem_ns *ns;
	int rc;

	rc = devmem_ns_find(arg, &r, &ns);
	if (rc)
		return rc;
	if (!ns)
		return -ENXIO;
	if (devmem_ns_busy(ns))
		return -EBUSY;
	devmem_ns_free(ns);
	return 0;
}

int devmem_ns_info(struct devmem_ns_arg *arg)
{
	struct devmem_region *r;
	struct devmem_ns *ns;
	int rc;

	rc = devmem_ns_find(arg, &r, &ns);
	if (rc)
		return rc;
	if (!ns) {
		arg->mapped = 0;
		return 0;
	}
	arg->resv_offset = ns->resv_offset;
	arg->offset = ns->data.start - r->phys;
	arg->size = range_len(&ns->data);
	arg->align = ns->align;
	arg->map = ns->map;
	devmem_ns_fill(ns, arg);
	return 0;
}

void devmem_ns_unmap_all(struct devmem_region *r)
{
	struct devmem_ns *ns;
	unsigned long idx;

	xa_for_each(&r->ns, idx, ns)
		devmem_ns_free(ns);
}
