/* SPDX-License-Identifier: GPL-2.0 */
/*
 * devmem: internal interfaces of the module. Mechanism only: userspace
 * (libdevmem) decides where namespaces go; the module checks that a request
 * is safe, maps it and publishes it on the device-dax bus.
 */
#ifndef DEVMEM_INTERNAL_H
#define DEVMEM_INTERNAL_H

#include <linux/mutex.h>
#include <linux/range.h>
#include <linux/types.h>
#include <linux/xarray.h>
#include <linux/devmem.h>

struct dev_pagemap;
struct gendisk;
struct platform_device;
struct resource;

/*
 * devmem_lock serialises every ioctl that changes or reads module state:
 * the region table, each region's namespace table and the namespaces'
 * platform devices, and it protects the P2P range list of p2p.c. It is
 * taken only in process context: from the ioctl path, from module exit and
 * from devmem_register_range()/devmem_unregister_range() (other drivers,
 * e.g. from their probe or remove; devmem never calls out to them with it
 * held). It is never taken from a devmem namespace device's probe or
 * release (those are reached with it held, through
 * platform_device_add/unregister). Order: devmem_lock, then a namespace's
 * platform device lock, then its dax device's lock (ns.c reads which
 * driver is bound under it).
 */
extern struct mutex devmem_lock;

/* A claimed physical range. Lifetime: claim ioctl to release ioctl. */
struct devmem_region {
	u64 id;
	phys_addr_t phys;
	u64 size;
	u64 flags; /* DEVMEM_CLAIM_* it was claimed with */
	struct resource *res; /* non-busy iomem marker, named like the region */
	struct xarray ns; /* index -> struct devmem_ns, mapped namespaces */
	unsigned int nr_mapped;
};

/* A mapped namespace: one platform device that owns one dax region. */
struct devmem_ns {
	struct devmem_region *region;
	u64 index;
	u64 align; /* wanted fault size */
	u64 align_effective; /* granted on this boot */
	u64 map; /* enum devmem_map */
	u64 mode; /* enum devmem_mode */
	u64 resv_offset; /* start of the reservation, from the region start */
	struct range data; /* physical data range */
	struct range pgmap; /* sub-section aligned memremap_pages() range */
	u64 altmap_reserve; /* anchor bytes at the head of pgmap (map=dev) */
	phys_addr_t memmap_start; /* map=dev: where the altmap's blocks go, */
	u64 memmap_len;		  /* memmap_len bytes (0: none) */
	int dax_region_id;
	int dax_id;
	struct platform_device *pdev; /* platform data: a pointer to this */
	struct gendisk *disk; /* fsdax: its block device, while probed */
	int probe_rc; /* written by the probe, read after registration */
};

/* region.c */
struct devmem_region *devmem_region_find(u64 id);
int devmem_region_claim(struct devmem_region_arg *arg);
int devmem_region_release(struct devmem_region_arg *arg);
int devmem_region_info(struct devmem_region_arg *arg);
int devmem_meta_io(struct devmem_meta_arg *arg, bool write);
void devmem_region_release_all(void);
bool devmem_range_overlaps_pgmap(const struct range *r);
bool devmem_range_overlaps_region(const struct range *rg);

/* nd.c */
int devmem_nd_driver_register(void);
void devmem_nd_driver_unregister(void);

/* fsdax.c */
int devmem_fsdax_probe(struct platform_device *pdev, struct devmem_ns *ns,
		       const struct dev_pagemap *pgmap);
bool devmem_fsdax_busy(const struct devmem_ns *ns);

/* p2p.c */
bool devmem_range_overlaps_p2p(const struct range *rg);

/* ns.c */
int devmem_ns_map(struct devmem_ns_arg *arg);
int devmem_ns_unmap(struct devmem_ns_arg *arg);
int devmem_ns_info(struct devmem_ns_arg *arg);
void devmem_ns_unmap_all(struct devmem_region *region);
int devmem_ns_driver_register(void);
void devmem_ns_driver_unregister(void);

#endif /* DEVMEM_INTERNAL_H */
