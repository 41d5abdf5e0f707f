/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libdevmem: userspace library of devmem, see docs/libdevmem.md.
 *
 * Objects are opaque and owned by the context: a region or namespace
 * pointer stays valid until devmem_unref() drops the last reference to the
 * context, unless a function below says otherwise. Every function that can
 * fail returns a negative errno and logs one sentence naming the offending
 * value through the context's log function.
 *
 * Threads: a context and its objects are not thread safe; use one context
 * per thread, or serialise calls. Processes: every update of a region (claim,
 * assemble, create, destroy, release) and every check holds flock(LOCK_EX)
 * on DEVMEM_LOCK_PATH.
 */
#ifndef LIBDEVMEM_H
#define LIBDEVMEM_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

/* the control device of the devmem kernel module */
#define DEVMEM_CTL_PATH "/dev/devmem"
/* serialises updates of devmem regions across processes */
#define DEVMEM_LOCK_PATH "/run/devmem.lock"

/* flags of devmem_region_claim() and devmem_namespace_destroy() */
#define DEVMEM_FORCE 0x1u

enum devmem_ns_mode {
	DEVMEM_NS_MODE_DEVDAX = 1, /* a device-dax character device */
	DEVMEM_NS_MODE_FSDAX = 2,  /* a block device for filesystem-DAX (1.3) */
};

enum devmem_ns_map {
	DEVMEM_NS_MAP_DEV = 1, /* struct pages in the device */
	DEVMEM_NS_MAP_MEM = 2, /* struct pages in RAM */
};

struct devmem_ctx;
struct devmem_region;
struct devmem_namespace;
struct devmem_ns_spec;

/* context */
int devmem_new(struct devmem_ctx **ctx);
struct devmem_ctx *devmem_ref(struct devmem_ctx *ctx);
struct devmem_ctx *devmem_unref(struct devmem_ctx *ctx);
void devmem_set_userdata(struct devmem_ctx *ctx, void *userdata);
void *devmem_get_userdata(struct devmem_ctx *ctx);
void devmem_set_log_fn(struct devmem_ctx *ctx,
		       void (*log_fn)(struct devmem_ctx *ctx, int priority,
				      const char *file, int line,
				      const char *fn, const char *format,
				      va_list args));
int devmem_get_log_priority(struct devmem_ctx *ctx);
void devmem_set_log_priority(struct devmem_ctx *ctx, int priority);

/* kernel module */
int devmem_module_is_loaded(struct devmem_ctx *ctx);
int devmem_module_load(struct devmem_ctx *ctx);

/* regions */
int devmem_scan(struct devmem_ctx *ctx);
struct devmem_region *devmem_region_get_first(struct devmem_ctx *ctx);
struct devmem_region *devmem_region_get_next(struct devmem_region *region);
#define devmem_region_foreach(ctx, region)                                     \
	for (region = devmem_region_get_first(ctx); region != NULL;            \
	     region = devmem_region_get_next(region))
struct devmem_ctx *devmem_region_get_ctx(struct devmem_region *region);
const char *devmem_region_get_devname(struct devmem_region *region);
unsigned long long devmem_region_get_resource(struct devmem_region *region);
unsigned long long devmem_region_get_size(struct devmem_region *region);
int devmem_region_is_claimed(struct devmem_region *region);
int devmem_region_get_id(struct devmem_region *region);
int devmem_region_get_uuid(struct devmem_region *region, unsigned char uu[16]);
/* major << 16 | minor of the on-media layout (LIBDEVMEM_1.2) */
int devmem_region_get_layout_version(struct devmem_region *region);
int devmem_region_get_nr_namespaces(struct devmem_region *region);
unsigned long long
devmem_region_get_available_size(struct devmem_region *region,
				 unsigned long align, enum devmem_ns_map map);
int devmem_region_claim(struct devmem_region *region, unsigned int flags);
int devmem_region_assemble(struct devmem_region *region);

