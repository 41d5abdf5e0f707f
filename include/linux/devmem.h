/* SPDX-License-Identifier: GPL-2.0 */
/*
 * devmem kernel API for P2P DMA drivers (kernel-internal, not uapi).
 *
 * A driver registers a range of its device memory (a PCI BAR or part of
 * one) at any 4 KiB alignment and size and gets struct pages for it, plus a
 * page allocator over exactly that range. The pages live in ZONE_DEVICE
 * (MEMORY_DEVICE_GENERIC): page_to_pfn()/pfn_to_page(), kmap_local_page(),
 * dma_map_sg() and, through a VM_MIXEDMAP mapping with pfn_t PFN_DEV|PFN_MAP,
 * get_user_pages()/pin_user_pages() work on them. See docs/p2p-api.md for
 * the rules on ownership, locking and lifetime.
 *
 * Build another module against it with
 *	KBUILD_EXTRA_SYMBOLS=<devmem>/kmod/Module.symvers
 *	ccflags-y += -I<devmem>/include
 */
#ifndef _LINUX_DEVMEM_H
#define _LINUX_DEVMEM_H

#include <linux/types.h>
#include <uapi/linux/devmem.h>

struct device;
struct page;
struct devmem_range;

/* no flags are defined yet: pass 0 */
#define DEVMEM_RANGE_FLAGS_ALL 0UL

struct devmem_range *devmem_register_range(struct device *dev,
					   phys_addr_t phys,
					   resource_size_t size,
					   unsigned long flags);
int devmem_unregister_range(struct devmem_range *range);

struct page *devmem_alloc(struct devmem_range *range, size_t size);
int devmem_free(struct devmem_range *range, struct page *page, size_t size);

struct page *devmem_range_to_page(struct devmem_range *range,
				  resource_size_t offset);
struct devmem_range *devmem_page_to_range(struct page *page);
phys_addr_t devmem_range_phys(const struct devmem_range *range);
resource_size_t devmem_range_size(const struct devmem_range *range);
size_t devmem_range_allocated(const struct devmem_range *range);

#endif /* _LINUX_DEVMEM_H */
