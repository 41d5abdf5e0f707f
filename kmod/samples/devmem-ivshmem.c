// SPDX-License-Identifier: GPL-2.0
/*
 * devmem-ivshmem: sample user of the devmem P2P API (include/linux/devmem.h).
 *
 * Binds QEMU's ivshmem-plain PCI device (1af4:1110), registers a sub-range
 * of its memory BAR (BAR2) that starts at a non-2 MiB-aligned offset,
 * allocates pages from it and checks that they behave as struct pages:
 * page_to_pfn()/pfn_to_page() round trip, kmap_local_page() reaching the
 * BAR, dma_map_sg() giving the BAR's bus addresses. /dev/devmem-ivshmem
 * mmaps the pages (pfn_t PFN_DEV|PFN_MAP, so get_user_pages() and
 * pin_user_pages() work on the mapping) and has ioctls for the tests
 * (devmem-ivshmem.h).
 *
 * Teardown: unbinding the device revokes every user mapping (later faults
 * get SIGBUS), waits for in-flight pins to drop, frees the pages and
 * unregisters the range. The module cannot be removed while the char
 * device is open or mapped (fops.owner).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/devmem.h>
#include <linux/dma-mapping.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/pfn_t.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "devmem-ivshmem.h"

#define IVSHMEM_BAR 2

static ulong offset = 0x1000;
module_param(offset, ulong, 0444);
MODULE_PARM_DESC(offset, "start of the registered range in BAR2 (4 KiB multiple)");
static ulong size = 0x100000;
module_param(size, ulong, 0444);
MODULE_PARM_DESC(size, "bytes of the registered range (4 KiB multiple)");
static uint pages = 16;
module_param(pages, uint, 0444);
MODULE_PARM_DESC(pages, "pages allocated at probe and offered to mmap");

struct ivshmem_p2p {
	struct kref kref; /* probe's reference + one per open file */
	struct pci_dev *pdev;
	struct miscdevice misc;
	/*
	 * lock serialises the ioctls and open against remove(): it protects
	 * dead, mapping, kept and the ioctls' use of the ranges. The PIN
	 * ioctl faults pages in with it held, so the fault handler must not
	 * take it: fault_lock (taken inside lock, never around it) covers
	 * dead and the insert, so that remove()'s revoke (dead = true under
	 * both, then unmap_mapping_range) cannot miss an insert.
	 */
	struct mutex lock;
	struct mutex fault_lock; /* dead and the fault's insert, see lock */
	bool dead; /* remove() ran: no more faults, opens or ioctls */
	struct address_space *mapping; /* shared by every open file */
	struct inode *inode; /* owner of mapping (a reference) */
	struct devmem_range *range; /* registered at probe */
	struct page *alloc; /* pages allocated at probe */
	struct devmem_range *kept; /* DEVMEM_IVSHMEM_OP_KEEP */
	struct devmem_ivshmem_info info;
};

static void ivshmem_p2p_free(struct kref *kref)
{
	struct ivshmem_p2p *p = container_of(kref, struct ivshmem_p2p, kref);

	iput(p->inode);
	pci_dev_put(p->pdev);
	kfree(p);
}

static u64 ivshmem_bar_offset(struct ivshmem_p2p *p, struct page *page)
{
	return page_to_phys(page) - pci_resource_start(p->pdev, IVSHMEM_BAR);
}

/* page_to_pfn/pfn_to_page round trip and the API's lookups */
static bool ivshmem_check_roundtrip(struct ivshmem_p2p *p)
{
	phys_addr_t start = devmem_range_phys(p->range);
	unsigned int i;

	for (i = 0; i < pages; i++) {
		struct page *page = p->alloc + i;
		unsigned long pfn = page_to_pfn(page);
		phys_addr_t phys = PFN_PHYS(pfn);

		if (pfn_to_page(pfn) != page || !pfn_valid(pfn) ||
		    !is_zone_device_page(page) || page_ref_count(page) != 1 ||
		    phys < start || phys >= start + devmem_range_size(p->range) ||
		    devmem_range_to_page(p->range, phys - start) != page ||
		    devmem_page_to_range(page) != p->range)
			return false;
	}
	return true;
}

