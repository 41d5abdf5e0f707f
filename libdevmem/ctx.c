// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The library context: references, user data, logging, the module's control
 * device and the lock that serialises updates across processes.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <ndctl/libndctl.h>
#include <uuid/uuid.h>

#include "private.h"

void devmem_log(struct devmem_ctx *ctx, int priority, const char *file,
		int line, const char *fn, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	ctx->log_fn(ctx, priority, file, line, fn, format, args);
	va_end(args);
}

static void log_stderr(struct devmem_ctx *ctx, int priority, const char *file,
		       int line, const char *fn, const char *format,
		       va_list args)
{
	(void)ctx;
	(void)priority;
	(void)file;
	(void)line;
	fprintf(stderr, "libdevmem: %s: ", fn);
	vfprintf(stderr, format, args);
}

/* DEVMEM_LOG: err, warning, info, debug or a syslog priority number */
static int log_priority_from_env(void)
{
	static const struct {
		const char *name;
		int prio;
	} names[] = {
		{"err", LOG_ERR},      {"error", LOG_ERR},
		{"warn", LOG_WARNING}, {"warning", LOG_WARNING},
		{"info", LOG_INFO},    {"debug", LOG_DEBUG},
	};
	const char *env = getenv("DEVMEM_LOG");
	char *end;
	long prio;
	size_t i;

	if (!env || !*env)
		return LOG_WARNING;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(env, names[i].name) == 0)
			return names[i].prio;
	prio = strtol(env, &end, 10);
	if (*end == '\0' && prio >= 0 && prio <= LOG_DEBUG)
		return (int)prio;
	return LOG_WARNING;
}

/*
 * libndctl is loaded with dlopen() when ndctl_new() is first called, not by
 * the dynamic linker at exec: libndctl pulls in libdaxctl, libudev, libkmod
 * and, through libkmod, libcrypto, zstd and lzma, which a process start pays
 * for in relocations and (first after a boot) reads over slow storage, even
 * when, as 'devmemctl assemble' on a boot or 'devmemctl list', it never asks
 * libndctl anything. These definitions stand in for the libndctl functions
 * libdevmem calls (the same names and prototypes as <ndctl/libndctl.h>; each
 * looks its libndctl function up once). Every other one receives an object
 * that ndctl_new() made, so only ndctl_new() can find libndctl missing.
 */
#define NDCTL_SONAME "libndctl.so.6"

static void *ndctl_dl;

/* Look @name up in @handle, a dlopen()ed library; abort if absent. */
void *devmem_dlsym(void *handle, const char *name)
{
	void *sym = handle ? dlsym(handle, name) : NULL;

	if (!sym) {
		fprintf(stderr, "libdevmem: %s: %s\n", name,
			handle ? dlerror() : "its library is not loaded");
		abort();
	}
	return sym;
}

#define NDCTL_CALL(ret, name, params, args)                                    \
	DEVMEM_DL_CALL(ndctl_dl, ret, name, params, args)
#define NDCTL_CALL_VOID(name, params, args)                                    \
	DEVMEM_DL_CALL_VOID(ndctl_dl, name, params, args)

int ndctl_new(struct ndctl_ctx **ctx)
{
	static int (*fn)(struct ndctl_ctx * *ctx);

	if (!fn) {
		if (!ndctl_dl)
			ndctl_dl = dlopen(NDCTL_SONAME, RTLD_NOW | RTLD_LOCAL);
		if (!ndctl_dl)
			return -ELIBACC;
		fn = (int (*)(struct ndctl_ctx **))devmem_dlsym(ndctl_dl,
								"ndctl_new");
	}
	return fn(ctx);
}

/* clang-format off */
NDCTL_CALL(struct ndctl_ctx *, ndctl_unref, (struct ndctl_ctx *c), (c))
NDCTL_CALL(void *, ndctl_get_userdata, (struct ndctl_ctx *c), (c))
NDCTL_CALL_VOID(ndctl_set_userdata, (struct ndctl_ctx *c, void *d), (c, d))
NDCTL_CALL_VOID(ndctl_set_log_priority, (struct ndctl_ctx *c, int p), (c, p))
NDCTL_CALL_VOID(ndctl_set_log_fn, (struct ndctl_ctx *c,
	void (*f)(struct ndctl_ctx *c, int priority, const char *file,
		  int line, const char *fn, const char *format, va_list args)),
	(c, f))
