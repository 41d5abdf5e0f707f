/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ioctl ABI of the devmem-ivshmem sample driver (kmod/samples), shared with
 * its test program tests/kmod/p2p-user.c. Only __u64/__s64 fields; each is
 * marked (in) or (out).
 */
#ifndef _DEVMEM_IVSHMEM_H
#define _DEVMEM_IVSHMEM_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define DEVMEM_IVSHMEM_NAME "devmem-ivshmem" /* /dev/devmem-ivshmem */

/* checks the probe ran on its pages; a set bit means it passed */
#define DEVMEM_IVSHMEM_CHECK_ROUNDTRIP 0x1ULL /* pfn <-> page, lookups */
#define DEVMEM_IVSHMEM_CHECK_SLACK 0x2ULL /* slack pages not the range's */
#define DEVMEM_IVSHMEM_CHECK_KMAP 0x4ULL /* kmap_local write read back */
#define DEVMEM_IVSHMEM_CHECK_DMA 0x8ULL /* dma_map_sg gave bus addresses */
#define DEVMEM_IVSHMEM_CHECK_ALL 0xfULL

struct devmem_ivshmem_info {
	__u64 bar_phys; /* (out) BAR2 CPU physical start, placed by firmware */
	__u64 bar_bus; /* (out) BAR2 PCI bus address */
	__u64 bar_size; /* (out) BAR2 size */
	__u64 range_offset; /* (out) registered range: offset in BAR2 */
	__u64 range_size; /* (out) registered range: bytes */
	__u64 pages; /* (out) pages allocated at probe; mmap offset 0.. */
	__u64 alloc_offset; /* (out) BAR2 offset of the first of them */
	__u64 checks; /* (out) DEVMEM_IVSHMEM_CHECK_* that passed */
	__u64 first_read; /* (out) first 8 bytes kmap read before writing */
	__u64 dma_first; /* (out) dma address of the first page */
};

/* pin_user_pages_fast() a range of a mapping of /dev/devmem-ivshmem */
struct devmem_ivshmem_pin {
	__u64 addr; /* (in) user address, page aligned */
	__u64 pages; /* (in) how many pages */
	__u64 pinned; /* (out) pages pinned */
	__u64 matched; /* (out) pinned pages that are the driver's allocation */
	__s64 free_rc; /* (out) devmem_free() of the pinned pages: -EBUSY */
};

/* operations on a second range, for error cases and the leak loop */
enum devmem_ivshmem_op {
	DEVMEM_IVSHMEM_OP_CYCLE = 1, /* register, alloc+write+free, unregister */
	DEVMEM_IVSHMEM_OP_EXHAUST, /* cycle, allocating every page (checked) */
	DEVMEM_IVSHMEM_OP_KEEP, /* register and keep it (one at a time) */
	DEVMEM_IVSHMEM_OP_DROP, /* unregister the kept one */
};

struct devmem_ivshmem_try {
	__u64 op; /* (in) enum devmem_ivshmem_op */
	__u64 phys; /* (in) CPU physical start (absolute, not BAR-relative) */
	__u64 size; /* (in) bytes */
	__s64 rc; /* (out) 0 or the first -errno of the API */
	__u64 allocated; /* (out) EXHAUST: pages devmem_alloc() handed out */
	__s64 busy_rc; /* (out) EXHAUST: unregister with pages allocated */
};

#define DEVMEM_IVSHMEM_MAGIC 0xDF
#define DEVMEM_IVSHMEM_INFO                                                    \
	_IOR(DEVMEM_IVSHMEM_MAGIC, 0x00, struct devmem_ivshmem_info)
#define DEVMEM_IVSHMEM_PIN                                                     \
	_IOWR(DEVMEM_IVSHMEM_MAGIC, 0x01, struct devmem_ivshmem_pin)
#define DEVMEM_IVSHMEM_TRY                                                     \
	_IOWR(DEVMEM_IVSHMEM_MAGIC, 0x02, struct devmem_ivshmem_try)

#endif /* _DEVMEM_IVSHMEM_H */