/* the sub-section slack before and after the range is not the range's */
static bool ivshmem_check_slack(struct ivshmem_p2p *p)
{
	phys_addr_t start = devmem_range_phys(p->range);
	phys_addr_t end = start + devmem_range_size(p->range);

	if (!IS_ALIGNED(start, SZ_2M) &&
	    devmem_page_to_range(pfn_to_page(PHYS_PFN(start) - 1)))
		return false;
	if (!IS_ALIGNED(end, SZ_2M) &&
	    devmem_page_to_range(pfn_to_page(PHYS_PFN(end))))
		return false;
	return !devmem_range_to_page(p->range, devmem_range_size(p->range));
}

/* write a line naming the page's BAR offset through kmap, read it back */
static bool ivshmem_check_kmap(struct ivshmem_p2p *p)
{
	char line[64];
	unsigned int i;
	bool ok = true;

	for (i = 0; i < pages; i++) {
		void *v = kmap_local_page(p->alloc + i);
		int n;

		if (!i)
			memcpy(&p->info.first_read, v, sizeof(u64));
		n = scnprintf(line, sizeof(line),
			      "devmem-ivshmem page %u bar+0x%llx\n", i,
			      ivshmem_bar_offset(p, p->alloc + i));
		memcpy(v, line, n);
		if (memcmp(v, line, n))
			ok = false;
		kunmap_local(v);
	}
	return ok;
}

/* dma_map_sg() of the pages gives the BAR's bus addresses */
static bool ivshmem_check_dma(struct ivshmem_p2p *p)
{
	struct device *dev = &p->pdev->dev;
	struct scatterlist *sg;
	struct sg_table sgt;
	unsigned int i;
	bool ok = true;

	if (sg_alloc_table(&sgt, pages, GFP_KERNEL))
		return false;
	for_each_sgtable_sg(&sgt, sg, i)
		sg_set_page(sg, p->alloc + i, PAGE_SIZE, 0);
	if (dma_map_sgtable(dev, &sgt, DMA_BIDIRECTIONAL, 0)) {
		sg_free_table(&sgt);
		return false;
	}
	i = 0;
	for_each_sgtable_dma_sg(&sgt, sg, i) {
		u64 want = p->info.bar_bus + ivshmem_bar_offset(p, p->alloc + i);

		if (!i)
			p->info.dma_first = sg_dma_address(sg);
		if (sg_dma_address(sg) != want || sg_dma_len(sg) != PAGE_SIZE)
			ok = false;
	}
	if (sgt.nents != pages)
		ok = false;
	dma_unmap_sgtable(dev, &sgt, DMA_BIDIRECTIONAL, 0);
	sg_free_table(&sgt);
	return ok;
}

static void ivshmem_run_checks(struct ivshmem_p2p *p)
{
	u64 c = 0;

	if (ivshmem_check_roundtrip(p))
		c |= DEVMEM_IVSHMEM_CHECK_ROUNDTRIP;
	if (ivshmem_check_slack(p))
		c |= DEVMEM_IVSHMEM_CHECK_SLACK;
	if (ivshmem_check_kmap(p))
		c |= DEVMEM_IVSHMEM_CHECK_KMAP;
	if (ivshmem_check_dma(p))
		c |= DEVMEM_IVSHMEM_CHECK_DMA;
	p->info.checks = c;
	dev_info(&p->pdev->dev,
		 "BAR2 %pR bus %#llx: range bar+%#lx size %#lx, %u pages at bar+%#llx (pfn %#lx), dma %#llx, checks %#llx of %#llx\n",
		 &p->pdev->resource[IVSHMEM_BAR], p->info.bar_bus, offset, size,
		 pages, p->info.alloc_offset, page_to_pfn(p->alloc),
		 p->info.dma_first, c, DEVMEM_IVSHMEM_CHECK_ALL);
}

/* --- the char device ------------------------------------------------------ */

