// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * One wrapper per devmem ioctl (include/uapi/linux/devmem.h). Each fills
 * @abi, zeroes what the module reads as reserved, and returns 0 or -errno.
 * They log at debug level only: the callers know which region or
 * namespace the call was about and log the error sentence.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "private.h"

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	int rc;

	do {
		rc = ioctl(fd, cmd, arg);
	} while (rc < 0 && errno == EINTR);
	return rc < 0 ? -errno : 0;
}

static int ctl_ioctl(struct devmem_ctx *ctx, unsigned long cmd, void *arg,
		     const char *name)
{
	int fd = devmem_ctl_fd(ctx);
	int rc;

	if (fd < 0)
		return fd;
	rc = xioctl(fd, cmd, arg);
	if (rc < 0)
		dbg(ctx, "%s: %s\n", name, strerror(-rc));
	return rc;
}

int devmem_kern_version(int fd, struct devmem_version *ver)
{
	memset(ver, 0, sizeof(*ver));
	return xioctl(fd, DEVMEM_IOC_VERSION, ver);
}

int devmem_kern_region_claim(struct devmem_ctx *ctx, uint64_t phys,
			     uint64_t size, uint64_t flags, uint64_t *id)
{
	struct devmem_region_arg arg = {
		.abi = DEVMEM_ABI_VERSION,
		.id = *id, /* wanted; the module picks another if taken */
		.phys = phys,
		.size = size,
		.flags = flags,
	};
	int rc;

	rc = ctl_ioctl(ctx, DEVMEM_IOC_REGION_CLAIM, &arg,
		       "DEVMEM_IOC_REGION_CLAIM");
	if (rc == 0) {
		*id = arg.id;
		dbg(ctx, "claimed [%#llx, +%#llx) as region id %llu\n",
		    (unsigned long long)phys, (unsigned long long)size,
		    (unsigned long long)arg.id);
	}
	return rc;
}

int devmem_kern_region_release(struct devmem_ctx *ctx, uint64_t id)
{
	struct devmem_region_arg arg = {
		.abi = DEVMEM_ABI_VERSION,
		.id = id,
	};

	return ctl_ioctl(ctx, DEVMEM_IOC_REGION_RELEASE, &arg,
			 "DEVMEM_IOC_REGION_RELEASE");
}

int devmem_kern_region_info(struct devmem_ctx *ctx, uint64_t id,
			    struct devmem_region_arg *arg)
{
	int fd = devmem_ctl_fd(ctx);

	if (fd < 0)
		return fd;
	memset(arg, 0, sizeof(*arg));
	arg->abi = DEVMEM_ABI_VERSION;
	arg->id = id;
	/* -ENOENT is the normal answer for a free id: not worth a line */
	return xioctl(fd, DEVMEM_IOC_REGION_INFO, arg);
}

static int meta_io(struct devmem_ctx *ctx, unsigned long cmd, uint64_t id,
		   uint64_t offset, const void *buf, uint64_t len,
		   const char *name)
{
	struct devmem_meta_arg arg = {
		.abi = DEVMEM_ABI_VERSION,
		.id = id,
		.offset = offset,
		.length = len,
		.buf = (uintptr_t)buf,
	};

	return ctl_ioctl(ctx, cmd, &arg, name);
}

int devmem_kern_meta_read(struct devmem_ctx *ctx, uint64_t id, uint64_t offset,
			  void *buf, uint64_t len)
{
	/* defined contents even if the module copied less, and for valgrind,
	 * which cannot see through the user pointer inside the argument */
	memset(buf, 0, len);
	return meta_io(ctx, DEVMEM_IOC_META_READ, id, offset, buf, len,
		       "DEVMEM_IOC_META_READ");
}

int devmem_kern_meta_write(struct devmem_ctx *ctx, uint64_t id, uint64_t offset,
			   const void *buf, uint64_t len)
{
	return meta_io(ctx, DEVMEM_IOC_META_WRITE, id, offset, buf, len,
		       "DEVMEM_IOC_META_WRITE");
}

int devmem_kern_ns_map(struct devmem_ctx *ctx, struct devmem_ns_arg *arg)
{
	arg->abi = DEVMEM_ABI_VERSION;
	arg->align_effective = 0;
	arg->dax_region = 0;
	arg->dax_id = 0;
	arg->pgmap_start = 0;
	arg->pgmap_end = 0;
	arg->mapped = 0;
	arg->reserved = 0;
	return ctl_ioctl(ctx, DEVMEM_IOC_NS_MAP, arg, "DEVMEM_IOC_NS_MAP");
}

int devmem_kern_ns_unmap(struct devmem_ctx *ctx, uint64_t id,
			 unsigned int index)
{
	struct devmem_ns_arg arg = {
		.abi = DEVMEM_ABI_VERSION,
		.id = id,
		.index = index,
	};

	return ctl_ioctl(ctx, DEVMEM_IOC_NS_UNMAP, &arg, "DEVMEM_IOC_NS_UNMAP");
}

int devmem_kern_ns_info(struct devmem_ctx *ctx, uint64_t id, unsigned int index,
			struct devmem_ns_arg *arg)
{
	int fd = devmem_ctl_fd(ctx);

	if (fd < 0)
		return fd;
	memset(arg, 0, sizeof(*arg));
	arg->abi = DEVMEM_ABI_VERSION;
	arg->id = id;
	arg->index = index;
	return xioctl(fd, DEVMEM_IOC_NS_INFO, arg);
}
