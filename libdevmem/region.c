// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Regions: the kernel's nvdimm pmem regions found through libndctl, joined
 * with the regions the devmem module has claimed (matched by physical
 * start). Claiming a region takes it away from the stock nvdimm stack;
 * assembling brings up the namespaces recorded on a region's media.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ndctl/libndctl.h>
#include <linux/ndctl.h>
#include <uuid/uuid.h>

#include "private.h"

static struct devmem_region *region_new(struct devmem_ctx *ctx,
					const char *devname, unsigned int nd_id)
{
	struct devmem_region *r;

	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->devname = strdup(devname);
	if (!r->devname) {
		free(r);
		return NULL;
	}
	r->ctx = ctx;
	r->nd_id = nd_id;
	return r;
}

static void region_free(struct devmem_region *r)
{
	devmem_namespaces_free(r->namespaces);
	free(r->layout);
	free(r->devname);
	free(r);
}

void devmem_regions_free(struct devmem_ctx *ctx)
{
	struct devmem_region *r, *next;

	for (r = ctx->regions; r; r = next) {
		next = r->next;
		region_free(r);
	}
	ctx->regions = NULL;
	ctx->regions_init = false;
}

/* Forget what was known about @r's devmem state (it is not claimed). */
static void region_forget(struct devmem_region *r)
{
	r->claimed = false;
	r->id = 0;
	r->meta_state = 0;
	devmem_region_drop_namespaces(r);
}

#define ND_DEVICES "/sys/bus/nd/devices"

/*
 * Read ND_DEVICES/@rel (a sysfs attribute) into @buf, the trailing newline
 * cut. Returns 0 or -errno.
 */
static int nd_read(const char *rel, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), ND_DEVICES "/%s", rel) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

/* A number (decimal or 0x...) at ND_DEVICES/@rel. */
static int nd_read_ull(const char *rel, unsigned long long *val)
{
	char buf[64], *end;
	int rc = nd_read(rel, buf, sizeof(buf));

	if (rc < 0)
		return rc;
	errno = 0;
	*val = strtoull(buf, &end, 0);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

/* Write @val to ND_DEVICES/@rel (a bind or unbind file). */
static int nd_write(const char *rel, const char *val)
{
	char path[PATH_MAX];
	size_t len = strlen(val);
	ssize_t n;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), ND_DEVICES "/%s", rel) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return (int)n;
	return (size_t)n == len ? 0 : -EIO;
}

/*
 * The name of the driver @bus_devices/@dev (a sysfs bus's devices
 * directory and a device in it) is bound to, into @drv of @len bytes when
 * @drv is not NULL. Returns false if unbound (or unreadable).
 */
bool devmem_sysfs_driver(const char *bus_devices, const char *dev, char *drv,
			 size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *base;
	ssize_t n;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s/driver", bus_devices,
			     dev) >= sizeof(path))
		return false;
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	if (drv && (size_t)snprintf(drv, len, "%s", base) >= len)
		return false;
	return true;
}

/* The name of the driver ND_DEVICES/@dev is bound to; false if unbound. */
static bool nd_driver(const char *dev, char *drv, size_t len)
{
	return devmem_sysfs_driver(ND_DEVICES, dev, drv, len);
}

/*
 * One region of the sysfs scan: regionN, a pmem region (nstype pmem or io:
 * a labelled or a label-less one) with a physical range, as libndctl would
 * list it (its add_region reads the same attributes; without a readable
 * resource, e.g. not root, the range is unknown). Returns 0 with *@out the
 * new region, or NULL when it is not one devmem lists; or -ENOMEM.
 */
static int region_from_sysfs(struct devmem_ctx *ctx, const char *name,
			     unsigned int nd_id, struct devmem_region **out)
{
	unsigned long long nstype, res = ULLONG_MAX, size = 0;
	char rel[NAME_MAX + 32], provider[64] = "";
	struct devmem_region *r;

	*out = NULL;
	snprintf(rel, sizeof(rel), "%s/nstype", name);
	if (nd_read_ull(rel, &nstype) < 0) {
		dbg(ctx, "%s: no nstype; skipped\n", name);
		return 0;
	}
	if (nstype != ND_DEVICE_NAMESPACE_PMEM &&
	    nstype != ND_DEVICE_NAMESPACE_IO)
		return 0;
	snprintf(rel, sizeof(rel), "%s/resource", name);
	if (nd_read_ull(rel, &res) < 0)
		res = ULLONG_MAX;
	snprintf(rel, sizeof(rel), "%s/size", name);
	if (nd_read_ull(rel, &size) < 0)
		size = 0;
	if (res == ULLONG_MAX || size == 0) {
		dbg(ctx, "%s: no physical range; skipped\n", name);
		return 0;
	}
	r = region_new(ctx, name, nd_id);
	if (!r)
		return -ENOMEM;
	r->phys = res;
	r->size = size;
	/* the region's parent is its nvdimm bus: ndbusN/provider */
	snprintf(rel, sizeof(rel), "%s/../provider", name);
	if (nd_read(rel, provider, sizeof(provider)) == 0)
		r->virtio = strcmp(provider, "virtio-pmem") == 0;
	*out = r;
	return 0;
}

/*
 * The nvdimm pmem regions, from sysfs (/sys/bus/nd/devices/regionN), in
 * region id order. Each bus's probing is flushed first (its wait_probe, as
 * libndctl does before it lists a bus), so regions and namespaces still
 * being probed at boot are settled.
 */
