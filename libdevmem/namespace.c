// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Namespaces: the entries of a claimed region's layout, joined with what the
 * module has mapped on this boot (DEVMEM_IOC_NS_INFO). Creating and
 * destroying one is a read-modify-write of the layout under the update
 * lock, followed (or preceded) by the map (unmap) ioctl.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uuid/uuid.h>

#include "private.h"

void devmem_namespaces_free(struct devmem_namespace *list)
{
	struct devmem_namespace *ns, *next;

	for (ns = list; ns; ns = next) {
		next = ns->next;
		free(ns);
	}
}

/* Objects no longer on media stay allocated until the context goes, so a
 * stale pointer held by a caller is never a use-after-free. */
static void ns_bury(struct devmem_namespace *ns)
{
	struct devmem_ctx *ctx = ns->region->ctx;

	ns->active = false;
	ns->dev[0] = '\0';
	ns->next = ctx->dead;
	ctx->dead = ns;
}

void devmem_region_drop_namespaces(struct devmem_region *r)
{
	struct devmem_namespace *ns, *next;

	for (ns = r->namespaces; ns; ns = next) {
		next = ns->next;
		ns_bury(ns);
	}
	r->namespaces = NULL;
}

static void ns_set_mapped(struct devmem_namespace *ns,
			  const struct devmem_ns_arg *arg)
{
	ns->active = true;
	ns->align_effective = arg->align_effective;
	snprintf(ns->dev, sizeof(ns->dev), "%s%llu.%llu",
		 ns->ns.mode == DM_MODE_FSDAX ? "devmem" : "dax",
		 (unsigned long long)arg->dax_region,
		 (unsigned long long)arg->dax_id);
}

/* The driver bound to an active devdax namespace's device, in @drv ("" if
 * none or unknown). */
static const char *ns_dax_driver(const struct devmem_namespace *ns,
				 char drv[PATH_MAX])
{
	if (!devmem_sysfs_driver("/sys/bus/dax/devices", ns->dev, drv,
				 PATH_MAX))
		drv[0] = '\0';
	return drv;
}

/*
 * Is active @ns in use in a way the module does not revoke (it would
 * refuse to unmap it with -EBUSY)? An fsdax disk an exclusive opener holds
 * (our own O_EXCL open fails with EBUSY), a devdax device bound to another
 * driver than device_dax. A hint, to name the problem before --force.
 */
