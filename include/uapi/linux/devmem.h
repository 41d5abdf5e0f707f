/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * devmem ioctl ABI, shared by kmod/devmem.ko and libdevmem.
 *
 * Rules: every field is a __u64, commented (in) or (out); every command
 * struct begins with @abi, which the caller sets to DEVMEM_ABI_VERSION; the
 * module refuses any other value with -EPROTONOSUPPORT. Enums start at 1 so
 * that a zeroed field is caught. Reserved fields must be zero (-EINVAL).
 *
 * All physical addresses and offsets are in bytes and must be multiples of
 * DEVMEM_PAGE_SIZE. Offsets are relative to the start of the claimed region.
 *
 * A command that fails changed nothing: a claim or a map whose result cannot
 * be copied back to the caller (-EFAULT) is undone before the ioctl returns.
 */
#ifndef _UAPI_LINUX_DEVMEM_H
#define _UAPI_LINUX_DEVMEM_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * 2: struct devmem_region_arg.flags; 3: metadata I/O anywhere in a region;
 * 4: struct devmem_ns_arg.mode (fsdax)
 */
#define DEVMEM_ABI_VERSION 4ULL
#define DEVMEM_CTL_NAME	   "devmem" /* misc device: /dev/devmem */
/* the module's nd bus driver, which holds devmem regions' raw namespaces */
#define DEVMEM_ND_DRIVER "devmem"

#define DEVMEM_PAGE_SIZE 0x1000ULL
/* memremap_pages() granularity on x86-64 (PAGES_PER_SUBSECTION) */
#define DEVMEM_SUBSECTION_SIZE 0x200000ULL
/* sparsemem section: the unit in which vmemmap lives in a vmem_altmap */
#define DEVMEM_SECTION_SIZE 0x8000000ULL
/* the first page of every region, which namespace data never covers */
#define DEVMEM_ANCHOR_SIZE 0x1000ULL
/* two copies of the 2.x anchor in that page, this many bytes apart */
#define DEVMEM_ANCHOR_COPY 0x800ULL
/*
 * First bytes of every anchor copy and metadata slot (docs/format.md), with
 * the NULs: 16 bytes
 */
#define DEVMEM_FMT_MAGIC     "DEVMEM_REGION\0\0"
#define DEVMEM_FMT_MAGIC_LEN 16
/* the most bytes one DEVMEM_IOC_META_READ or _WRITE moves */
#define DEVMEM_META_IO_MAX 0x20000ULL
/* device-dax region ids are DEVMEM_DAX_REGION_BASE + region id */
#define DEVMEM_DAX_REGION_BASE 100ULL
#define DEVMEM_MAX_REGIONS     64ULL
#define DEVMEM_MAX_NAMESPACES  1024ULL

enum devmem_map {
	DEVMEM_MAP_DEV = 1, /* struct pages in the device (vmem_altmap) */
	DEVMEM_MAP_MEM = 2, /* struct pages in RAM */
};

enum devmem_mode {
	DEVMEM_MODE_DEVDAX = 1, /* device-dax character device daxN.M */
	/*
	 * block device devmemN.M with a dax_device, for filesystem-DAX; only
	 * on a region firmware describes as persistent (not UNDESCRIBED)
	 */
	DEVMEM_MODE_FSDAX = 2,
};

/* DEVMEM_IOC_VERSION */
struct devmem_version {
	__u64 abi;	      /* (out) DEVMEM_ABI_VERSION of the module */
	__u64 max_regions;    /* (out) DEVMEM_MAX_REGIONS */
	__u64 max_namespaces; /* (out) per region */
	__u64 reserved;	      /* (out) zero */
};

/*
 * Claim flags. Without flags the range must lie wholly in memory firmware
 * describes as persistent (ACPI NFIT, e820 type 12). DEVMEM_CLAIM_UNDESCRIBED
 * is for pmem that no firmware table describes, a virtio-pmem device's
 * range: then no iomem resource at all may intersect the range.
 */
#define DEVMEM_CLAIM_UNDESCRIBED (1ULL << 0)