static int regions_scan(struct devmem_ctx *ctx)
{
	struct devmem_region **pp, *r;
	struct dirent *de;
	char buf[32];
	DIR *dir;
	int rc = 0;

	dir = opendir(ND_DEVICES);
	if (!dir) {
		dbg(ctx, "%s: %s; no nvdimm regions\n", ND_DEVICES,
		    strerror(errno));
		return 0;
	}
	while ((de = readdir(dir))) {
		char rel[NAME_MAX + 32];
		unsigned int id;
		int n = 0;

		if (sscanf(de->d_name, "region%u%n", &id, &n) != 1 ||
		    de->d_name[n] != '\0')
			continue;
		snprintf(rel, sizeof(rel), "%s/../wait_probe", de->d_name);
		nd_read(rel, buf, sizeof(buf));
		rc = region_from_sysfs(ctx, de->d_name, id, &r);
		if (rc < 0) {
			err(ctx, "out of memory listing regions\n");
			break;
		}
		if (!r)
			continue;
		dbg(ctx, "%s: [%#llx, +%#llx)\n", r->devname,
		    (unsigned long long)r->phys, (unsigned long long)r->size);
		/* in region id order: region0, region1, ... */
		for (pp = &ctx->regions; *pp; pp = &(*pp)->next)
			if ((*pp)->nd_id > r->nd_id)
				break;
		r->next = *pp;
		*pp = r;
	}
	closedir(dir);
	return rc;
}

/**
 * devmem_region_ndr - libndctl's object for a region, found on first need
 * @r: region
 *
 * Opens libndctl (devmem_ndctl) and looks the region up by name. Every
 * update refreshes its region through devmem_region_refresh(), which calls
 * this, so code that runs under the update lock after it may use r->ndr.
 *
 * Returns 0, the error of ndctl_new(), or -ENXIO when libndctl does not
 * list the region (logged).
 */
int devmem_region_ndr(struct devmem_region *r)
{
	struct ndctl_region *ndr;
	struct ndctl_ctx *nctx;
	struct ndctl_bus *bus;
	int rc;

	if (r->ndr)
		return 0;
	rc = devmem_ndctl(r->ctx, &nctx);
	if (rc < 0)
		return rc;
	ndctl_bus_foreach (nctx, bus) {
		ndctl_region_foreach (bus, ndr) {
			if (strcmp(ndctl_region_get_devname(ndr), r->devname) ==
			    0) {
				r->ndr = ndr;
				return 0;
			}
		}
	}
	err(r->ctx, "%s: libndctl does not list the region\n", r->devname);
	return -ENXIO;
}

static struct devmem_region *region_by_phys(struct devmem_ctx *ctx,
					    uint64_t phys)
{
	struct devmem_region *r;

	for (r = ctx->regions; r; r = r->next)
		if (r->phys == phys)
			return r;
	return NULL;
}

/*
 * Ask the module which regions it has claimed (DEVMEM_IOC_REGION_INFO
 * for every id; -ENOENT is a free id) and mark ours. With @only set, just
 * that region is updated. Returns 0 (also when the module is not loaded:
 * then nothing is claimed) or -errno.
 */
static int regions_query(struct devmem_ctx *ctx, struct devmem_region *only)
{
	struct devmem_region_arg arg;
	struct devmem_region *r;
	uint64_t id;
	int rc;

	rc = devmem_ctl_fd(ctx);
	if (rc == -ENODEV) {
		for (r = ctx->regions; r; r = r->next)
			if (!only || r == only)
				region_forget(r);
		return 0;
	}
	if (rc < 0)
		return rc;
	/*
	 * One region that was claimed: ask for its id first. The module
	 * refuses overlapping claims, so if that id still holds the region's
	 * physical start no other id can, and the sweep over every id below
	 * would find exactly this.
	 */
	if (only && only->claimed) {
		rc = devmem_kern_region_info(ctx, only->id, &arg);
		if (rc < 0 && rc != -ENOENT) {
			err(ctx,
			    "devmem region id %llu: DEVMEM_IOC_REGION_INFO "
			    "failed: %s\n",
			    (unsigned long long)only->id, strerror(-rc));
			return rc;
		}
		if (rc == 0 && arg.phys == only->phys) {
			if (arg.size != only->size)
				warn(ctx,
				     "%s: the module claimed %llu bytes of the "
				     "region's %llu\n",
				     only->devname,
				     (unsigned long long)arg.size,
				     (unsigned long long)only->size);
			return 0;
		}
	}
	for (r = ctx->regions; r; r = r->next)
		if (!only || r == only)
			r->claimed = false;
	for (id = 0; id < ctx->ver.max_regions; id++) {
		rc = devmem_kern_region_info(ctx, id, &arg);
		if (rc == -ENOENT)
			continue;
		if (rc < 0) {
			err(ctx,
			    "devmem region id %llu: DEVMEM_IOC_REGION_INFO "
			    "failed: %s\n",
			    (unsigned long long)id, strerror(-rc));
			return rc;
		}
		r = region_by_phys(ctx, arg.phys);
		if (!r) {
			dbg(ctx,
			    "devmem region id %llu at %#llx is not an "
			    "nvdimm pmem region; ignored\n",
			    (unsigned long long)id,
			    (unsigned long long)arg.phys);
			continue;
		}
		if (only && r != only)
			continue;
		if (arg.size != r->size)
			warn(ctx,
			     "%s: the module claimed %llu bytes of the "
			     "region's %llu\n",
			     r->devname, (unsigned long long)arg.size,
			     (unsigned long long)r->size);
		r->claimed = true;
		r->id = id;
	}
	for (r = ctx->regions; r; r = r->next)
		if ((!only || r == only) && !r->claimed)
			region_forget(r);
	return 0;
}

/*
 * Re-join all claims and reload the layouts of claimed regions, under the
 * update lock: another devmemctl assembling a fresh region claims it under
 * a temporary module id and then moves it to its recorded one, and a read
 * by id in between would find it gone, or read another region's metadata
 * under this one's name (seen with one `assemble regionN` per region at
 * boot). A process that may not take the lock (it cannot create
 * DEVMEM_LOCK_PATH) reads without it: a snapshot.
 */
int devmem_regions_join_claims(struct devmem_ctx *ctx)
{
	struct devmem_region *r;
	int rc, locked;

	locked = devmem_lock_if_allowed(ctx);
	if (locked < 0)
		return locked;
	rc = regions_query(ctx, NULL);
	for (r = ctx->regions; rc == 0 && r; r = r->next)
		if (r->claimed)
			rc = devmem_region_load_namespaces(r);
	if (locked)
		devmem_unlock(ctx);
	return rc;
}