static bool ns_held(const struct devmem_namespace *ns)
{
	char drv[PATH_MAX];
	const char *base;

	if (ns->ns.mode == DM_MODE_FSDAX) {
		char path[64];
		int fd;

		snprintf(path, sizeof(path), "/dev/%s", ns->dev);
		fd = open(path, O_RDONLY | O_EXCL | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
		return fd < 0 && errno == EBUSY;
	}
	base = ns_dax_driver(ns, drv);
	return *base && strcmp(base, "device_dax") != 0;
}

/* Why the module refused to unmap @ns (-EBUSY): say what holds it. */
static void ns_busy_why(const struct devmem_namespace *ns, const char *name)
{
	struct devmem_ctx *ctx = ns->region->ctx;
	char drv[PATH_MAX];
	const char *base;

	if (ns->ns.mode == DM_MODE_FSDAX) {
		err(ctx,
		    "%s: /dev/%s is in use (mounted, or held by swap, dm or "
		    "md); unmount it first: not even --force revokes a "
		    "filesystem\n",
		    name, ns->dev);
		return;
	}
	base = ns_dax_driver(ns, drv);
	if (strcmp(base, "kmem") == 0)
		err(ctx,
		    "%s: /dev/%s is system RAM (kmem); give it back first "
		    "with 'daxctl reconfigure-device --mode=devdax %s' (after "
		    "'daxctl offline-memory %s'): not even --force revokes "
		    "online memory\n",
		    name, ns->dev, ns->dev, ns->dev);
	else
		err(ctx, "%s: /dev/%s is in use by the %s driver\n", name,
		    ns->dev, *base ? base : "(unknown)");
}

static void ns_refresh_info(struct devmem_namespace *ns)
{
	struct devmem_region *r = ns->region;
	struct devmem_ns_arg arg;
	int rc;

	ns->active = false;
	ns->align_effective = 0;
	ns->dev[0] = '\0';
	rc = devmem_kern_ns_info(r->ctx, r->id, ns->index, &arg);
	if (rc == 0 && arg.mapped)
		ns_set_mapped(ns, &arg);
	else if (rc < 0 && rc != -ENOENT)
		warn(r->ctx, "%s: %s: DEVMEM_IOC_NS_INFO failed: %s\n",
		     r->devname, ns->ns.name, strerror(-rc));
}

/* Unlink and return the object for table entry @index if it still
 * describes the same namespace (same UUID). */
static struct devmem_namespace *
ns_take(struct devmem_region *r, unsigned int index, const uint8_t uuid[16])
{
	struct devmem_namespace **pp, *ns;

	for (pp = &r->namespaces; (ns = *pp); pp = &ns->next) {
		if (ns->index != index)
			continue;
		if (memcmp(ns->ns.uuid, uuid, 16) != 0)
			return NULL;
		*pp = ns->next;
		ns->next = NULL;
		return ns;
	}
	return NULL;
}

/*
 * Make @r's cached layout and namespace objects match @m (just read from or
 * written to media). Objects for entries that are still there keep their
 * identity; the others are buried. Each kept or new object's mapped state
 * is re-read from the module.
 */
void devmem_region_set_layout(struct devmem_region *r,
			      const struct devmem_meta *m)
{
	struct devmem_namespace *list = NULL, **tail = &list, *ns;
	unsigned int i;

	r->meta_state = m->state;
	if (m->state == DM_META_VALID && !r->layout) {
		r->layout = malloc(sizeof(*r->layout));
		if (!r->layout) {
			err(r->ctx, "%s: out of memory for its layout\n",
			    r->devname);
			r->meta_state = 0;
		}
	}
	if (r->meta_state != DM_META_VALID) {
		devmem_region_drop_namespaces(r);
		return;
	}
	*r->layout = m->layout;
	for (i = 0; i < DM_NS_MAX; i++) {
		const struct dm_ns *e = &m->layout.ns[i];

		if (!(e->flags & DM_NS_FLAG_VALID))
			continue;
		ns = ns_take(r, i, e->uuid);
		if (!ns) {
			ns = calloc(1, sizeof(*ns));
			if (!ns) {
				err(r->ctx,
				    "%s: out of memory for namespace "
				    "%s\n",
				    r->devname, e->name);
				continue;
			}
			ns->region = r;
			ns->index = i;
		}
		ns->ns = *e;
		ns_refresh_info(ns);
		*tail = ns;
		tail = &ns->next;
	}
	devmem_region_drop_namespaces(r);
	r->namespaces = list;
}

/* Read @r's layout from media and rebuild its namespace objects. */
int devmem_region_load_namespaces(struct devmem_region *r)
{
	struct devmem_meta *m;
	int rc;

	m = devmem_meta_new(r->ctx);
	if (!m)
		return -ENOMEM;
	rc = devmem_meta_read(r, m);
	if (rc == 0) {
		devmem_region_set_layout(r, m);
		if (m->state != DM_META_VALID && m->state != DM_META_BLANK)
			warn(r->ctx, "%s: claimed by devmem, but %s\n",
			     r->devname, m->rep.why);
	}
	free(m);
	return rc;
}

/* DEVMEM_IOC_NS_MAP for @ns at this boot's physical base of its region. */
int devmem_namespace_map(struct devmem_namespace *ns)
{
	struct devmem_region *r = ns->region;
	struct devmem_ns_arg arg = {
		.id = r->id,
		.index = ns->index,
		.resv_offset = ns->ns.resv_offset,
		.offset = ns->ns.offset,
		.size = ns->ns.size,
		.align = ns->ns.align,
		.map = ns->ns.map,
		.mode = ns->ns.mode,
	};
	int rc;

	rc = devmem_kern_ns_map(r->ctx, &arg);
	if (rc < 0) {
		err(r->ctx, "%s: %s: the devmem module refused to map it: %s\n",
		    r->devname, ns->ns.name, strerror(-rc));
		return rc;
	}
	ns_set_mapped(ns, &arg);
	info(r->ctx, "%s: %s: mapped as /dev/%s\n", r->devname, ns->ns.name,
	     ns->dev);
	if (arg.align_effective < ns->ns.align) {
		char a1[24], a2[24];
		const char *want = devmem_align_str(ns->ns.align, a1);
		const char *got = devmem_align_str(arg.align_effective, a2);

		warn(r->ctx,
		     "%s: created with align %s, placement at %#llx "
		     "allows only %s on this boot\n",
		     ns->ns.name, want,
		     (unsigned long long)(r->phys + ns->ns.offset), got);
	}
	return 0;
}

/* Map every namespace of @r that is not active; returns the first error. */
int devmem_region_map_all(struct devmem_region *r)
{
	struct devmem_namespace *ns;
	int rc, first = 0;

	for (ns = r->namespaces; ns; ns = ns->next) {
		if (ns->active)
			continue;
		rc = devmem_namespace_map(ns);
		if (rc < 0 && first == 0)
			first = rc;
	}
	return first;
}

/**
 * devmem_namespace_get_first - the first namespace of a region
 * @r: region
 *
 * Namespaces come in the order of the layout's table. Only a claimed region
 * with a valid layout has any.
 *
 * Returns the namespace, or NULL when there is none.
 */
struct devmem_namespace *devmem_namespace_get_first(struct devmem_region *r)
{
	return r ? r->namespaces : NULL;
}

/**
 * devmem_namespace_get_next - the namespace after @n in its region
 * @n: namespace
 *
 * Returns the next namespace, or NULL after the last.
 */
struct devmem_namespace *devmem_namespace_get_next(struct devmem_namespace *n)
{
	return n ? n->next : NULL;
}

/**
 * devmem_namespace_get_region - the region a namespace lives in
 * @ns: namespace
 */
struct devmem_region *devmem_namespace_get_region(struct devmem_namespace *ns)
{
	return ns ? ns->region : NULL;
}

/**
 * devmem_namespace_get_index - the namespace's entry in its layout's table
 * @ns: namespace
 *
 * The device-dax device is /dev/dax(100 + region id).(index); the region id
 * is the module's, given in the order regions are claimed on this boot.
 */
unsigned int devmem_namespace_get_index(struct devmem_namespace *ns)
{
	return ns ? ns->index : 0;
}

/**
 * devmem_namespace_get_name - the namespace's name, unique across regions
 * @ns: namespace
 */
const char *devmem_namespace_get_name(struct devmem_namespace *ns)
{
	return ns ? ns->ns.name : NULL;
}

/**
 * devmem_namespace_get_uuid - the namespace's UUID
 * @ns: namespace
 * @uu: returns 16 bytes
 */
void devmem_namespace_get_uuid(struct devmem_namespace *ns,
			       unsigned char uu[16])
{
	if (ns)
		memcpy(uu, ns->ns.uuid, 16);
}

/**
 * devmem_namespace_get_mode - what the namespace is presented as
 * @ns: namespace
 */
enum devmem_ns_mode devmem_namespace_get_mode(struct devmem_namespace *ns)
{
	return ns ? (enum devmem_ns_mode)ns->ns.mode : DEVMEM_NS_MODE_DEVDAX;
}

/**
 * devmem_namespace_get_map - where the namespace's struct pages live
 * @ns: namespace
 */
enum devmem_ns_map devmem_namespace_get_map(struct devmem_namespace *ns)
{
	return ns ? (enum devmem_ns_map)ns->ns.map : DEVMEM_NS_MAP_DEV;
}

/**
 * devmem_namespace_get_size - bytes of data the namespace gives its users
 * @ns: namespace
 */
unsigned long long devmem_namespace_get_size(struct devmem_namespace *ns)
{
	return ns ? ns->ns.size : 0;
}

/**
 * devmem_namespace_get_offset - where the data starts in the region
 * @ns: namespace
 *
 * Returns the byte offset from the start of the region; it does not change
 * when the region moves.
 */
unsigned long long devmem_namespace_get_offset(struct devmem_namespace *ns)
{
	return ns ? ns->ns.offset : 0;
}

/**
 * devmem_namespace_get_align - the fault size the namespace was created with
 * @ns: namespace
 *
 * Returns 4096 or 2097152.
 */
unsigned long devmem_namespace_get_align(struct devmem_namespace *ns)
{
	return ns ? ns->ns.align : 0;
}

/**
 * devmem_namespace_is_active - whether the module maps it on this boot
 * @ns: namespace
 *
 * Returns 1 when its device-dax device exists, else 0.
 */
int devmem_namespace_is_active(struct devmem_namespace *ns)
{
	return ns && ns->active;
}

/**
 * devmem_namespace_get_align_effective - the fault size on this boot
 * @ns: namespace
 *
 * Smaller than devmem_namespace_get_align() when this boot's physical
 * placement cannot honour 2 MiB alignment.
 *
 * Returns 4096 or 2097152, or 0 when the namespace is not active.
 */
unsigned long devmem_namespace_get_align_effective(struct devmem_namespace *ns)
{
	return ns && ns->active ? (unsigned long)ns->align_effective : 0;
}

/**
 * devmem_namespace_get_chardev - the device-dax device of a namespace
 * @ns: namespace
 *
 * Returns "daxN.M" (the node is /dev/daxN.M), or NULL when not active or
 * not a devdax namespace.
 */
const char *devmem_namespace_get_chardev(struct devmem_namespace *ns)
{
	return ns && ns->active && ns->ns.mode == DM_MODE_DEVDAX ? ns->dev
								 : NULL;
}

/**
 * devmem_namespace_get_blockdev - the block device of an fsdax namespace
 * @ns: namespace
 *
 * Returns "devmemN.M" (the node is /dev/devmemN.M; N.M as for daxN.M), or
 * NULL when not active or not an fsdax namespace. LIBDEVMEM_1.3.
 */
const char *devmem_namespace_get_blockdev(struct devmem_namespace *ns)
{
	return ns && ns->active && ns->ns.mode == DM_MODE_FSDAX ? ns->dev
								: NULL;
}

/**
 * devmem_ns_spec_new - describe a namespace to create
 * @ctx: context
 * @spec: returns the description: mode devdax, map dev, the largest size
 *	that fits, align chosen from the size, name and UUID chosen at
 *	creation
 *
 * Returns 0 or -ENOMEM.
 */
int devmem_ns_spec_new(struct devmem_ctx *ctx, struct devmem_ns_spec **spec)
{
	struct devmem_ns_spec *s;

	if (!ctx || !spec)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		err(ctx, "out of memory\n");
		return -ENOMEM;
	}
	s->ctx = ctx;
	s->mode = DM_MODE_DEVDAX;
	s->map = DM_MAP_DEV;
	*spec = s;
	return 0;
}