static vm_fault_t ivshmem_fault(struct vm_fault *vmf)
{
	struct ivshmem_p2p *p = vmf->vma->vm_private_data;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	pfn_t pfn;

	mutex_lock(&p->fault_lock);
	if (!p->dead && vmf->pgoff < pages) {
		pfn = phys_to_pfn_t(page_to_phys(p->alloc + vmf->pgoff),
				    PFN_DEV | PFN_MAP);
		ret = vmf_insert_mixed(vmf->vma, vmf->address, pfn);
	}
	mutex_unlock(&p->fault_lock);
	return ret;
}

static const struct vm_operations_struct ivshmem_vm_ops = {
	.fault = ivshmem_fault,
};

static int ivshmem_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct ivshmem_p2p *p = file->private_data;
	unsigned long n = vma_pages(vma);

	/* no private (COW) mappings of device memory */
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_pgoff >= pages || n > pages - vma->vm_pgoff)
		return -EINVAL;
	/* VM_MIXEDMAP, not VM_IO/VM_PFNMAP: GUP must work on it */
	vma->vm_flags |= VM_MIXEDMAP | VM_DONTEXPAND | VM_DONTDUMP;
	vma->vm_ops = &ivshmem_vm_ops;
	vma->vm_private_data = p;
	return 0;
}

static int ivshmem_open(struct inode *inode, struct file *file)
{
	struct ivshmem_p2p *p = container_of(file->private_data,
					     struct ivshmem_p2p, misc);
	int rc = 0;

	mutex_lock(&p->lock);
	if (p->dead) {
		rc = -ENXIO;
		goto out;
	}
	/* one address_space for every open file, so remove() can revoke */
	if (!p->mapping) {
		p->inode = igrab(inode);
		p->mapping = inode->i_mapping;
	}
	file->f_mapping = p->mapping;
	kref_get(&p->kref);
	file->private_data = p;
out:
	mutex_unlock(&p->lock);
	return rc;
}

static int ivshmem_release(struct inode *inode, struct file *file)
{
	struct ivshmem_p2p *p = file->private_data;

	kref_put(&p->kref, ivshmem_p2p_free);
	return 0;
}

static long ivshmem_pin(struct ivshmem_p2p *p, struct devmem_ivshmem_pin *arg)
{
	struct page **pp;
	long n, i;

	if (!arg->pages || arg->pages > pages || !PAGE_ALIGNED(arg->addr))
		return -EINVAL;
	pp = kcalloc(arg->pages, sizeof(*pp), GFP_KERNEL);
	if (!pp)
		return -ENOMEM;
	n = pin_user_pages_fast(arg->addr, arg->pages, FOLL_WRITE, pp);
	if (n < 0) {
		kfree(pp);
		return n;
	}
	arg->pinned = n;
	arg->matched = 0;
	for (i = 0; i < n; i++)
		if (devmem_page_to_range(pp[i]) == p->range &&
		    page_to_pfn(pp[i]) - page_to_pfn(p->alloc) < pages)
			arg->matched++;
	/* a pinned page must not go back to the allocator */
	arg->free_rc = n ? devmem_free(p->range, p->alloc,
				       (size_t)pages << PAGE_SHIFT) : 0;
	if (!arg->free_rc)
		p->alloc = NULL; /* cannot happen with n > 0: test reports it */
	unpin_user_pages(pp, n);
	kfree(pp);
	return 0;
}

/* cycle a range: register, allocate, write through kmap, free, unregister */
static long ivshmem_cycle(struct ivshmem_p2p *p, struct devmem_ivshmem_try *t,
			  bool exhaust)
{
	struct devmem_range *r;
	struct page *pg, **all = NULL;
	unsigned long n = 0, max = t->size >> PAGE_SHIFT;
	phys_addr_t phys;
	void *v;

	r = devmem_register_range(&p->pdev->dev, t->phys, t->size, 0);
	if (IS_ERR(r))
		return PTR_ERR(r);
	if (exhaust) {
		all = kvcalloc(max + 1, sizeof(*all), GFP_KERNEL);
		if (!all) {
			t->rc = -ENOMEM;
			goto out;
		}
	}
	do {
		pg = devmem_alloc(r, PAGE_SIZE);
		if (!pg)
			break;
		phys = page_to_phys(pg);
		if (phys < t->phys || phys >= t->phys + t->size)
			t->rc = -EFAULT; /* a page outside the range */
		v = kmap_local_page(pg);
		memset(v, 0x5a, 64);
		kunmap_local(v);
		if (all)
			all[n] = pg;
		else
			devmem_free(r, pg, PAGE_SIZE);
		n++;
	} while (all && n <= max);
	if (!n)
		t->rc = -ENOMEM;
	t->allocated = n;
	if (all) {
		t->busy_rc = devmem_unregister_range(r);
		if (!t->busy_rc) /* nothing was allocated: r is gone */
			goto out_freed;
		while (n--)
			devmem_free(r, all[n], PAGE_SIZE);
	}
out:
	kvfree(all);
	return devmem_unregister_range(r);
out_freed:
	kvfree(all);
	return 0;
}

