// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * List every devmem namespace through libdevmem, one line each:
 *   cc -o list-namespaces list-namespaces.c $(pkg-config --cflags --libs
 * libdevmem)
 */
#include <stdio.h>
#include <libdevmem.h>

int main(void)
{
	struct devmem_namespace *ns;
	struct devmem_region *region;
	struct devmem_ctx *ctx;
	int rc, n = 0;

	rc = devmem_new(&ctx);
	if (rc < 0) {
		fprintf(stderr, "devmem_new: error %d\n", rc);
		return 1;
	}
	devmem_region_foreach (ctx, region) {
		devmem_namespace_foreach (region, ns) {
			printf("%s %s %llu %s\n",
			       devmem_region_get_devname(region),
			       devmem_namespace_get_name(ns),
			       devmem_namespace_get_size(ns),
			       devmem_namespace_is_active(ns)
				       ? devmem_namespace_get_chardev(ns)
				       : "-");
			n++;
		}
	}
	printf("%d namespace(s)\n", n);
	devmem_unref(ctx);
	return 0;
}