/**
 * devmem_ns_spec_free - free a namespace description
 * @spec: description, may be NULL
 */
void devmem_ns_spec_free(struct devmem_ns_spec *spec)
{
	free(spec);
}

/**
 * devmem_ns_spec_set_size - bytes of data
 * @spec: description
 * @size: a multiple of 4096; 0 means the largest that fits
 *
 * Returns 0 or -EINVAL.
 */
int devmem_ns_spec_set_size(struct devmem_ns_spec *spec,
			    unsigned long long size)
{
	if (!spec)
		return -EINVAL;
	if (size % DM_PAGE) {
		err(spec->ctx, "invalid size %llu: not a multiple of %llu\n",
		    size, DM_PAGE);
		return -EINVAL;
	}
	spec->size = size;
	return 0;
}

/**
 * devmem_ns_spec_set_align - fault size to ask for
 * @spec: description
 * @align: 4096 or 2097152; 0 means 2097152 when the size is a multiple of
 *	it (or the largest size is asked for), else 4096
 *
 * Returns 0 or -EINVAL.
 */
int devmem_ns_spec_set_align(struct devmem_ns_spec *spec, unsigned long align)
{
	if (!spec)
		return -EINVAL;
	if (align != 0 && align != DM_PAGE && align != DM_SUBSECTION) {
		err(spec->ctx, "invalid align %lu: must be 4096 or 2097152\n",
		    align);
		return -EINVAL;
	}
	spec->align = (uint32_t)align;
	return 0;
}