static long ivshmem_try(struct ivshmem_p2p *p, struct devmem_ivshmem_try *t)
{
	struct devmem_range *r;
	long rc = 0;

	t->rc = 0;
	switch (t->op) {
	case DEVMEM_IVSHMEM_OP_CYCLE:
	case DEVMEM_IVSHMEM_OP_EXHAUST:
		rc = ivshmem_cycle(p, t, t->op == DEVMEM_IVSHMEM_OP_EXHAUST);
		break;
	case DEVMEM_IVSHMEM_OP_KEEP:
		if (p->kept)
			return -EBUSY;
		r = devmem_register_range(&p->pdev->dev, t->phys, t->size, 0);
		if (IS_ERR(r))
			rc = PTR_ERR(r);
		else
			p->kept = r;
		break;
	case DEVMEM_IVSHMEM_OP_DROP:
		if (!p->kept)
			return -ENOENT;
		rc = devmem_unregister_range(p->kept);
		if (!rc)
			p->kept = NULL;
		break;
	default:
		return -EINVAL;
	}
	/* an API error is a result, not an ioctl failure */
	if (rc)
		t->rc = rc;
	return 0;
}

static long ivshmem_ioctl(struct file *file, unsigned int cmd,
			  unsigned long uarg)
{
	struct ivshmem_p2p *p = file->private_data;
	void __user *up = (void __user *)uarg;
	union {
		struct devmem_ivshmem_info info;
		struct devmem_ivshmem_pin pin;
		struct devmem_ivshmem_try try;
	} arg;
	size_t len = _IOC_SIZE(cmd);
	long rc;

	switch (cmd) {
	case DEVMEM_IVSHMEM_INFO:
	case DEVMEM_IVSHMEM_PIN:
	case DEVMEM_IVSHMEM_TRY:
		break;
	default:
		return -ENOTTY;
	}
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if ((_IOC_DIR(cmd) & _IOC_WRITE) && copy_from_user(&arg, up, len))
		return -EFAULT;

	mutex_lock(&p->lock);
	if (p->dead) {
		rc = -ENXIO;
	} else if (cmd == DEVMEM_IVSHMEM_INFO) {
		arg.info = p->info;
		rc = 0;
	} else if (cmd == DEVMEM_IVSHMEM_PIN) {
		rc = p->alloc ? ivshmem_pin(p, &arg.pin) : -ENXIO;
	} else {
		rc = ivshmem_try(p, &arg.try);
	}
	mutex_unlock(&p->lock);

	if (!rc && copy_to_user(up, &arg, len))
		rc = -EFAULT;
	return rc;
}