int devmem_regions_init(struct devmem_ctx *ctx)
{
	int rc;

	if (ctx->regions_init)
		return 0;
	rc = regions_scan(ctx);
	if (rc == 0)
		rc = devmem_regions_join_claims(ctx);
	if (rc < 0) {
		devmem_regions_free(ctx);
		return rc;
	}
	ctx->regions_init = true;
	return 0;
}

/*
 * Re-read whether the module holds @r now (under the update lock), and
 * find libndctl's object for it: what follows may change the region.
 */
int devmem_region_refresh(struct devmem_region *r)
{
	int rc = devmem_region_ndr(r);

	return rc < 0 ? rc : regions_query(r->ctx, r);
}

/**
 * devmem_scan - discover regions and what the devmem module holds
 * @ctx: context
 *
 * Lists the nvdimm pmem regions (from sysfs, as libndctl lists them), joins
 * them with the regions the devmem module has claimed, and reads the layout of
 * each claimed region. Called implicitly by devmem_region_get_first(); calling
 * it again re-reads the module's state and the layouts (namespace objects
 * that are still on media keep their identity).
 *
 * Returns 0, or a negative errno (for instance -EPROTONOSUPPORT when the
 * loaded module speaks another ABI version).
 */
int devmem_scan(struct devmem_ctx *ctx)
{
	if (!ctx)
		return -EINVAL;
	if (ctx->regions_init)
		return devmem_regions_join_claims(ctx);
	return devmem_regions_init(ctx);
}

/**
 * devmem_region_get_first - the first nvdimm pmem region
 * @ctx: context
 *
 * Returns the region, or NULL when there is none or discovery failed
 * (call devmem_scan() first to tell those apart).
 */
struct devmem_region *devmem_region_get_first(struct devmem_ctx *ctx)
{
	if (!ctx || devmem_regions_init(ctx) < 0)
		return NULL;
	return ctx->regions;
}

/**
 * devmem_region_get_next - the region after @region
 * @region: region
 *
 * Returns the next region, or NULL after the last.
 */
struct devmem_region *devmem_region_get_next(struct devmem_region *region)
{
	return region ? region->next : NULL;
}

/**
 * devmem_region_get_ctx - the context a region belongs to
 * @region: region
 */
struct devmem_ctx *devmem_region_get_ctx(struct devmem_region *region)
{
	return region ? region->ctx : NULL;
}

/**
 * devmem_region_get_devname - the nvdimm region's device name
 * @region: region
 *
 * Returns "regionN", as libndctl and sysfs name it.
 */
const char *devmem_region_get_devname(struct devmem_region *region)
{
	return region ? region->devname : NULL;
}

/**
 * devmem_region_get_resource - the region's physical start on this boot
 * @region: region
 *
 * Returns the address; it may differ from boot to boot.
 */
unsigned long long devmem_region_get_resource(struct devmem_region *region)
{
	return region ? region->phys : ULLONG_MAX;
}

/**
 * devmem_region_get_size - the region's size in bytes
 * @region: region
 */
unsigned long long devmem_region_get_size(struct devmem_region *region)
{
	return region ? region->size : 0;
}

/**
 * devmem_region_is_claimed - whether the devmem module holds the region
 * @region: region
 *
 * Returns 1 or 0, as of the last discovery or update through this context.
 */
int devmem_region_is_claimed(struct devmem_region *region)
{
	return region && region->claimed;
}

/**
 * devmem_region_get_id - the devmem module's id of a claimed region
 * @region: region
 *
 * Device-dax regions of its namespaces are numbered 100 + id.
 *
 * Returns the id, or -ENXIO when the region is not claimed.
 */
int devmem_region_get_id(struct devmem_region *region)
{
	if (!region || !region->claimed)
		return -ENXIO;
	return (int)region->id;
}

/**
 * devmem_region_get_uuid - the UUID recorded in the region's layout
 * @region: region
 * @uu: returns 16 bytes
 *
 * Returns 0, or -ENODATA when the region is not claimed or holds no valid
 * devmem layout.
 */
int devmem_region_get_uuid(struct devmem_region *region, unsigned char uu[16])
{
	if (!region || !region->claimed || region->meta_state != DM_META_VALID)
		return -ENODATA;
	memcpy(uu, region->layout->region_uuid, 16);
	return 0;
}

/**
 * devmem_region_get_layout_version - the on-media format of the layout
 * @region: region
 *
 * Returns major << 16 | minor (0x20001 for 2.1, 0x20000 for a 2.0 layout not
 * updated since, 0x10000 for a 1.0 layout,
 * which is read and updated in place), or -ENODATA when the region is not
 * claimed or holds no valid devmem layout.
 */
int devmem_region_get_layout_version(struct devmem_region *region)
{
	if (!region || !region->claimed || region->meta_state != DM_META_VALID)
		return -ENODATA;
	return (int)(region->layout->major << 16 |
		     (region->layout->minor & 0xffff));
}

/**
 * devmem_region_get_nr_namespaces - namespaces in the region's layout
 * @region: region
 *
 * Counts active and inactive namespaces alike.
 *
 * Returns the count, or -ENODATA when the region is not claimed or holds
 * no valid devmem layout.
 */
int devmem_region_get_nr_namespaces(struct devmem_region *region)
{
	unsigned int i;
	int n = 0;

	if (!region || !region->claimed || region->meta_state != DM_META_VALID)
		return -ENODATA;
	for (i = 0; i < DM_NS_MAX; i++)
		if (region->layout->ns[i].flags & DM_NS_FLAG_VALID)
			n++;
	return n;
}

/**
 * devmem_region_get_available_size - largest namespace that would fit
 * @region: region
 * @align: 4096 or 2097152
 * @map: where its memmap would live
 *
 * Returns the largest data size devmem_namespace_create() would accept for
 * @align and @map, or 0 when none fits or the layout is unknown.
 */
unsigned long long
devmem_region_get_available_size(struct devmem_region *region,
				 unsigned long align, enum devmem_ns_map map)
{
	if (!region || !region->claimed || region->meta_state != DM_META_VALID)
		return 0;
	return dm_layout_max_size(region->layout, (uint32_t)align,
				  (uint32_t)map);
}