/**
 * devmem_ns_spec_set_mode - how the namespace is presented
 * @spec: description
 * @mode: DEVMEM_NS_MODE_DEVDAX or DEVMEM_NS_MODE_FSDAX (LIBDEVMEM_1.3)
 *
 * Returns 0 or -EINVAL.
 */
int devmem_ns_spec_set_mode(struct devmem_ns_spec *spec,
			    enum devmem_ns_mode mode)
{
	if (!spec)
		return -EINVAL;
	if (mode != DEVMEM_NS_MODE_DEVDAX && mode != DEVMEM_NS_MODE_FSDAX) {
		err(spec->ctx,
		    "invalid mode %d: devdax (%d) or fsdax (%d) exist\n",
		    (int)mode, DEVMEM_NS_MODE_DEVDAX, DEVMEM_NS_MODE_FSDAX);
		return -EINVAL;
	}
	spec->mode = (uint32_t)mode;
	return 0;
}

/**
 * devmem_ns_spec_set_map - where the namespace's struct pages live
 * @spec: description
 * @map: DEVMEM_NS_MAP_DEV (in the device) or DEVMEM_NS_MAP_MEM (in RAM)
 *
 * Returns 0 or -EINVAL.
 */
int devmem_ns_spec_set_map(struct devmem_ns_spec *spec, enum devmem_ns_map map)
{
	if (!spec)
		return -EINVAL;
	if (map != DEVMEM_NS_MAP_DEV && map != DEVMEM_NS_MAP_MEM) {
		err(spec->ctx, "invalid map %d: must be dev (%d) or mem (%d)\n",
		    (int)map, DEVMEM_NS_MAP_DEV, DEVMEM_NS_MAP_MEM);
		return -EINVAL;
	}
	spec->map = (uint32_t)map;
	return 0;
}

