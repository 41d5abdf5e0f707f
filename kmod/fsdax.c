// SPDX-License-Identifier: GPL-2.0
/*
 * devmem fsdax namespaces: a block device over the namespace's data with a
 * registered dax_device, so that ext4 and xfs mount it with -o dax. Modelled
 * on pmem_attach_disk() (drivers/nvdimm/pmem.c): the pages are a
 * MEMORY_DEVICE_FS_DAX pgmap over the same sub-section aligned range a
 * devdax namespace would use (with the altmap for map=dev), bios are
 * memcpy_flushcache() / copy_mc_to_kernel() copies, and REQ_PREFLUSH /
 * REQ_FUA are a write barrier: only regions the platform describes as
 * persistent (ADR) are accepted, as nd_pmem does without flush hints.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/dax.h>
#include <linux/highmem.h>
#include <linux/memremap.h>
#include <linux/pfn_t.h>
#include <linux/platform_device.h>
#include <linux/uaccess.h>

#include "devmem.h"

/* One per mapped fsdax namespace; devm-allocated on its platform device. */
struct devmem_fsdax {
	struct dev_pagemap pgmap;
	phys_addr_t phys; /* data start */
	u64 size;	  /* data bytes */
	void *virt;	  /* kernel mapping of the data start */
	struct gendisk *disk;
	struct dax_device *dax_dev;
};

static void *devmem_fsdax_addr(struct devmem_fsdax *fd, sector_t sector)
{
	return fd->virt + ((u64)sector << SECTOR_SHIFT);
}

static blk_status_t devmem_fsdax_bvec(struct devmem_fsdax *fd, bool write,
				      struct bio_vec *bv, sector_t sector)
{
	void *pmem = devmem_fsdax_addr(fd, sector);
	unsigned int off = bv->bv_offset, len = bv->bv_len;
	struct page *page = bv->bv_page;
	blk_status_t rc = BLK_STS_OK;

	if (write)
		flush_dcache_page(page);
	while (len) {
		unsigned int chunk = min_t(unsigned int, len, PAGE_SIZE - off);
		void *mem = kmap_local_page(page);

		if (write)
			memcpy_flushcache(pmem, mem + off, chunk);
		else if (copy_mc_to_kernel(mem + off, pmem, chunk))
			rc = BLK_STS_IOERR; /* poison: no silent bad data */
		kunmap_local(mem);
		if (rc)
			break;
		len -= chunk;
		off = 0;
		page++;
		pmem += chunk;
	}
	if (!write)
		flush_dcache_page(bv->bv_page);
	return rc;
}

/*
 * REQ_PREFLUSH and REQ_FUA: the platform (ADR) persists what reached the
 * memory controller, so a flush only has to drain the non-temporal stores
 * of memcpy_flushcache(), as generic_nvdimm_flush() does without flush
 * hints.
 */
static void devmem_fsdax_flush(void)
{
	/* order the non-temporal stores before the bio's completion */
	wmb();
}

static void devmem_fsdax_submit_bio(struct bio *bio)
{
	struct devmem_fsdax *fd = bio->bi_bdev->bd_disk->private_data;
	bool write = op_is_write(bio_op(bio));
	struct bvec_iter iter;
	struct bio_vec bv;

	if (bio->bi_opf & REQ_PREFLUSH)
		devmem_fsdax_flush();
	bio_for_each_segment(bv, bio, iter) {
		blk_status_t rc = devmem_fsdax_bvec(fd, write, &bv,
						    iter.bi_sector);

		if (rc) {
			bio->bi_status = rc;
			break;
		}
	}
	if (bio->bi_opf & REQ_FUA)
		devmem_fsdax_flush();
	bio_endio(bio);
}

static const struct block_device_operations devmem_fsdax_fops = {
	.owner = THIS_MODULE,
	.submit_bio = devmem_fsdax_submit_bio,
};

static long devmem_fsdax_direct_access(struct dax_device *dax_dev,
				       pgoff_t pgoff, long nr_pages,
				       enum dax_access_mode mode, void **kaddr,
				       pfn_t *pfn)
{
	struct devmem_fsdax *fd = dax_get_private(dax_dev);
	u64 off = PFN_PHYS(pgoff);

	if (off >= fd->size)
		return -ERANGE;
	if (kaddr)
		*kaddr = fd->virt + off;
	if (pfn)
		*pfn = phys_to_pfn_t(fd->phys + off, PFN_DEV | PFN_MAP);
	return PHYS_PFN(fd->size - off);
}