/* DEVMEM_IOC_REGION_CLAIM, DEVMEM_IOC_REGION_RELEASE, DEVMEM_IOC_REGION_INFO */
struct devmem_region_arg {
	__u64 abi;  /* (in) DEVMEM_ABI_VERSION */
	__u64 id;   /* (in) claim: wanted id, used if free; (out) claim; (in) */
	__u64 phys; /* (in) claim: physical start; (out) info */
	__u64 size; /* (in) claim: bytes; (out) info */
	__u64 nr_mapped; /* (out) info: namespaces mapped now */
	__u64 flags;	/* (in) claim: DEVMEM_CLAIM_*; (out) info: as claimed */
	__u64 reserved; /* (in) zero */
};

/*
 * DEVMEM_IOC_META_READ, DEVMEM_IOC_META_WRITE: the metadata may be anywhere
 * in the region but in what a mapped namespace uses: its data, and for
 * map=dev the 2 MiB blocks of memmap its altmap holds (-EBUSY).
 */
struct devmem_meta_arg {
	__u64 abi;	/* (in) DEVMEM_ABI_VERSION */
	__u64 id;	/* (in) region id */
	__u64 offset;	/* (in) byte offset in the region */
	__u64 length;	/* (in) 1..DEVMEM_META_IO_MAX; inside the region */
	__u64 buf;	/* (in) user pointer to @length bytes */
	__u64 reserved; /* (in) zero */
};

/*
 * DEVMEM_IOC_NS_MAP, DEVMEM_IOC_NS_UNMAP, DEVMEM_IOC_NS_INFO. Unmap refuses
 * a namespace in use in a way it cannot revoke (-EBUSY): an fsdax block
 * device that is open (mounted), a devdax device bound to another driver
 * than device_dax (kmem: system RAM). Live mappings of a devdax device are
 * revoked.
 */
struct devmem_ns_arg {
	__u64 abi;   /* (in) DEVMEM_ABI_VERSION */
	__u64 id;    /* (in) region id */
	__u64 index; /* (in) namespace index in the region, < max_namespaces */
	__u64 resv_offset; /* (in) map, (out) info: start of the reservation */
	__u64 offset;	   /* (in) map: start of the data area */
	__u64 size;	   /* (in) map: bytes of data */
	__u64 align;	   /* (in) map: wanted fault size, 4K or 2M */
	__u64 map;	   /* (in) map: enum devmem_map */
	__u64 align_effective; /* (out) fault size in effect on this boot */
	__u64 dax_region;      /* (out) N of /dev/daxN.M or /dev/devmemN.M */
	__u64 dax_id;	       /* (out) M of it */
	__u64 pgmap_start; /* (out) physical range given to memremap_pages */
	__u64 pgmap_end;   /* (out) exclusive */
	__u64 mapped;	   /* (out) info: 1 when mapped */
	__u64 mode;	   /* (in) map, (out) info: enum devmem_mode */
	__u64 reserved;	   /* (in) zero */
};

#define DEVMEM_IOC_MAGIC   0xDE
#define DEVMEM_IOC_VERSION _IOR(DEVMEM_IOC_MAGIC, 0x00, struct devmem_version)
#define DEVMEM_IOC_REGION_CLAIM                                                \
	_IOWR(DEVMEM_IOC_MAGIC, 0x01, struct devmem_region_arg)
#define DEVMEM_IOC_REGION_RELEASE                                              \
	_IOW(DEVMEM_IOC_MAGIC, 0x02, struct devmem_region_arg)
#define DEVMEM_IOC_REGION_INFO                                                 \
	_IOWR(DEVMEM_IOC_MAGIC, 0x03, struct devmem_region_arg)
#define DEVMEM_IOC_META_READ                                                   \
	_IOW(DEVMEM_IOC_MAGIC, 0x04, struct devmem_meta_arg)
#define DEVMEM_IOC_META_WRITE                                                  \
	_IOW(DEVMEM_IOC_MAGIC, 0x05, struct devmem_meta_arg)
#define DEVMEM_IOC_NS_MAP   _IOWR(DEVMEM_IOC_MAGIC, 0x06, struct devmem_ns_arg)
#define DEVMEM_IOC_NS_UNMAP _IOW(DEVMEM_IOC_MAGIC, 0x07, struct devmem_ns_arg)
#define DEVMEM_IOC_NS_INFO  _IOWR(DEVMEM_IOC_MAGIC, 0x08, struct devmem_ns_arg)

#endif /* _UAPI_LINUX_DEVMEM_H */