/**
 * devmem_ns_spec_set_name - the namespace's name
 * @spec: description
 * @name: 1 to 63 characters of A-Z a-z 0-9 . _ -, not a UUID; unique
 *	across all claimed regions (checked at creation). Unset: "ns<index>",
 *	or the lowest unused "nsN" when that is taken in another region.
 *
 * Returns 0 or -EINVAL.
 */
int devmem_ns_spec_set_name(struct devmem_ns_spec *spec, const char *name)
{
	uuid_t uu;

	if (!spec || !name)
		return -EINVAL;
	if (dm_name_valid(name) < 0) {
		err(spec->ctx,
		    "invalid name '%s': use 1 to %u characters of "
		    "A-Z a-z 0-9 . _ -\n",
		    name, DM_NAME_MAX - 1);
		return -EINVAL;
	}
	if (uuid_parse(name, uu) == 0) {
		err(spec->ctx,
		    "invalid name '%s': a name must not look like a "
		    "UUID\n",
		    name);
		return -EINVAL;
	}
	snprintf(spec->name, sizeof(spec->name), "%s", name);
	spec->have_name = true;
	return 0;
}

/**
 * devmem_ns_spec_set_uuid - the namespace's UUID
 * @spec: description
 * @uu: 16 bytes, not all zero; unique across claimed regions (checked at
 *	creation). Unset: a new random UUID.
 *
 * Returns 0 or -EINVAL.
 */
int devmem_ns_spec_set_uuid(struct devmem_ns_spec *spec,
			    const unsigned char uu[16])
{
	if (!spec || !uu)
		return -EINVAL;
	if (uuid_is_null(uu)) {
		err(spec->ctx, "invalid uuid "
			       "00000000-0000-0000-0000-000000000000: the nil "
			       "UUID is not allowed\n");
		return -EINVAL;
	}
	memcpy(spec->uuid, uu, 16);
	spec->have_uuid = true;
	return 0;
}

/* Fresh layouts of every claimed region, for the uniqueness checks. */
struct layouts {
	unsigned int n;
	struct devmem_region *region[DEVMEM_MAX_REGIONS + 1];
	struct devmem_meta *meta[DEVMEM_MAX_REGIONS + 1];
};

static void layouts_free(struct layouts *ls, const struct devmem_meta *mine)
{
	unsigned int i;

	for (i = 0; i < ls->n; i++)
		if (ls->meta[i] != mine)
			free(ls->meta[i]);
	ls->n = 0;
}

/* Read every claimed region's layout; @self is already read as @mine. */
static int layouts_read(struct devmem_ctx *ctx, struct devmem_region *self,
			struct devmem_meta *mine, struct layouts *ls)
{
	struct devmem_region *r;
	int rc;

	ls->n = 0;
	for (r = ctx->regions; r; r = r->next) {
		if (!r->claimed || r == self)
			continue;
		if (ls->n == DEVMEM_MAX_REGIONS)
			break; /* the module has no more */
		ls->meta[ls->n] = devmem_meta_new(ctx);
		if (!ls->meta[ls->n])
			return -ENOMEM;
		ls->region[ls->n] = r;
		rc = devmem_meta_read(r, ls->meta[ls->n++]);
		if (rc < 0)
			return rc;
	}
	ls->region[ls->n] = self;
	ls->meta[ls->n++] = mine;
	return 0;
}

static struct devmem_region *name_owner(const struct layouts *ls,
					const char *name)
{
	unsigned int i, k;

	for (i = 0; i < ls->n; i++) {
		const struct dm_layout *l = &ls->meta[i]->layout;

		if (ls->meta[i]->state != DM_META_VALID)
			continue;
		for (k = 0; k < DM_NS_MAX; k++)
			if ((l->ns[k].flags & DM_NS_FLAG_VALID) &&
			    strcmp(l->ns[k].name, name) == 0)
				return ls->region[i];
	}
	return NULL;
}

