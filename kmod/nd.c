// SPDX-License-Identifier: GPL-2.0
/*
 * devmem on the nd bus: keep the stock pmem driver off devmem's regions.
 *
 * A label-less nvdimm region has one raw namespace (namespace_io) that
 * nd_pmem binds as soon as it is registered, making a block device over the
 * whole region, which `devmemctl assemble` must then take down again
 * (del_gendisk(), 20 ms and more at every boot). This nd driver, loaded
 * before nd_pmem (the install's "softdep nd_pmem pre: devmem"), is offered
 * a raw namespace first. It binds it when the region's first page carries
 * the devmem magic (either copy of a 2.x anchor, or a 1.x slot at offset
 * 0), and does nothing with it but hold it: the bus offers a bound device
 * to no other driver. Everything else it declines with -ENODEV, which the
 * driver core takes silently, and nd_pmem gets it as before.
 *
 * Which namespaces to map stays userspace's decision: assemble unbinds the
 * held namespace (no disk to delete) and the region, and claims the range
 * as ever. The probe reads the media only; no devmem state is touched, so
 * no lock of devmem's is taken (the driver core holds the device lock).
 */
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/nd.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "devmem.h"

static const char devmem_magic[DEVMEM_FMT_MAGIC_LEN] = DEVMEM_FMT_MAGIC;

/* Does the page at @phys start a devmem layout? Poison reads as "no". */
static bool devmem_nd_is_devmem(phys_addr_t phys)
{
	char buf[DEVMEM_FMT_MAGIC_LEN];
	bool found = false;
	void *page;
	int i;

	page = memremap(phys, DEVMEM_ANCHOR_SIZE, MEMREMAP_WB);
	if (!page)
		return false;
	for (i = 0; i < 2 && !found; i++)
		found = !copy_mc_to_kernel(buf, page + i * DEVMEM_ANCHOR_COPY,
					   sizeof(buf)) &&
			!memcmp(buf, devmem_magic, sizeof(buf));
	memunmap(page);
	return found;
}

static int devmem_nd_probe(struct device *dev)
{
	struct nd_namespace_io *nsio = to_nd_namespace_io(dev);

	if (resource_size(&nsio->res) < DEVMEM_ANCHOR_SIZE ||
	    !devmem_nd_is_devmem(nsio->res.start))
		return -ENODEV;
	dev_info(dev, "held for devmem: %pR has a devmem layout\n",
		 &nsio->res);
	return 0;
}

static struct nd_device_driver devmem_nd_driver = {
	.probe = devmem_nd_probe,
	.drv = {
		.name = DEVMEM_ND_DRIVER,
	},
	.type = ND_DRIVER_NAMESPACE_IO,
};

int devmem_nd_driver_register(void)
{
	return nd_driver_register(&devmem_nd_driver);
}

void devmem_nd_driver_unregister(void)
{
	nd_driver_unregister(&devmem_nd_driver);
}