static int devmem_fsdax_zero_page_range(struct dax_device *dax_dev,
					pgoff_t pgoff, size_t nr_pages)
{
	struct devmem_fsdax *fd = dax_get_private(dax_dev);
	u64 off = PFN_PHYS(pgoff);
	size_t i;

	if (off >= fd->size || PFN_PHYS(nr_pages) > fd->size - off)
		return -ERANGE;
	for (i = 0; i < nr_pages; i++)
		memcpy_flushcache(fd->virt + off + PFN_PHYS(i),
				  page_address(ZERO_PAGE(0)), PAGE_SIZE);
	return 0;
}

static const struct dax_operations devmem_fsdax_dax_ops = {
	.direct_access = devmem_fsdax_direct_access,
	.zero_page_range = devmem_fsdax_zero_page_range,
};

/* Undo devmem_fsdax_probe() in reverse, as pmem_release_disk() does. */
static void devmem_fsdax_release(void *data)
{
	struct devmem_fsdax *fd = data;

	dax_remove_host(fd->disk);
	kill_dax(fd->dax_dev);
	put_dax(fd->dax_dev);
	del_gendisk(fd->disk);
	put_disk(fd->disk);
}

int devmem_fsdax_probe(struct platform_device *pdev, struct devmem_ns *ns,
		       const struct dev_pagemap *pgmap)
{
	struct device *dev = &pdev->dev;
	int nid = memory_add_physaddr_to_nid(ns->data.start);
	struct devmem_fsdax *fd;
	struct gendisk *disk;
	struct request_queue *q;
	void *addr;
	int rc;

	fd = devm_kzalloc(dev, sizeof(*fd), GFP_KERNEL);
	if (!fd)
		return -ENOMEM;
	memcpy(&fd->pgmap, pgmap, sizeof(*pgmap)); /* altmap is const */
	fd->pgmap.type = MEMORY_DEVICE_FS_DAX;
	fd->pgmap.owner = fd;
	fd->phys = ns->data.start;
	fd->size = range_len(&ns->data);

	disk = blk_alloc_disk(nid);
	if (!disk)
		return -ENOMEM;
	fd->disk = disk;
	q = disk->queue;

	addr = devm_memremap_pages(dev, &fd->pgmap);
	if (IS_ERR(addr)) {
		rc = PTR_ERR(addr);
		goto err_disk;
	}
	fd->virt = addr + (ns->data.start - ns->pgmap.start);

	blk_queue_write_cache(q, true, false);
	blk_queue_physical_block_size(q, PAGE_SIZE);
	blk_queue_logical_block_size(q, SECTOR_SIZE);
	blk_queue_max_hw_sectors(q, UINT_MAX);
	blk_queue_flag_set(QUEUE_FLAG_NONROT, q);
	blk_queue_flag_set(QUEUE_FLAG_DAX, q);
	disk->fops = &devmem_fsdax_fops;
	disk->private_data = fd;
	snprintf(disk->disk_name, DISK_NAME_LEN, "devmem%d.%d",
		 ns->dax_region_id, ns->dax_id);
	set_capacity(disk, fd->size >> SECTOR_SHIFT);

	fd->dax_dev = alloc_dax(fd, &devmem_fsdax_dax_ops);
	if (IS_ERR(fd->dax_dev)) {
		rc = PTR_ERR(fd->dax_dev);
		goto err_disk;
	}
	set_dax_nocache(fd->dax_dev);
	set_dax_nomc(fd->dax_dev);
	set_dax_synchronous(fd->dax_dev); /* ADR: MAP_SYNC is honest */
	rc = dax_add_host(fd->dax_dev, disk);
	if (rc)
		goto err_dax;
	/* stores sit in CPU caches until written back: fsync must flush */
	dax_write_cache(fd->dax_dev, true);

	rc = device_add_disk(dev, disk, NULL);
	if (rc)
		goto err_host;
	ns->disk = disk;
	return devm_add_action_or_reset(dev, devmem_fsdax_release, fd);

err_host:
	dax_remove_host(disk);
err_dax:
	kill_dax(fd->dax_dev);
	put_dax(fd->dax_dev);
err_disk:
	put_disk(disk);
	return rc;
}

/*
 * Does an exclusive opener hold the disk or a partition of it: a mounted
 * filesystem, swap, dm or md (the claim of a partition counts on the whole
 * disk too)? Plain opens (udev's blkid, dd) do not stop a destroy: they get
 * I/O errors after del_gendisk(), as with any unplugged disk. Read without
 * bd_holder_lock: a hint taken under devmem_lock, see devmem_ns_busy().
 */
bool devmem_fsdax_busy(const struct devmem_ns *ns)
{
	return ns->disk && READ_ONCE(ns->disk->part0->bd_holders);
}