NDCTL_CALL(struct ndctl_bus *, ndctl_bus_get_first, (struct ndctl_ctx *c), (c))
NDCTL_CALL(struct ndctl_bus *, ndctl_bus_get_next, (struct ndctl_bus *b), (b))
NDCTL_CALL(struct ndctl_region *, ndctl_region_get_first,
	   (struct ndctl_bus *b), (b))
NDCTL_CALL(struct ndctl_region *, ndctl_region_get_next,
	   (struct ndctl_region *r), (r))
NDCTL_CALL(const char *, ndctl_region_get_devname,
	   (struct ndctl_region *r), (r))
NDCTL_CALL(int, ndctl_region_is_enabled, (struct ndctl_region *r), (r))
NDCTL_CALL(int, ndctl_region_enable, (struct ndctl_region *r), (r))
NDCTL_CALL(int, ndctl_region_disable_invalidate, (struct ndctl_region *r),
	   (r))
NDCTL_CALL(int, ndctl_region_deep_flush, (struct ndctl_region *r), (r))
NDCTL_CALL(struct ndctl_namespace *, ndctl_namespace_get_first,
	   (struct ndctl_region *r), (r))
NDCTL_CALL(struct ndctl_namespace *, ndctl_namespace_get_next,
	   (struct ndctl_namespace *n), (n))
NDCTL_CALL(const char *, ndctl_namespace_get_devname,
	   (struct ndctl_namespace *n), (n))
NDCTL_CALL(enum ndctl_namespace_mode, ndctl_namespace_get_mode,
	   (struct ndctl_namespace *n), (n))
NDCTL_CALL(unsigned long long, ndctl_namespace_get_size,
	   (struct ndctl_namespace *n), (n))
NDCTL_CALL(unsigned int, ndctl_namespace_get_type,
	   (struct ndctl_namespace *n), (n))
NDCTL_CALL(int, ndctl_namespace_is_enabled, (struct ndctl_namespace *n), (n))
NDCTL_CALL(int, ndctl_namespace_enable, (struct ndctl_namespace *n), (n))
NDCTL_CALL(int, ndctl_namespace_disable_safe, (struct ndctl_namespace *n),
	   (n))
NDCTL_CALL(int, ndctl_namespace_delete, (struct ndctl_namespace *n), (n))
/* clang-format on */

/* libndctl's messages go through our log function at our priority */
static void log_ndctl(struct ndctl_ctx *nctx, int priority, const char *file,
		      int line, const char *fn, const char *format,
		      va_list args)
{
	struct devmem_ctx *ctx = ndctl_get_userdata(nctx);

	if (ctx && ctx->log_priority >= priority)
		ctx->log_fn(ctx, priority, file, line, fn, format, args);
}

/**
 * devmem_new - make a library context
 * @ctx: returns the new context, with one reference
 *
 * Reads the log priority from the environment variable DEVMEM_LOG (err,
 * warning, info or debug; warning when unset). Touches neither libndctl nor
 * the devmem module: libndctl is opened when an operation first needs it
 * (region discovery reads sysfs), /dev/devmem on first need.
 *
 * Returns 0, or -ENOMEM.
 */
int devmem_new(struct devmem_ctx **ctx)
{
	struct devmem_ctx *c;

	if (!ctx)
		return -EINVAL;
	*ctx = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->refcount = 1;
	c->log_fn = log_stderr;
	c->log_priority = log_priority_from_env();
	c->ctl_fd = -1;
	c->lock_fd = -1;
	dbg(c, "context %p created, log priority %d\n", (void *)c,
	    c->log_priority);
	*ctx = c;
	return 0;
}

/*
 * The libndctl context, opened on first use: ndctl_new() parses the modprobe
 * configuration twice (its own and libdaxctl's libkmod context), which a
 * command that never asks libndctl anything (assemble on a boot where the
 * region is taken through sysfs, list) need not pay. Returns 0 with *@out
 * set, or the error of ndctl_new() (logged once, and remembered).
 */
int devmem_ndctl(struct devmem_ctx *ctx, struct ndctl_ctx **out)
{
	int rc;

	*out = ctx->ndctl;
	if (ctx->ndctl)
		return 0;
	if (ctx->ndctl_err)
		return ctx->ndctl_err;
	rc = ndctl_new(&ctx->ndctl);
	if (rc < 0) {
		err(ctx, "libndctl: cannot initialise: %s\n", strerror(-rc));
		ctx->ndctl = NULL;
		ctx->ndctl_err = rc;
		return rc;
	}
	ndctl_set_userdata(ctx->ndctl, ctx);
	ndctl_set_log_fn(ctx->ndctl, log_ndctl);
	ndctl_set_log_priority(ctx->ndctl, ctx->log_priority);
	*out = ctx->ndctl;
	return 0;
}