static const struct file_operations ivshmem_fops = {
	.owner = THIS_MODULE,
	.open = ivshmem_open,
	.release = ivshmem_release,
	.mmap = ivshmem_mmap,
	.unlocked_ioctl = ivshmem_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/* --- PCI driver ----------------------------------------------------------- */

/* devmem_free() refuses while a page is pinned: wait for in-flight I/O */
static void ivshmem_free_pages(struct ivshmem_p2p *p)
{
	unsigned int waited = 0;

	if (!p->alloc)
		return;
	while (devmem_free(p->range, p->alloc, (size_t)pages << PAGE_SHIFT)) {
		if (waited++ == 50)
			dev_info(&p->pdev->dev, "waiting for pinned pages\n");
		msleep(20);
	}
	p->alloc = NULL;
}

static int ivshmem_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct ivshmem_p2p *p;
	phys_addr_t bar;
	int rc;

	if (!pages || !IS_ALIGNED(offset | size, PAGE_SIZE) ||
	    (u64)pages << PAGE_SHIFT > size)
		return -EINVAL;
	rc = pcim_enable_device(pdev);
	if (rc)
		return rc;
	if (!(pci_resource_flags(pdev, IVSHMEM_BAR) & IORESOURCE_MEM) ||
	    offset + size > pci_resource_len(pdev, IVSHMEM_BAR))
		return -ENODEV;
	rc = pci_request_region(pdev, IVSHMEM_BAR, KBUILD_MODNAME);
	if (rc)
		return rc;
	rc = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (rc)
		return rc;

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	kref_init(&p->kref);
	mutex_init(&p->lock);
	mutex_init(&p->fault_lock);
	p->pdev = pci_dev_get(pdev);
	bar = pci_resource_start(pdev, IVSHMEM_BAR);
	p->info.bar_phys = bar;
	p->info.bar_bus = pci_bus_address(pdev, IVSHMEM_BAR);
	p->info.bar_size = pci_resource_len(pdev, IVSHMEM_BAR);
	p->info.range_offset = offset;
	p->info.range_size = size;
	p->info.pages = pages;

	p->range = devmem_register_range(&pdev->dev, bar + offset, size, 0);
	if (IS_ERR(p->range)) {
		rc = PTR_ERR(p->range);
		dev_err(&pdev->dev, "devmem_register_range: %d\n", rc);
		goto err_put;
	}
	p->alloc = devmem_alloc(p->range, (size_t)pages << PAGE_SHIFT);
	if (!p->alloc) {
		rc = -ENOMEM;
		goto err_range;
	}
	p->info.alloc_offset = ivshmem_bar_offset(p, p->alloc);
	ivshmem_run_checks(p);

	p->misc = (struct miscdevice){
		.minor = MISC_DYNAMIC_MINOR,
		.name = DEVMEM_IVSHMEM_NAME,
		.fops = &ivshmem_fops,
		.mode = 0600,
		.parent = &pdev->dev,
	};
	rc = misc_register(&p->misc);
	if (rc)
		goto err_free;
	pci_set_drvdata(pdev, p);
	return 0;

err_free:
	devmem_free(p->range, p->alloc, (size_t)pages << PAGE_SHIFT);
err_range:
	devmem_unregister_range(p->range);
err_put:
	kref_put(&p->kref, ivshmem_p2p_free);
	return rc;
}

static void ivshmem_remove(struct pci_dev *pdev)
{
	struct ivshmem_p2p *p = pci_get_drvdata(pdev);
	int rc;

	misc_deregister(&p->misc);

	/* revoke: no fault inserts after this, and zap what is mapped */
	mutex_lock(&p->lock);
	mutex_lock(&p->fault_lock);
	p->dead = true;
	mutex_unlock(&p->fault_lock);
	mutex_unlock(&p->lock);
	if (p->mapping)
		unmap_mapping_range(p->mapping, 0, 0, 1);

	ivshmem_free_pages(p);
	if (p->kept)
		devmem_unregister_range(p->kept);
	rc = devmem_unregister_range(p->range);
	dev_info(&pdev->dev, "mappings revoked, range unregistered: %d\n", rc);
	kref_put(&p->kref, ivshmem_p2p_free);
}

static const struct pci_device_id ivshmem_ids[] = {
	{ PCI_DEVICE(PCI_VENDOR_ID_REDHAT_QUMRANET, 0x1110) },
	{}
};
MODULE_DEVICE_TABLE(pci, ivshmem_ids);

static struct pci_driver ivshmem_driver = {
	.name = KBUILD_MODNAME,
	.id_table = ivshmem_ids,
	.probe = ivshmem_probe,
	.remove = ivshmem_remove,
};
module_pci_driver(ivshmem_driver);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("devmem P2P API sample: struct pages for an ivshmem BAR");