static int require_module(struct devmem_region *r, const char *what)
{
	int rc = devmem_ctl_fd(r->ctx);

	if (rc == -ENODEV)
		err(r->ctx,
		    "%s: cannot %s: the devmem module is not loaded "
		    "(%s is missing)\n",
		    r->devname, what, DEVMEM_CTL_PATH);
	return rc < 0 ? rc : 0;
}

static const char *ns_mode_name(struct ndctl_namespace *ndns)
{
	switch (ndctl_namespace_get_mode(ndns)) {
	case NDCTL_NS_MODE_FSDAX:
		return "fsdax";
	case NDCTL_NS_MODE_SECTOR:
		return "sector";
	case NDCTL_NS_MODE_RAW:
		return "raw";
	case NDCTL_NS_MODE_DEVDAX:
		return "devdax";
	default:
		return "unknown mode";
	}
}

/* A namespace of the stock stack that holds capacity: labelled, size > 0.
 * Label-less (ND_DEVICE_NAMESPACE_IO) namespaces only mirror the region. */
static bool ns_is_stock(struct ndctl_namespace *ndns)
{
	return ndctl_namespace_get_size(ndns) > 0 &&
	       ndctl_namespace_get_type(ndns) != ND_DEVICE_NAMESPACE_IO;
}

static bool region_has_stock(struct devmem_region *r)
{
	struct ndctl_namespace *ndns;

	ndctl_namespace_foreach (r->ndr, ndns) {
		if (ns_is_stock(ndns)) {
			dbg(r->ctx, "%s: holds %s (%s) of the stock stack\n",
			    r->devname, ndctl_namespace_get_devname(ndns),
			    ns_mode_name(ndns));
			return true;
		}
	}
	return false;
}