/**
 * devmem_ref - take a reference on a context
 * @ctx: context, may be NULL
 *
 * Returns @ctx.
 */
struct devmem_ctx *devmem_ref(struct devmem_ctx *ctx)
{
	if (ctx)
		ctx->refcount++;
	return ctx;
}

/**
 * devmem_unref - drop a reference on a context
 * @ctx: context, may be NULL
 *
 * The last reference frees the context and every region and namespace
 * object obtained from it, and closes /dev/devmem and the lock file.
 *
 * Returns @ctx while references remain, NULL once it is freed.
 */
struct devmem_ctx *devmem_unref(struct devmem_ctx *ctx)
{
	if (!ctx)
		return NULL;
	if (--ctx->refcount > 0)
		return ctx;
	devmem_regions_free(ctx);
	devmem_namespaces_free(ctx->dead);
	if (ctx->ctl_fd >= 0)
		close(ctx->ctl_fd);
	if (ctx->lock_fd >= 0)
		close(ctx->lock_fd);
	if (ctx->ndctl)
		ndctl_unref(ctx->ndctl);
	free(ctx);
	return NULL;
}

/**
 * devmem_set_userdata - attach caller data to a context
 * @ctx: context
 * @userdata: anything; the library never looks at it
 */
void devmem_set_userdata(struct devmem_ctx *ctx, void *userdata)
{
	if (ctx)
		ctx->userdata = userdata;
}

/**
 * devmem_get_userdata - the data given to devmem_set_userdata()
 * @ctx: context
 *
 * Returns the pointer, or NULL if none was set.
 */
void *devmem_get_userdata(struct devmem_ctx *ctx)
{
	return ctx ? ctx->userdata : NULL;
}

/**
 * devmem_set_log_fn - route the library's messages
 * @ctx: context
 * @log_fn: called with a syslog priority (LOG_ERR, LOG_WARNING, LOG_INFO,
 *	LOG_DEBUG), the source position and a printf format whose text ends
 *	with a newline; NULL restores the default, which prints to stderr
 *
 * Messages from libndctl are passed on to @log_fn too.
 */
void devmem_set_log_fn(struct devmem_ctx *ctx,
		       void (*log_fn)(struct devmem_ctx *ctx, int priority,
				      const char *file, int line,
				      const char *fn, const char *format,
				      va_list args))
{
	if (!ctx)
		return;
	ctx->log_fn = log_fn ? log_fn : log_stderr;
}

/**
 * devmem_get_log_priority - the highest priority number that is logged
 * @ctx: context
 *
 * Returns a syslog priority (LOG_ERR = 3 ... LOG_DEBUG = 7).
 */
int devmem_get_log_priority(struct devmem_ctx *ctx)
{
	return ctx ? ctx->log_priority : LOG_ERR;
}

/**
 * devmem_set_log_priority - set which messages are logged
 * @ctx: context
 * @priority: messages with a priority number up to this one are logged
 */
void devmem_set_log_priority(struct devmem_ctx *ctx, int priority)
{
	if (!ctx)
		return;
	ctx->log_priority = priority;
	if (ctx->ndctl)
		ndctl_set_log_priority(ctx->ndctl, priority);
}

/* Forget a failed or stale open of the control device (after a load). */
void devmem_ctl_reset(struct devmem_ctx *ctx)
{
	if (ctx->ctl_fd >= 0)
		close(ctx->ctl_fd);
	ctx->ctl_fd = -1;
	ctx->ctl_err = 0;
}

