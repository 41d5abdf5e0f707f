/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libdevmem internals: object layouts, logging, the seams between ctx.c,
 * module.c, kernel.c, meta.c, region.c and namespace.c.
 */
#ifndef DEVMEM_PRIVATE_H
#define DEVMEM_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

#include <linux/devmem.h>

#include "format.h"
#include "layout.h"
#include "libdevmem.h"

struct ndctl_ctx;
struct ndctl_region;

struct devmem_ctx {
	int refcount;
	void (*log_fn)(struct devmem_ctx *ctx, int priority, const char *file,
		       int line, const char *fn, const char *format,
		       va_list args);
	int log_priority;
	void *userdata;
	struct ndctl_ctx *ndctl; /* NULL until first needed (devmem_ndctl) */
	int ndctl_err;		 /* why ndctl_new() failed, once it did */
	/* /dev/devmem: -1 until opened; ctl_err caches why it cannot be */
	int ctl_fd;
	int ctl_err;
	struct devmem_version ver;
	/* DEVMEM_LOCK_PATH, held while lock_depth > 0 */
	int lock_fd;
	int lock_depth;
	bool regions_init;
	struct devmem_region *regions; /* in libndctl's order */
	/* namespace objects no longer on media; freed with the context */
	struct devmem_namespace *dead;
};

struct devmem_region {
	struct devmem_ctx *ctx;
	struct devmem_region *next;
	struct ndctl_region *ndr; /* NULL until needed (devmem_region_ndr) */
	char *devname;		  /* "region0" */
	unsigned int nd_id;	  /* N of regionN */
	bool virtio;		  /* on a virtio-pmem bus */
	uint64_t phys;		  /* this boot's physical start */
	uint64_t size;
	bool claimed; /* by the devmem module, as region @id */
	uint64_t id;
	/* the last layout read from or written to media; claimed only */
	enum dm_meta_state meta_state; /* 0: not read */
	struct dm_layout *layout;      /* valid when meta_state == VALID */
	struct devmem_namespace *namespaces; /* by table index */
	bool meta_warned; /* a damaged copy was named (until an update) */
};

struct devmem_namespace {
	struct devmem_region *region;
	struct devmem_namespace *next;
	unsigned int index; /* in the layout's namespace table */
	struct dm_ns ns;
	bool active; /* mapped by the module on this boot */
	uint64_t align_effective;
	char dev[32]; /* "dax100.0" (devdax), "devmem100.0" (fsdax): active */
};

struct devmem_ns_spec {
	struct devmem_ctx *ctx;
	uint64_t size;	/* 0: the largest that fits */
	uint32_t align; /* 0: 2M when size is a 2 MiB multiple, else 4K */
	uint32_t mode;
	uint32_t map;
	bool have_name, have_uuid;
	char name[DM_NAME_MAX];
	uint8_t uuid[16];
};

/* ctx.c: logging */
void devmem_log(struct devmem_ctx *ctx, int priority, const char *file,
		int line, const char *fn, const char *format, ...)
	__attribute__((format(printf, 6, 7)));

#define devmem_log_cond(ctx, prio, ...)                                        \
	do {                                                                   \
		if ((ctx)->log_priority >= (prio))                             \
			devmem_log((ctx), (prio), __FILE__, __LINE__,          \
				   __func__, __VA_ARGS__);                     \
	} while (0)

#define err(ctx, ...)  devmem_log_cond(ctx, LOG_ERR, __VA_ARGS__)
#define warn(ctx, ...) devmem_log_cond(ctx, LOG_WARNING, __VA_ARGS__)
#define info(ctx, ...) devmem_log_cond(ctx, LOG_INFO, __VA_ARGS__)
#define dbg(ctx, ...)  devmem_log_cond(ctx, LOG_DEBUG, __VA_ARGS__)

/* ctx.c: libndctl, opened on first need */
int devmem_ndctl(struct devmem_ctx *ctx, struct ndctl_ctx **out);

/*
 * ctx.c, module.c: libndctl and libkmod are loaded with dlopen() on first
 * use (by ndctl_new(), kmod_new()). DEVMEM_DL_CALL defines a stand-in for
 * one other function of such a library, with its name and prototype, that
 * looks the real one up in @handle on its first call; devmem_dlsym() aborts
 * naming the function if it is missing (the library's constructor ran, so
 * it is loaded: only a wrong library version can miss one).
 */