/* claim step 2: refuse stock namespaces, or with --force destroy them */
static int region_evict_stock(struct devmem_region *r, bool force)
{
	struct ndctl_namespace *ndns, *_n;
	int found = 0, rc;

	ndctl_namespace_foreach (r->ndr, ndns) {
		if (!ns_is_stock(ndns))
			continue;
		found++;
		if (!force)
			err(r->ctx,
			    "%s: holds %s (%s, %llu bytes) of the stock "
			    "nvdimm stack; destroy it with ndctl or use "
			    "--force\n",
			    r->devname, ndctl_namespace_get_devname(ndns),
			    ns_mode_name(ndns), ndctl_namespace_get_size(ndns));
	}
	if (!found)
		return 0;
	if (!force)
		return -EBUSY;
	ndctl_namespace_foreach_safe(r->ndr, ndns, _n)
	{
		const char *name = ndctl_namespace_get_devname(ndns);

		if (!ns_is_stock(ndns))
			continue;
		info(r->ctx, "%s: --force: destroying %s (%s, %llu bytes)\n",
		     r->devname, name, ns_mode_name(ndns),
		     ndctl_namespace_get_size(ndns));
		rc = ndctl_namespace_disable_safe(ndns);
		if (rc < 0) {
			err(r->ctx, "%s: cannot disable %s: %s\n", r->devname,
			    name, strerror(-rc));
			return rc;
		}
		rc = ndctl_namespace_delete(ndns);
		if (rc < 0) {
			err(r->ctx, "%s: cannot delete %s: %s\n", r->devname,
			    name, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/*
 * claim step 3: take the region from the stock stack. Its namespaces are
 * disabled one by one first (ndctl_namespace_disable_safe() refuses a
 * mounted one), as 'ndctl disable-region' does; on failure the ones this
 * disabled are enabled again.
 */
static int region_disable(struct devmem_region *r, bool *was_enabled,
			  bool quiet)
{
	struct ndctl_namespace *ndns, **done = NULL;
	const char *busy = NULL;
	unsigned int n = 0, nr_done = 0;
	int rc = 0;

	*was_enabled = ndctl_region_is_enabled(r->ndr);
	ndctl_namespace_foreach (r->ndr, ndns)
		n++;
	done = calloc(n + 1, sizeof(*done));
	if (!done)
		return -ENOMEM;
	ndctl_namespace_foreach (r->ndr, ndns) {
		if (!ndctl_namespace_is_enabled(ndns))
			continue;
		rc = ndctl_namespace_disable_safe(ndns);
		if (rc < 0) {
			busy = ndctl_namespace_get_devname(ndns);
			break;
		}
		if (nr_done < n)
			done[nr_done++] = ndns;
	}
	if (rc == 0)
		rc = ndctl_region_disable_invalidate(r->ndr);
	if (rc < 0) {
		if (quiet)
			dbg(r->ctx,
			    "%s: cannot disable the nvdimm region%s%s: "
			    "%s; skipped\n",
			    r->devname, busy ? ": busy " : "", busy ? busy : "",
			    strerror(-rc));
		else
			err(r->ctx,
			    "%s: cannot disable the nvdimm region%s%s: "
			    "%s; is a namespace in use (mounted, "
			    "mapped)?\n",
			    r->devname, busy ? ": busy " : "", busy ? busy : "",
			    strerror(-rc));
		if (*was_enabled && !ndctl_region_is_enabled(r->ndr))
			ndctl_region_enable(r->ndr);
		else
			for (unsigned int i = 0; i < nr_done; i++)
				ndctl_namespace_enable(done[i]);
	}
	free(done);
	return rc;
}

static void region_enable(struct devmem_region *r, bool was_enabled)
{
	int rc;

	if (!was_enabled)
		return;
	/* after a disable through sysfs, libndctl first meets it here */
	rc = devmem_region_ndr(r);
	if (rc == 0)
		rc = ndctl_region_enable(r->ndr);
	if (rc < 0)
		err(r->ctx, "%s: cannot re-enable the nvdimm region: %s\n",
		    r->devname, strerror(-rc));
}

/*
 * claim step 4: the module claims the region's range as devmem region id
 * @want if that id is free, else the lowest free one. The id names the
 * region's devices: id I -> /dev/dax(100+I).M.
 */
/*
 * Is @r a virtio-pmem device's range? No firmware table describes it, and
 * its writes persist only through a flush request to the device.
 */
bool devmem_region_is_virtio(struct devmem_region *r)
{
	/* its bus's provider, read by the scan (region_from_sysfs) */
	return r->virtio;
}

static int region_claim_ioctl(struct devmem_region *r, uint64_t want)
{
	uint64_t id = want, flags = 0;
	int rc;

	if (devmem_region_is_virtio(r))
		flags |= DEVMEM_CLAIM_UNDESCRIBED;
	rc = devmem_kern_region_claim(r->ctx, r->phys, r->size, flags, &id);
	if (rc < 0) {
		err(r->ctx,
		    "%s: the devmem module refused to claim "
		    "[%#llx, %#llx): %s\n",
		    r->devname, (unsigned long long)r->phys,
		    (unsigned long long)(r->phys + r->size), strerror(-rc));
		return rc;
	}
	r->claimed = true;
	r->id = id;
	return 0;
}

/*
 * Give a region assembled under a temporary id the id its layout records
 * (layout.dax_region), so its namespaces keep their /dev/daxN.M names
 * whatever order the DIMMs come in. Best effort: when that id is taken,
 * the region keeps the one it has. Nothing is mapped yet.
 */
static int region_take_recorded_id(struct devmem_region *r,
				   const struct dm_layout *l)
{
	uint64_t want = l->dax_region - DEVMEM_DAX_REGION_BASE, was = r->id;
	int rc;

	if (l->dax_region < DEVMEM_DAX_REGION_BASE ||
	    want >= r->ctx->ver.max_regions || want == r->id)
		return 0;
	rc = devmem_kern_region_release(r->ctx, r->id);
	if (rc < 0)
		return rc;
	r->claimed = false;
	rc = region_claim_ioctl(r, want);
	if (rc < 0)
		return rc;
	if (r->id != want)
		info(r->ctx,
		     "%s: devmem region id %llu (/dev/dax%llu.*) is taken; "
		     "using %llu\n",
		     r->devname, (unsigned long long)want,
		     (unsigned long long)l->dax_region,
		     (unsigned long long)r->id);
	else
		dbg(r->ctx, "%s: devmem region id %llu -> %llu (recorded)\n",
		    r->devname, (unsigned long long)was,
		    (unsigned long long)r->id);
	return 0;
}

/* Undo steps 3 and 4: release and hand the region back as found. */
static void region_give_back(struct devmem_region *r, bool was_enabled)
{
	int rc = 0;

	if (r->claimed)
		rc = devmem_kern_region_release(r->ctx, r->id);
	if (rc < 0)
		err(r->ctx, "%s: cannot release devmem region id %llu: %s\n",
		    r->devname, (unsigned long long)r->id, strerror(-rc));
	else
		region_forget(r);
	region_enable(r, was_enabled);
}

static int meta_state_errno(enum dm_meta_state state)
{
	switch (state) {
	case DM_META_VALID:
		return -EEXIST;
	case DM_META_FOREIGN:
		return -EMEDIUMTYPE;
	case DM_META_UNSUPPORTED:
		return -EPROTONOSUPPORT;
	case DM_META_CORRUPT:
		return -EBADMSG;
	default:
		return -EIO;
	}
}

static unsigned int layout_count(const struct dm_layout *l)
{
	unsigned int i, n = 0;

	for (i = 0; i < DM_NS_MAX; i++)
		if (l->ns[i].flags & DM_NS_FLAG_VALID)
			n++;
	return n;
}

/*
 * The new slots go at the start of the tail guard: it must hold nothing
 * but zeros or devmem slots, unless forced.
 */
static int region_slots_free(struct devmem_region *r, uint64_t off, bool force)
{
	unsigned char *buf = malloc(DM_META_SIZE);
	size_t at;
	int rc;

	if (!buf)
		return -ENOMEM;
	rc = devmem_kern_meta_read(r->ctx, r->id, off, buf, DM_META_SIZE);
	if (rc < 0) {
		err(r->ctx, "%s: cannot read offset 0x%llx: %s\n", r->devname,
		    (unsigned long long)off, strerror(-rc));
		goto out;
	}
	at = dm_slots_reusable(buf);
	if (at == DM_META_SIZE)
		goto out;
	if (force) {
		info(r->ctx,
		     "%s: --force: overwriting non-zero data at offset 0x%llx "
		     "with the metadata slots\n",
		     r->devname, (unsigned long long)(off + at));
		goto out;
	}
	err(r->ctx,
	    "%s: found non-zero data at offset 0x%llx, where the metadata "
	    "slots go; use --force to overwrite it\n",
	    r->devname, (unsigned long long)(off + at));
	rc = -EMEDIUMTYPE;
out:
	free(buf);
	return rc;
}

/* claim step 5: a new, empty layout, unless the media holds something */
static int region_init_layout(struct devmem_region *r, bool force)
{
	struct devmem_meta *m;
	struct dm_layout *next = NULL;
	char ustr[37];
	uuid_t uu;
	int rc;

	m = devmem_meta_new(r->ctx);
	if (!m)
		return -ENOMEM;
	rc = devmem_meta_read(r, m);
	if (rc < 0)
		goto out;
	switch (m->state) {
	case DM_META_BLANK:
		if (m->rep.why[0])
			info(r->ctx, "%s: %s\n", r->devname, m->rep.why);
		break;
	case DM_META_VALID:
		if (force) {
			info(r->ctx,
			     "%s: --force: replacing layout generation "
			     "%llu\n",
			     r->devname, (unsigned long long)m->layout.seq);
			break;
		}
		err(r->ctx,
		    "%s: already holds a devmem layout (region uuid %s, "
		    "%u namespace%s); run 'devmemctl assemble'\n",
		    r->devname, devmem_uuid_str(m->layout.region_uuid, ustr),
		    layout_count(&m->layout),
		    layout_count(&m->layout) == 1 ? "" : "s");
		rc = -EEXIST;
		goto out;
	case DM_META_FOREIGN:
	case DM_META_UNSUPPORTED:
	case DM_META_CORRUPT:
		if (force) {
			info(r->ctx, "%s: --force: overwriting: %s\n",
			     r->devname, m->rep.why);
			break;
		}
		err(r->ctx, "%s: %s; use --force to overwrite it\n", r->devname,
		    m->rep.why);
		rc = meta_state_errno(m->state);
		goto out;
	default:
		err(r->ctx, "%s: metadata in unknown state %d\n", r->devname,
		    m->state);
		rc = -EIO;
		goto out;
	}
	next = calloc(1, sizeof(*next));
	if (!next) {
		rc = -ENOMEM;
		goto out;
	}
	uuid_generate(uu);
	dm_layout_init(next, uu, r->size);
	rc = region_slots_free(r, next->slots_offset, force);
	if (rc < 0)
		goto out;
	next->dax_region = (uint32_t)(DEVMEM_DAX_REGION_BASE + r->id);
	rc = devmem_meta_update(r, m, next);
	if (rc == 0)
		devmem_region_set_layout(r, m);
out:
	free(next);
	free(m);
	return rc;
}

/*
 * Revoke the mappings the module holds for a claimed region's namespaces:
 * claim --force before it writes a new layout, release for what is left
 * once the layout's namespaces are destroyed. Without @force a mapping is
 * only named and counted: -EBUSY if there was any.
 */
int devmem_region_unmap_all(struct devmem_region *r, bool force)
{
	struct devmem_ns_arg arg;
	unsigned int i;
	int busy = 0;

	for (i = 0; i < r->ctx->ver.max_namespaces && i < DM_NS_MAX; i++) {
		int rc = devmem_kern_ns_info(r->ctx, r->id, i, &arg);

		if (rc == -ENOENT || (rc == 0 && !arg.mapped))
			continue;
		if (rc == 0 && !force) {
			err(r->ctx,
			    "%s: namespace index %u is mapped "
			    "(/dev/dax%llu.%llu) "
			    "but not in a readable layout; use --force\n",
			    r->devname, i, (unsigned long long)arg.dax_region,
			    (unsigned long long)arg.dax_id);
			busy++;
			continue;
		}
		if (rc == 0)
			rc = devmem_kern_ns_unmap(r->ctx, r->id, i);
		if (rc < 0) {
			err(r->ctx, "%s: cannot unmap namespace index %u: %s\n",
			    r->devname, i, strerror(-rc));
			return rc;
		}
		info(r->ctx, "%s: --force: unmapped namespace index %u\n",
		     r->devname, i);
	}
	return busy ? -EBUSY : 0;
}

/**
 * devmem_region_claim - make a region devmem's, with a new empty layout
 * @region: an nvdimm pmem region
 * @flags: 0, or DEVMEM_FORCE
 *
 * Refuses a region that holds namespaces of the stock nvdimm stack, one the
 * module has claimed already, and one whose metadata area holds a devmem
 * layout or anything else that is not zero. With DEVMEM_FORCE it destroys
 * the stock namespaces, revokes the mappings of a claimed region's
 * namespaces and writes a new empty layout over whatever is there.
 * Otherwise it disables the nvdimm region, has the module claim its range
 * and writes a new layout (fresh region UUID). On any refusal or failure
 * after the region was disabled, the module's claim is released and the
 * region re-enabled; nothing is written to media on a refusal.
 *
 * Returns 0; -EBUSY (stock namespaces, already claimed, region busy);
 * -EEXIST (a devmem layout); -EMEDIUMTYPE (foreign data); -EBADMSG
 * (corrupt); -EPROTONOSUPPORT (newer format); -ENODEV (module not loaded);
 * or the error of the failing step.
 */
int devmem_region_claim(struct devmem_region *region, unsigned int flags)
{
	bool force = flags & DEVMEM_FORCE;
	struct devmem_region *r = region;
	struct devmem_ctx *ctx;
	bool was_enabled;
	int rc;

	if (!r)
		return -EINVAL;
	ctx = r->ctx;
	if (flags & ~DEVMEM_FORCE) {
		err(ctx, "%s: unknown claim flags %#x\n", r->devname, flags);
		return -EINVAL;
	}
	rc = require_module(r, "claim it");
	if (rc < 0)
		return rc;
	if (r->size <= DM_META_SIZE + DM_GUARD + DM_SUBSECTION) {
		err(ctx, "%s: %llu bytes is too small for devmem\n", r->devname,
		    (unsigned long long)r->size);
		return -ENOSPC;
	}
	rc = devmem_lock(ctx);
	if (rc < 0)
		return rc;
	rc = devmem_region_refresh(r);
	if (rc < 0)
		goto out;
	if (r->claimed) {
		if (!force) {
			err(ctx, "%s: already claimed by devmem\n", r->devname);
			rc = -EBUSY;
			goto out;
		}
		rc = devmem_region_unmap_all(r, true);
		if (rc == 0)
			rc = region_init_layout(r, true);
		goto out;
	}
	rc = region_evict_stock(r, force);
	if (rc < 0)
		goto out;
	rc = region_disable(r, &was_enabled, false);
	if (rc < 0)
		goto out;
	/* the nd region's number: region0 -> /dev/dax100.M */
	rc = region_claim_ioctl(r, r->nd_id);
	if (rc < 0) {
		region_enable(r, was_enabled);
		goto out;
	}
	rc = region_init_layout(r, force);
	if (rc < 0)
		region_give_back(r, was_enabled);
out:
	devmem_unlock(ctx);
	return rc;
}

/* Assemble a region the module holds already: map what is not mapped. */
static int assemble_claimed(struct devmem_region *r, struct devmem_meta *m)
{
	int rc;

	rc = devmem_meta_read(r, m);
	if (rc < 0)
		return rc;
	devmem_region_set_layout(r, m);
	switch (m->state) {
	case DM_META_VALID:
		break;
	case DM_META_BLANK:
		dbg(r->ctx, "%s: claimed, but holds no layout yet\n",
		    r->devname);
		return 0;
	default:
		warn(r->ctx, "%s: claimed by devmem, but %s\n", r->devname,
		     m->rep.why);
		return meta_state_errno(m->state);
	}
	rc = devmem_meta_check(r, &m->layout);
	if (rc < 0)
		return rc;
	return devmem_region_map_all(r);
}

/*
 * Take @r from the stock stack through sysfs, the way region_disable() does
 * through libndctl, in the cases a boot leaves a devmem region in: a
 * label-less region whose one enabled namespace is raw and either held by
 * the module's nd driver (DEVMEM_ND_DRIVER: devmem.ko was loaded before
 * nd_pmem and found the layout; no block device), or bound to nd_pmem,
 * with no btt/pfn/dax holding it. As ndctl_namespace_disable_safe() does,
 * nd_pmem's block device is opened O_EXCL (a mounted or open one is busy)
 * and held while the namespace is unbound; then the region is unbound.
 * Saves libndctl's set-up and its enumeration of the region's namespaces
 * and their btt/pfn/dax seeds (module alias lookups, probe flushes) on every
 * boot. Returns 0 (disabled; *@was_enabled as region_disable() sets it),
 * 1 when the region is not that case or the namespace is busy, nothing
 * changed (the caller goes through libndctl, which tells why), or -errno
 * (logged at debug level, as region_disable(..., quiet) does; the
 * namespace is bound again).
 */
static int region_sysfs_disable(struct devmem_region *r, bool *was_enabled)
{
	char ns[NAME_MAX + 1] = "", drv[NAME_MAX + 1] = "", bdev[NAME_MAX + 1];
	char rel[PATH_MAX], buf[64], prefix[32];
	struct dirent *de;
	int rc = 0;
	DIR *dir;

	/* libndctl has this region cached: let the change go through it */
	if (r->ndr)
		return 1;
	snprintf(prefix, sizeof(prefix), "namespace%u.", r->nd_id);
	snprintf(rel, sizeof(rel), ND_DEVICES "/%s", r->devname);
	dir = opendir(rel);
	if (!dir)
		return 1;
	while (rc == 0 && (de = readdir(dir))) {
		unsigned long long type;
		DIR *bd;
		struct dirent *b;
		bool pmem;

		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0 ||
		    !nd_driver(de->d_name, NULL, 0))
			continue;
		snprintf(rel, sizeof(rel), "%s/nstype", de->d_name);
		if (ns[0] || nd_read_ull(rel, &type) < 0 ||
		    type != ND_DEVICE_NAMESPACE_IO)
			rc = 1; /* a second enabled one, or labelled */
		snprintf(rel, sizeof(rel), "%s/holder", de->d_name);
		if (rc == 0 && (nd_read(rel, buf, sizeof(buf)) < 0 || buf[0]))
			rc = 1; /* a btt, pfn or dax holds it */
		if (rc == 0 && !nd_driver(de->d_name, drv, sizeof(drv)))
			rc = 1;
		/* nd_pmem's has a disk; the module's nd driver holds none */
		pmem = rc == 0 && strcmp(drv, "nd_pmem") == 0;
		if (rc == 0 && !pmem && strcmp(drv, DEVMEM_ND_DRIVER) != 0)
			rc = 1;
		bdev[0] = '\0';
		snprintf(rel, sizeof(rel), ND_DEVICES "/%s/block", de->d_name);
		bd = pmem ? opendir(rel) : NULL;
		while (bd && (b = readdir(bd)))
			if (b->d_name[0] != '.')
				snprintf(bdev, sizeof(bdev), "%s", b->d_name);
		if (bd)
			closedir(bd);
		if (pmem && !bdev[0])
			rc = 1;
		if (rc == 0)
			snprintf(ns, sizeof(ns), "%s", de->d_name);
	}
	closedir(dir);
	if (rc)
		return rc;
	*was_enabled = nd_driver(r->devname, NULL, 0);
	if (!*was_enabled)
		return 0; /* no namespace can be enabled either */
	if (ns[0]) {
		int fd = -1;

		snprintf(rel, sizeof(rel), "/dev/%s", bdev);
		if (bdev[0])
			fd = open(rel, O_RDWR | O_EXCL | O_CLOEXEC);
		if (bdev[0] && fd < 0)
			return 1; /* busy (mounted, open) or gone */
		snprintf(rel, sizeof(rel), "%s/driver/unbind", ns);
		nd_write(rel, ns); /* checked below */
		if (fd >= 0)
			close(fd);
		if (nd_driver(ns, NULL, 0))
			return 1; /* still enabled: nothing changed */
		dbg(r->ctx, "%s: disabled\n", ns);
	}
	snprintf(rel, sizeof(rel), "%s/driver/unbind", r->devname);
	rc = nd_write(rel, r->devname);
	if (rc == 0 && nd_driver(r->devname, NULL, 0))
		rc = -EBUSY;
	if (rc == 0) {
		dbg(r->ctx, "%s: disabled\n", r->devname);
		return 0;
	}
	dbg(r->ctx, "%s: cannot disable the nvdimm region: %s; skipped\n",
	    r->devname, strerror(-rc));
	if (ns[0]) {
		snprintf(rel, sizeof(rel), "../drivers/%s/bind", drv);
		nd_write(rel, ns);
	}
	return rc;
}

/*
 * Claim a region the module does not hold under a temporary id, as
 * devmem_region_claim_tmp() does: through sysfs when it is the case a boot
 * leaves (region_sysfs_disable), else through libndctl.
 */
static int assemble_claim_tmp(struct devmem_region *r, bool *was_enabled)
{
	int rc = region_sysfs_disable(r, was_enabled);

	if (rc > 0)
		return devmem_region_claim_tmp(r, was_enabled, true);
	if (rc < 0)
		return -EBUSY; /* as region_disable() would refuse it */
	rc = region_claim_ioctl(r, r->ctx->ver.max_regions - 1);
	if (rc < 0)
		region_enable(r, *was_enabled);
	return rc;
}

static int assemble_new(struct devmem_region *r, struct devmem_meta *m)
{
	bool was_enabled;
	int rc;

	/* under a temporary id until the layout says which id is its own */
	rc = assemble_claim_tmp(r, &was_enabled);
	if (rc == -EBUSY)
		return 0; /* the stock stack's, or in use: not ours to take */
	if (rc < 0)
		return rc;
	rc = devmem_meta_read(r, m);
	if (rc < 0)
		goto give_back;
	switch (m->state) {
	case DM_META_VALID:
		rc = devmem_meta_check(r, &m->layout);
		if (rc == 0)
			rc = region_take_recorded_id(r, &m->layout);
		if (rc < 0)
			goto give_back;
		devmem_region_set_layout(r, m);
		info(r->ctx, "%s: assembling layout generation %llu\n",
		     r->devname, (unsigned long long)m->layout.seq);
		return devmem_region_map_all(r);
	case DM_META_BLANK:
		dbg(r->ctx, "%s: blank metadata area; not devmem's%s%s\n",
		    r->devname, m->rep.why[0] ? ": " : "", m->rep.why);
		rc = 0;
		break;
	case DM_META_FOREIGN:
		dbg(r->ctx, "%s: %s; not devmem's\n", r->devname, m->rep.why);
		rc = 0;
		break;
	default:
		warn(r->ctx, "%s: not assembled: %s\n", r->devname, m->rep.why);
		rc = meta_state_errno(m->state);
		break;
	}
give_back:
	region_give_back(r, was_enabled);
	return rc;
}

/*
 * Whether sysfs shows a namespace of the stock nvdimm stack in @r: the
 * test of ns_is_stock() (size > 0, not label-less), read straight from
 * /sys/bus/nd/devices/REGION/namespaceN.M/size and nstype. Lets assemble pass
 * over a stock region without libndctl's enumeration of its namespaces
 * (about 15 attributes, module alias lookups and probe flushes per
 * namespace and seed); a region where this finds nothing still goes
 * through region_has_stock() in devmem_region_claim_tmp().
 */
static bool region_sysfs_has_stock(struct devmem_region *r)
{
	char path[PATH_MAX], prefix[32];
	struct dirent *de;
	bool found = false;
	DIR *dir;

	if ((size_t)snprintf(path, sizeof(path), ND_DEVICES "/%s",
			     r->devname) >= sizeof(path) ||
	    (size_t)snprintf(prefix, sizeof(prefix), "namespace%u.",
			     r->nd_id) >= sizeof(prefix))
		return false;
	dir = opendir(path);
	if (!dir)
		return false;
	while (!found && (de = readdir(dir))) {
		unsigned long long size = 0, type = 0;
		char rel[NAME_MAX + 32];

		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		/* namespaceN.M is in ND_DEVICES too (a link to this child) */
		snprintf(rel, sizeof(rel), "%s/size", de->d_name);
		if (nd_read_ull(rel, &size) < 0)
			continue;
		snprintf(rel, sizeof(rel), "%s/nstype", de->d_name);
		if (nd_read_ull(rel, &type) < 0)
			continue;
		if (size > 0 && type != ND_DEVICE_NAMESPACE_IO) {
			dbg(r->ctx,
			    "%s: holds %s (nstype %llu, %llu bytes) of the "
			    "stock stack; not devmem's\n",
			    r->devname, de->d_name, type, size);
			found = true;
		}
	}
	closedir(dir);
	return found;
}

/**
 * devmem_region_assemble - bring up the namespaces recorded on a region
 * @region: an nvdimm pmem region
 *
 * A region the module holds already: maps each namespace of its layout
 * that is not mapped. Any other region: skipped when it holds namespaces of
 * the stock nvdimm stack or cannot be disabled (busy); otherwise it is
 * disabled and claimed, and if its metadata holds a valid devmem layout
 * every namespace in it is mapped; if not, it is released and re-enabled
 * (a warning for a corrupt or unsupported devmem layout). A namespace that
 * fails to map is logged and the others still come up. A mapped namespace
 * whose placement on this boot cannot honour its 2M alignment comes up at
 * 4K, with a warning.
 *
 * Returns 0 when every devmem namespace of the region is active (or the
 * region is not devmem's), else the first error: of a namespace that did
 * not map, or -EBADMSG / -EPROTONOSUPPORT / -EINVAL for a devmem layout
 * that is corrupt, too new or fails its check.
 */
int devmem_region_assemble(struct devmem_region *region)
{
	struct devmem_region *r = region;
	struct devmem_meta *m;
	int rc;

	if (!r)
		return -EINVAL;
	rc = require_module(r, "assemble it");
	if (rc < 0)
		return rc;
	m = devmem_meta_new(r->ctx);
	if (!m)
		return -ENOMEM;
	rc = devmem_lock(r->ctx);
	if (rc < 0)
		goto out;
	/* not devmem_region_refresh(): libndctl is opened only if needed */
	rc = regions_query(r->ctx, r);
	if (rc == 0 && r->claimed)
		rc = assemble_claimed(r, m);
	else if (rc == 0 && !region_sysfs_has_stock(r))
		rc = assemble_new(r, m);
	devmem_unlock(r->ctx);
out:
	free(m);
	return rc;
}

/*
 * Claim a region the module does not hold, under a temporary id (the one a
 * fresh claim is least likely to want), to read its metadata: for assemble
 * and for devmem_region_check() (check.c). Give it back with
 * devmem_region_unclaim_tmp(). Returns -EBUSY for a region that holds
 * stock namespaces or cannot be disabled (logged at debug level when
 * @quiet), else 0 or the claim's error.
 */
int devmem_region_claim_tmp(struct devmem_region *r, bool *was_enabled,
			    bool quiet)
{
	int rc;

	rc = devmem_region_ndr(r);
	if (rc < 0)
		return rc;
	if (region_has_stock(r)) {
		devmem_log_cond(r->ctx, quiet ? LOG_DEBUG : LOG_ERR,
				"%s: holds namespaces of the stock nvdimm "
				"stack; not devmem's\n",
				r->devname);
		return -EBUSY;
	}
	rc = region_disable(r, was_enabled, quiet);
	if (rc < 0)
		return rc;
	rc = region_claim_ioctl(r, r->ctx->ver.max_regions - 1);
	if (rc < 0)
		region_enable(r, *was_enabled);
	return rc;
}

void devmem_region_unclaim_tmp(struct devmem_region *r, bool was_enabled)
{
	region_give_back(r, was_enabled);
}