static int ctl_open(struct devmem_ctx *ctx)
{
	struct devmem_version ver;
	int fd, rc;

	fd = open(DEVMEM_CTL_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		if (rc == -ENOENT) {
			dbg(ctx,
			    "%s: not present: the devmem module is not "
			    "loaded\n",
			    DEVMEM_CTL_PATH);
			return -ENODEV;
		}
		err(ctx, "%s: cannot open: %s\n", DEVMEM_CTL_PATH,
		    strerror(-rc));
		return rc;
	}
	rc = devmem_kern_version(fd, &ver);
	if (rc < 0) {
		err(ctx,
		    "%s: DEVMEM_IOC_VERSION failed: %s; is it the devmem "
		    "module's device?\n",
		    DEVMEM_CTL_PATH, strerror(-rc));
		close(fd);
		return rc;
	}
	if (ver.abi != DEVMEM_ABI_VERSION) {
		err(ctx,
		    "%s: the devmem module speaks ABI version %llu, "
		    "libdevmem speaks %llu; install matching versions\n",
		    DEVMEM_CTL_PATH, (unsigned long long)ver.abi,
		    (unsigned long long)DEVMEM_ABI_VERSION);
		close(fd);
		return -EPROTONOSUPPORT;
	}
	if (ver.max_regions == 0 || ver.max_regions > 4096 ||
	    ver.max_namespaces == 0) {
		err(ctx,
		    "%s: implausible limits from the module: %llu regions, "
		    "%llu namespaces\n",
		    DEVMEM_CTL_PATH, (unsigned long long)ver.max_regions,
		    (unsigned long long)ver.max_namespaces);
		close(fd);
		return -EPROTO;
	}
	dbg(ctx, "%s: ABI %llu, %llu regions, %llu namespaces per region\n",
	    DEVMEM_CTL_PATH, (unsigned long long)ver.abi,
	    (unsigned long long)ver.max_regions,
	    (unsigned long long)ver.max_namespaces);
	ctx->ver = ver;
	ctx->ctl_fd = fd;
	return 0;
}

/*
 * The open control device, opened and version-checked on first use.
 * Returns the fd, -ENODEV when the module is not loaded (logged at debug
 * only: callers that need the module say so), or another -errno.
 */
int devmem_ctl_fd(struct devmem_ctx *ctx)
{
	int rc;

	if (ctx->ctl_fd >= 0)
		return ctx->ctl_fd;
	if (ctx->ctl_err)
		return ctx->ctl_err;
	rc = ctl_open(ctx);
	if (rc < 0) {
		ctx->ctl_err = rc;
		return rc;
	}
	return ctx->ctl_fd;
}

/*
 * Take the update lock (nests within one context). Held across the whole
 * read-modify-write of a region's metadata and the ioctls that go with it.
 */
static int lock_take(struct devmem_ctx *ctx, bool may_skip)
{
	int rc;

	if (ctx->lock_depth > 0) {
		ctx->lock_depth++;
		return 0;
	}
	if (ctx->lock_fd < 0) {
		ctx->lock_fd = open(DEVMEM_LOCK_PATH,
				    O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (ctx->lock_fd < 0) {
			rc = -errno;
			if (may_skip && (rc == -EACCES || rc == -EROFS ||
					 rc == -ENOENT || rc == -EPERM)) {
				dbg(ctx, "%s: %s; reading without the lock\n",
				    DEVMEM_LOCK_PATH, strerror(-rc));
				return 1;
			}
			err(ctx, "%s: cannot open the update lock: %s\n",
			    DEVMEM_LOCK_PATH, strerror(-rc));
			return rc;
		}
	}
	while (flock(ctx->lock_fd, LOCK_EX) < 0) {
		rc = -errno;
		if (rc == -EINTR)
			continue;
		err(ctx, "%s: cannot lock: %s\n", DEVMEM_LOCK_PATH,
		    strerror(-rc));
		return rc;
	}
	ctx->lock_depth = 1;
	return 0;
}

int devmem_lock(struct devmem_ctx *ctx)
{
	return lock_take(ctx, false);
}

int devmem_lock_if_allowed(struct devmem_ctx *ctx)
{
	int rc = lock_take(ctx, true);

	return rc < 0 ? rc : !rc;
}

void devmem_unlock(struct devmem_ctx *ctx)
{
	if (ctx->lock_depth <= 0 || --ctx->lock_depth > 0)
		return;
	flock(ctx->lock_fd, LOCK_UN);
}

const char *devmem_uuid_str(const uint8_t uu[16], char buf[37])
{
	uuid_unparse_lower(uu, buf);
	return buf;
}

/* "4K", "2M", or the number of bytes for anything else */
const char *devmem_align_str(uint64_t align, char buf[24])
{
	if (align == DM_SUBSECTION)
		return "2M";
	if (align == DM_PAGE)
		return "4K";
	snprintf(buf, 24, "%llu", (unsigned long long)align);
	return buf;
}