static struct devmem_region *uuid_owner(const struct layouts *ls,
					const uint8_t uu[16])
{
	unsigned int i, k;

	for (i = 0; i < ls->n; i++) {
		const struct dm_layout *l = &ls->meta[i]->layout;

		if (ls->meta[i]->state != DM_META_VALID)
			continue;
		for (k = 0; k < DM_NS_MAX; k++)
			if ((l->ns[k].flags & DM_NS_FLAG_VALID) &&
			    memcmp(l->ns[k].uuid, uu, 16) == 0)
				return ls->region[i];
	}
	return NULL;
}

static int pick_name(const struct layouts *ls, unsigned int index,
		     char name[DM_NAME_MAX])
{
	unsigned int n;

	snprintf(name, DM_NAME_MAX, "ns%u", index);
	for (n = 0; name_owner(ls, name); n++) {
		if (n > DEVMEM_MAX_REGIONS * DM_NS_MAX)
			return -ENOSPC;
		snprintf(name, DM_NAME_MAX, "ns%u", n);
	}
	return 0;
}

static int pick_index(struct devmem_region *r, const struct dm_layout *l)
{
	unsigned int i, max = DM_NS_MAX;

	if (r->ctx->ver.max_namespaces < max)
		max = (unsigned int)r->ctx->ver.max_namespaces;
	for (i = 0; i < max; i++)
		if (!(l->ns[i].flags & DM_NS_FLAG_VALID))
			return (int)i;
	err(r->ctx, "%s: its namespace table is full (%u entries)\n",
	    r->devname, max);
	return -ENOSPC;
}

/* Check the spec against the fresh layouts; fill in name, uuid, align. */
static int spec_resolve(struct devmem_region *r,
			const struct devmem_ns_spec *spec,
			const struct layouts *ls, unsigned int index,
			struct dm_ns *ns, struct dm_place_req *req)
{
	struct devmem_region *owner;

	if (spec->have_name) {
		owner = name_owner(ls, spec->name);
		if (owner) {
			err(r->ctx, "invalid name '%s': already used in %s\n",
			    spec->name, owner->devname);
			return -EEXIST;
		}
		memcpy(ns->name, spec->name, sizeof(ns->name));
	} else if (pick_name(ls, index, ns->name) < 0) {
		err(r->ctx, "%s: no free default name; use a name\n",
		    r->devname);
		return -ENOSPC;
	}
	if (spec->have_uuid) {
		owner = uuid_owner(ls, spec->uuid);
		if (owner) {
			char ustr[37];
			const char *u = devmem_uuid_str(spec->uuid, ustr);

			err(r->ctx, "invalid uuid '%s': already used in %s\n",
			    u, owner->devname);
			return -EEXIST;
		}
		memcpy(ns->uuid, spec->uuid, 16);
	} else {
		do {
			uuid_generate(ns->uuid);
		} while (uuid_owner(ls, ns->uuid));
	}
	req->size = spec->size;
	req->align = spec->align;
	if (!req->align)
		req->align =
			spec->size % DM_SUBSECTION ? DM_PAGE : DM_SUBSECTION;
	req->map = spec->map;
	req->have_base = true;
	req->phys_base = r->phys;
	return 0;
}

static struct devmem_namespace *ns_at(struct devmem_region *r,
				      unsigned int index)
{
	struct devmem_namespace *ns;

	for (ns = r->namespaces; ns; ns = ns->next)
		if (ns->index == index)
			return ns;
	return NULL;
}

/* After a failed map: the previous layout, as the next generation. */
static void create_roll_back(struct devmem_region *r, struct devmem_meta *m,
			     const struct dm_layout *prev, const char *name)
{
	if (devmem_meta_update(r, m, prev) == 0) {
		devmem_region_set_layout(r, m);
		info(r->ctx, "%s: %s removed from the layout again\n",
		     r->devname, name);
		return;
	}
	err(r->ctx,
	    "%s: %s stays in the layout, inactive; destroy it with "
	    "'devmemctl destroy-namespace %s'\n",
	    r->devname, name, name);
	devmem_region_set_layout(r, m);
}

static int create_locked(struct devmem_region *r,
			 const struct devmem_ns_spec *spec,
			 struct devmem_meta *m, struct dm_layout *prev,
			 struct dm_layout *next, struct devmem_namespace **out)
{
	struct devmem_ctx *ctx = r->ctx;
	struct dm_place_req req = {0};
	struct layouts ls = {0};
	struct devmem_namespace *ns;
	struct dm_ns e = {0};
	char why[256];
	int rc, index;

