/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device-dax bus calls devmem uses. Their prototypes live in
 * drivers/dax/bus.h, which the kernel headers package does not ship; these
 * declarations are copied from Linux 6.1 and must be re-checked against
 * drivers/dax/bus.h before kmod/Kbuild accepts another kernel version.
 */
#ifndef DEVMEM_DAX_COMPAT_H
#define DEVMEM_DAX_COMPAT_H

#include <linux/bits.h>
#include <linux/range.h>

struct dax_region;
struct dev_dax;
struct dev_pagemap;

#define IORESOURCE_DAX_STATIC BIT(0)

struct dax_region *alloc_dax_region(struct device *parent, int region_id,
				    struct range *range, int target_node,
				    unsigned int align, unsigned long flags);
void dax_region_put(struct dax_region *dax_region);

struct dev_dax_data {
	struct dax_region *dax_region;
	struct dev_pagemap *pgmap;
	resource_size_t size;
	int id;
};

struct dev_dax *devm_create_dev_dax(struct dev_dax_data *data);

#endif /* DEVMEM_DAX_COMPAT_H */