/* namespaces */
struct devmem_namespace *devmem_namespace_get_first(struct devmem_region *r);
struct devmem_namespace *devmem_namespace_get_next(struct devmem_namespace *n);
#define devmem_namespace_foreach(region, ns)                                   \
	for (ns = devmem_namespace_get_first(region); ns != NULL;              \
	     ns = devmem_namespace_get_next(ns))
struct devmem_region *devmem_namespace_get_region(struct devmem_namespace *ns);
unsigned int devmem_namespace_get_index(struct devmem_namespace *ns);
const char *devmem_namespace_get_name(struct devmem_namespace *ns);
void devmem_namespace_get_uuid(struct devmem_namespace *ns,
			       unsigned char uu[16]);
enum devmem_ns_mode devmem_namespace_get_mode(struct devmem_namespace *ns);
enum devmem_ns_map devmem_namespace_get_map(struct devmem_namespace *ns);
unsigned long long devmem_namespace_get_size(struct devmem_namespace *ns);
unsigned long long devmem_namespace_get_offset(struct devmem_namespace *ns);
unsigned long devmem_namespace_get_align(struct devmem_namespace *ns);
int devmem_namespace_is_active(struct devmem_namespace *ns);
unsigned long devmem_namespace_get_align_effective(struct devmem_namespace *ns);
const char *devmem_namespace_get_chardev(struct devmem_namespace *ns);
/* "devmemN.M" of an active fsdax namespace (LIBDEVMEM_1.3) */
const char *devmem_namespace_get_blockdev(struct devmem_namespace *ns);
int devmem_namespace_create(struct devmem_region *region,
			    const struct devmem_ns_spec *spec,
			    struct devmem_namespace **ns);
int devmem_namespace_destroy(struct devmem_namespace *ns, unsigned int flags);

/* what devmem_namespace_create() makes */
int devmem_ns_spec_new(struct devmem_ctx *ctx, struct devmem_ns_spec **spec);
void devmem_ns_spec_free(struct devmem_ns_spec *spec);
int devmem_ns_spec_set_size(struct devmem_ns_spec *spec,
			    unsigned long long size);
int devmem_ns_spec_set_align(struct devmem_ns_spec *spec, unsigned long align);
int devmem_ns_spec_set_mode(struct devmem_ns_spec *spec,
			    enum devmem_ns_mode mode);
int devmem_ns_spec_set_map(struct devmem_ns_spec *spec, enum devmem_ns_map map);
int devmem_ns_spec_set_name(struct devmem_ns_spec *spec, const char *name);
int devmem_ns_spec_set_uuid(struct devmem_ns_spec *spec,
			    const unsigned char uu[16]);

/* LIBDEVMEM_1.1: release a region; consistency check and repair */
int devmem_region_release(struct devmem_region *region, unsigned int flags);

/* flags of devmem_region_check() */
#define DEVMEM_CHECK_REPAIR 0x1u

enum devmem_finding_severity {
	DEVMEM_FINDING_INFO = 0,     /* a fact, e.g. "slot 0: valid, ..." */
	DEVMEM_FINDING_ERROR = 1,    /* an inconsistency that remains */
	DEVMEM_FINDING_REPAIRED = 2, /* an inconsistency the repair fixed */
};

struct devmem_finding;
typedef void (*devmem_check_fn)(struct devmem_region *region,
				const struct devmem_finding *finding,
				void *userdata);
int devmem_region_check(struct devmem_region *region, unsigned int flags,
			devmem_check_fn fn, void *userdata);
enum devmem_finding_severity
devmem_finding_get_severity(const struct devmem_finding *f);
const char *devmem_finding_get_code(const struct devmem_finding *f);
int devmem_finding_get_slot(const struct devmem_finding *f);
int devmem_finding_get_index(const struct devmem_finding *f);
int devmem_finding_is_repairable(const struct devmem_finding *f);
const char *devmem_finding_get_message(const struct devmem_finding *f);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* LIBDEVMEM_H */