	rc = devmem_region_refresh(r);
	if (rc < 0)
		return rc;
	if (!r->claimed) {
		err(ctx, "%s: not claimed by devmem\n", r->devname);
		return -ENXIO;
	}
	if (spec->mode == DM_MODE_FSDAX && devmem_region_is_virtio(r)) {
		err(ctx,
		    "%s: is virtio-pmem: its writes persist only through a "
		    "flush request to the device, which an fsdax namespace "
		    "of devmem cannot send; use -m devdax\n",
		    r->devname);
		return -EOPNOTSUPP;
	}
	rc = devmem_meta_read(r, m);
	if (rc < 0)
		return rc;
	if (m->state != DM_META_VALID) {
		err(ctx, "%s: holds no valid devmem layout%s%s\n", r->devname,
		    m->state == DM_META_BLANK ? "" : ": ",
		    m->state == DM_META_BLANK ? "" : m->rep.why);
		return -ENODATA;
	}
	rc = devmem_meta_check(r, &m->layout);
	if (rc < 0)
		return rc;
	*prev = m->layout;
	index = pick_index(r, prev);
	if (index < 0)
		return index;
	rc = layouts_read(ctx, r, m, &ls);
	if (rc == 0)
		rc = spec_resolve(r, spec, &ls, (unsigned int)index, &e, &req);
	layouts_free(&ls, m);
	if (rc < 0)
		return rc;
	rc = dm_layout_place(prev, &req, &e, why, sizeof(why));
	if (rc < 0) {
		err(ctx, "%s: %s\n", r->devname, why);
		return rc;
	}
	e.mode = spec->mode;
	e.flags = DM_NS_FLAG_VALID;
	*next = *prev;
	next->ns[index] = e;
	rc = devmem_meta_check(r, next);
	if (rc < 0) {
		err(ctx,
		    "%s: internal error: the new layout would fail its "
		    "check; nothing written\n",
		    r->devname);
		return rc;
	}
	rc = devmem_meta_update(r, m, next);
	if (rc < 0)
		return rc;
	devmem_region_set_layout(r, m);
	ns = ns_at(r, (unsigned int)index);
	rc = ns ? devmem_namespace_map(ns) : -ENOMEM;
	if (rc < 0) {
		create_roll_back(r, m, prev, e.name);
		return rc;
	}
	if (out)
		*out = ns;
	return 0;
}

/**
 * devmem_namespace_create - add a namespace to a claimed region and map it
 * @region: a claimed region
 * @spec: what to create (devmem_ns_spec_new())
 * @ns: returns the new, active namespace; may be NULL
 *
 * Under the update lock: reads the layout fresh from media, checks that the
 * name and UUID are unused in every claimed region, places the namespace
 * (the layout engine; the data start is 2 MiB-aligned for this boot's
 * physical base where it can be), writes the new layout with the update
 * protocol, and maps it. If the module refuses to map it, the previous
 * layout is written back as a new generation and the module's error is
 * returned: nothing is lost. Namespace objects of the region obtained
 * before stay valid.
 *
 * Returns 0; -ENXIO (not claimed); -EEXIST (name or UUID in use); -ENOSPC
 * (no room: the log says the largest size that fits); -EINVAL (the request
 * does not fit the rules: the log names the value); or the error of the
 * failing step.
 */
int devmem_namespace_create(struct devmem_region *region,
			    const struct devmem_ns_spec *spec,
			    struct devmem_namespace **ns)
{
	struct dm_layout *prev = NULL, *next = NULL;
	struct devmem_meta *m;
	int rc;

	if (!region || !spec)
		return -EINVAL;
	if (ns)
		*ns = NULL;
	if (spec->align == DM_SUBSECTION && spec->size % DM_SUBSECTION) {
		err(region->ctx,
		    "invalid size %llu with align 2M: not a "
		    "multiple of 2097152\n",
		    (unsigned long long)spec->size);
		return -EINVAL;
	}
	if (devmem_ctl_fd(region->ctx) == -ENODEV) {
		err(region->ctx,
		    "%s: not claimed by devmem (the devmem module "
		    "is not loaded)\n",
		    region->devname);
		return -ENXIO;
	}
	m = devmem_meta_new(region->ctx);
	prev = malloc(sizeof(*prev));
	next = malloc(sizeof(*next));
	if (!m || !prev || !next) {
		rc = -ENOMEM;
		goto out;
	}
	rc = devmem_lock(region->ctx);
	if (rc < 0)
		goto out;
	rc = create_locked(region, spec, m, prev, next, ns);
	devmem_unlock(region->ctx);
out:
	free(next);
	free(prev);
	free(m);
	return rc;
}