void *devmem_dlsym(void *handle, const char *name);
#define DEVMEM_DL_CALL(handle, ret, name, params, args)                        \
	ret name params                                                        \
	{                                                                      \
		static ret(*fn) params;                                        \
		if (!fn)                                                       \
			fn = (ret(*) params)devmem_dlsym(handle, #name);       \
		return fn args;                                                \
	}
#define DEVMEM_DL_CALL_VOID(handle, name, params, args)                        \
	void name params                                                       \
	{                                                                      \
		static void(*fn) params;                                       \
		if (!fn)                                                       \
			fn = (void(*) params)devmem_dlsym(handle, #name);      \
		fn args;                                                       \
	}

/* ctx.c: the control device and the update lock */
int devmem_ctl_fd(struct devmem_ctx *ctx);
void devmem_ctl_reset(struct devmem_ctx *ctx);
int devmem_lock(struct devmem_ctx *ctx);
/* 1: locked (devmem_unlock() it), 0: not allowed (cannot create the lock
 * file: a reader without the rights; nothing printed), or -errno */
int devmem_lock_if_allowed(struct devmem_ctx *ctx);
void devmem_unlock(struct devmem_ctx *ctx);
const char *devmem_uuid_str(const uint8_t uu[16], char buf[37]);
const char *devmem_align_str(uint64_t align, char buf[24]);

/* kernel.c: one wrapper per ioctl; each returns 0 or -errno, logs nothing
 * but debug (callers know which region or namespace it was about) */
int devmem_kern_version(int fd, struct devmem_version *ver);
int devmem_kern_region_claim(struct devmem_ctx *ctx, uint64_t phys,
			     uint64_t size, uint64_t flags, uint64_t *id);
int devmem_kern_region_release(struct devmem_ctx *ctx, uint64_t id);
int devmem_kern_region_info(struct devmem_ctx *ctx, uint64_t id,
			    struct devmem_region_arg *arg);
int devmem_kern_meta_read(struct devmem_ctx *ctx, uint64_t id, uint64_t offset,
			  void *buf, uint64_t len);
int devmem_kern_meta_write(struct devmem_ctx *ctx, uint64_t id, uint64_t offset,
			   const void *buf, uint64_t len);
int devmem_kern_ns_map(struct devmem_ctx *ctx, struct devmem_ns_arg *arg);
int devmem_kern_ns_unmap(struct devmem_ctx *ctx, uint64_t id,
			 unsigned int index);
int devmem_kern_ns_info(struct devmem_ctx *ctx, uint64_t id, unsigned int index,
			struct devmem_ns_arg *arg);

/* meta.c: metadata I/O of a claimed region and the update protocol */
struct devmem_meta {
	enum dm_meta_state state;
	struct dm_meta_report rep;
	struct dm_layout layout; /* newest valid copy when state == VALID */
};
struct devmem_meta *devmem_meta_new(struct devmem_ctx *ctx);
/* the metadata as read: DM_HEAD_SIZE bytes at offset 0, and the
 * DM_META_SIZE bytes of slots a 2.x anchor names (NULL otherwise) */
struct devmem_area {
	unsigned char *head;
	unsigned char *slots;
	uint64_t slots_offset;
};
int devmem_area_read(struct devmem_region *region, struct devmem_area *a);
const unsigned char *devmem_area_slots(const struct devmem_area *a);
void devmem_area_free(struct devmem_area *a);
int devmem_meta_read(struct devmem_region *region, struct devmem_meta *m);
int devmem_meta_update(struct devmem_region *region, struct devmem_meta *m,
		       const struct dm_layout *next);
int devmem_meta_check(struct devmem_region *region, struct dm_layout *l);
int devmem_meta_flush(struct devmem_region *region);

/* region.c */
int devmem_regions_init(struct devmem_ctx *ctx);
void devmem_regions_free(struct devmem_ctx *ctx);
int devmem_regions_join_claims(struct devmem_ctx *ctx);
int devmem_region_refresh(struct devmem_region *region);
int devmem_region_ndr(struct devmem_region *region);
bool devmem_region_is_virtio(struct devmem_region *region);
bool devmem_sysfs_driver(const char *bus_devices, const char *dev, char *drv,
			 size_t len);
int devmem_region_unmap_all(struct devmem_region *region, bool force);
int devmem_region_claim_tmp(struct devmem_region *region, bool *was_enabled,
			    bool quiet);
void devmem_region_unclaim_tmp(struct devmem_region *region, bool was_enabled);

/* namespace.c */
void devmem_region_set_layout(struct devmem_region *region,
			      const struct devmem_meta *m);
void devmem_region_drop_namespaces(struct devmem_region *region);
int devmem_region_load_namespaces(struct devmem_region *region);
int devmem_namespace_map(struct devmem_namespace *ns);
int devmem_region_map_all(struct devmem_region *region);
void devmem_namespaces_free(struct devmem_namespace *list);

#endif /* DEVMEM_PRIVATE_H */
