// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * One wrapper per devmem ioctl (include/uapi/linux/devmem.h). Each fills
 * @abi, zeroes what the module reads as reserved, and returns 0 or -errno.
 * They log at debug level only: the callers know which region or
 * namespace the call was about and log the error sentence.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

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

/*
 * Fault injection for the power-cut tests (tests/vm/test-powercut.sh), off
 * unless DEVMEM_FAULT_WRITES=N (N >= 1) is set: metadata writes are then
 * issued in DEVMEM_FAULT_PIECE (4 KiB) pieces, each flushed by the module
 * before the next, and right after the N-th piece of the process the
 * process stops dead (SIGKILL to itself), as if the power went: the pieces
 * written so far are on media, nothing after them. With
 * DEVMEM_FAULT_BYTES=K (1 <= K < 4096) the N-th piece is torn instead:
 * only its first K bytes are written before the process dies. With
 * DEVMEM_FAULT_ORDER=reverse each write's pieces go last to first (the
 * header of a slot last), another order a platform may persist stores in.
 * If DEVMEM_FAULT_MARKER names a file, "N OFFSET\n" (the region offset of
 * the last piece written, whole or torn) is written to it first, so the
 * test knows the cut happened. DEVMEM_FAULT_MAP=fail makes every
 * DEVMEM_IOC_NS_MAP fail with -EIO without calling the module, so that a
 * create rolls its layout back (the rollback write is cut like any other).
 * Test-only; see docs/reliability.md.
 */
#define DEVMEM_FAULT_PIECE 4096u

static long fault_writes_left(void)
{
	static long left = -1; /* -1: not read yet; 0: hook off */
	const char *s;
	char *end;

	if (left >= 0)
		return left;
	left = 0;
	s = getenv("DEVMEM_FAULT_WRITES");
	if (s && *s) {
		long v = strtol(s, &end, 10);

		if (*end == '\0' && v > 0)
			left = v;
	}
	return left;
}

static void fault_cut(uint64_t offset)
{
	const char *marker = getenv("DEVMEM_FAULT_MARKER");

	if (marker && *marker) {
		const char *n = getenv("DEVMEM_FAULT_WRITES");
		char line[64];
		int len = snprintf(line, sizeof(line), "%s %#llx\n", n,
				   (unsigned long long)offset);
		int fd = open(marker, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			      0644);
		if (fd >= 0) {
			if (write(fd, line, (size_t)len) == len)
				fsync(fd);
			close(fd);
		}
	}
	for (;;) {
		kill(getpid(), SIGKILL);
		pause();
	}
}

/* DEVMEM_FAULT_BYTES: 0 (whole pieces) or the bytes of the torn piece */
static uint64_t fault_bytes(void)
{
	const char *s = getenv("DEVMEM_FAULT_BYTES");
	char *end;
	long v;

	if (!s || !*s)
		return 0;
	v = strtol(s, &end, 10);
	return *end == '\0' && v > 0 && v < DEVMEM_FAULT_PIECE ? (uint64_t)v
							       : 0;
}

int devmem_kern_meta_write(struct devmem_ctx *ctx, uint64_t id, uint64_t offset,
			   const void *buf, uint64_t len)
{
	static long written;
	long limit = fault_writes_left();
	const char *order = getenv("DEVMEM_FAULT_ORDER");
	bool reverse = order && !strcmp(order, "reverse");
	struct devmem_region *r;
	uint64_t done;

	/*
	 * Each write is followed by devmem_meta_flush(), which needs libndctl's
	 * object for the region; updates find it in devmem_region_refresh(),
	 * this makes sure of it for any path that writes.
	 */
	for (r = ctx->regions; r; r = r->next) {
		int rc = r->claimed && r->id == id ? devmem_region_ndr(r) : 0;

		if (rc < 0)
			return rc;
	}
	if (limit == 0)
		return meta_io(ctx, DEVMEM_IOC_META_WRITE, id, offset, buf, len,
			       "DEVMEM_IOC_META_WRITE");
	for (done = 0; done < len; done += DEVMEM_FAULT_PIECE) {
		/* piece k from the start, or from the end when reversed */
		uint64_t at = reverse ? (len - done - 1) / DEVMEM_FAULT_PIECE *
						DEVMEM_FAULT_PIECE
				      : done;
		uint64_t n = DEVMEM_FAULT_PIECE, k = 0;
		int rc;

		if (len - at < n)
			n = len - at;
		if (written + 1 == limit)
			k = fault_bytes();
		if (k && k < n)
			n = k; /* the cut lands inside this piece: K bytes */
		rc = meta_io(ctx, DEVMEM_IOC_META_WRITE, id, offset + at,
			     (const unsigned char *)buf + at, n,
			     "DEVMEM_IOC_META_WRITE");
		if (rc < 0)
			return rc;
		if (++written == limit)
			fault_cut(offset + at);
	}
	return 0;
}

int devmem_kern_ns_map(struct devmem_ctx *ctx, struct devmem_ns_arg *arg)
{
	const char *fault = getenv("DEVMEM_FAULT_MAP");

	if (fault && !strcmp(fault, "fail")) {
		dbg(ctx, "DEVMEM_IOC_NS_MAP: failed by DEVMEM_FAULT_MAP\n");
		return -EIO;
	}
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