static int destroy_locked(struct devmem_namespace *ns, unsigned int flags,
			  struct devmem_meta *m, struct dm_layout *next)
{
	struct devmem_region *r = ns->region;
	struct devmem_ctx *ctx = r->ctx;
	struct devmem_ns_arg arg;
	char name[DM_NAME_MAX];
	const struct dm_ns *e;
	int rc;

	memcpy(name, ns->ns.name, sizeof(name));
	rc = devmem_region_refresh(r);
	if (rc < 0)
		return rc;
	if (!r->claimed) {
		err(ctx, "%s: %s: the region is no longer claimed by devmem\n",
		    r->devname, name);
		return -ESTALE;
	}
	rc = devmem_meta_read(r, m);
	if (rc < 0)
		return rc;
	e = &m->layout.ns[ns->index];
	if (m->state != DM_META_VALID || !(e->flags & DM_NS_FLAG_VALID) ||
	    memcmp(e->uuid, ns->ns.uuid, 16) != 0) {
		err(ctx,
		    "%s: %s: no longer on media (changed by another "
		    "process?)\n",
		    r->devname, name);
		return -ESTALE;
	}
	rc = devmem_kern_ns_info(ctx, r->id, ns->index, &arg);
	if (rc < 0 && rc != -ENOENT) {
		err(ctx, "%s: %s: DEVMEM_IOC_NS_INFO failed: %s\n", r->devname,
		    name, strerror(-rc));
		return rc;
	}
	if (rc == 0 && arg.mapped) {
		ns_set_mapped(ns, &arg);
		if (ns_held(ns)) {
			ns_busy_why(ns, name);
			return -EBUSY;
		}
		if (!(flags & DEVMEM_FORCE)) {
			err(ctx,
			    "%s: is active (/dev/%s); use --force to "
			    "destroy it\n",
			    name, ns->dev);
			return -EBUSY;
		}
		rc = devmem_kern_ns_unmap(ctx, r->id, ns->index);
		if (rc == -EBUSY) {
			ns_busy_why(ns, name);
			return rc;
		}
		if (rc < 0) {
			err(ctx,
			    "%s: %s: the devmem module refused to unmap "
			    "it: %s\n",
			    r->devname, name, strerror(-rc));
			return rc;
		}
		ns->active = false;
	}
	*next = m->layout;
	memset(&next->ns[ns->index], 0, sizeof(next->ns[ns->index]));
	rc = devmem_meta_update(r, m, next);
	if (rc < 0)
		return rc;
	devmem_region_set_layout(r, m);
	info(ctx, "%s: %s destroyed\n", r->devname, name);
	return 0;
}

/**
 * devmem_namespace_destroy - remove a namespace from its region's layout
 * @ns: namespace
 * @flags: 0, or DEVMEM_FORCE to destroy an active namespace
 *
 * An active namespace is refused with -EBUSY unless DEVMEM_FORCE is given;
 * then the module unmaps it first, which revokes every live mapping of its
 * device-dax device (processes that still touch it get SIGBUS), as
 * 'daxctl disable-device' does. Then the layout without it is written with
 * the update protocol. On success @ns must not be used any more.
 *
 * Returns 0; -EBUSY (active); -ESTALE (the namespace changed on media since
 * it was read); or the error of the failing step.
 */
int devmem_namespace_destroy(struct devmem_namespace *ns, unsigned int flags)
{
	struct devmem_ctx *ctx;
	struct devmem_meta *m;
	struct dm_layout *next;
	int rc;

	if (!ns)
		return -EINVAL;
	ctx = ns->region->ctx;
	if (flags & ~DEVMEM_FORCE) {
		err(ctx, "%s: unknown destroy flags %#x\n", ns->ns.name, flags);
		return -EINVAL;
	}
	if (devmem_ctl_fd(ctx) < 0) {
		err(ctx,
		    "%s: cannot destroy it: the devmem module is not "
		    "available\n",
		    ns->ns.name);
		return -ENODEV;
	}
	m = devmem_meta_new(ctx);
	next = malloc(sizeof(*next));
	if (!m || !next) {
		rc = -ENOMEM;
		goto out;
	}
	rc = devmem_lock(ctx);
	if (rc < 0)
		goto out;
	rc = destroy_locked(ns, flags, m, next);
	devmem_unlock(ctx);
out:
	free(next);
	free(m);
	return rc;
}
