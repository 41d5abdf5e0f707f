// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Loading the devmem kernel module with libkmod: device_dax first (devmem
 * hands its namespaces to the device-dax bus), then devmem itself from
 * $DEVMEM_KMOD, else the installed "devmem", else the build tree's
 * <dir of the executable>/../kmod/devmem.ko. No udev is assumed: the node
 * /dev/devmem is made by devtmpfs and waited for.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <libkmod.h>

#include "private.h"

#define CTL_WAIT_MS 2000
#define CTL_POLL_MS 10

/*
 * libkmod is loaded with dlopen() when kmod_new() is first called, not at
 * exec: it pulls in libcrypto, zstd and lzma, which every process start
 * would pay for (see the libndctl calls in ctx.c), and most commands load
 * no module. These stand in for the libkmod functions used here (the same
 * names and prototypes as <libkmod.h>); only kmod_new() can find libkmod
 * missing (it returns NULL then, as on any failure).
 */
#define KMOD_SONAME "libkmod.so.2"

static void *kmod_dl;

#define KMOD_CALL(ret, name, params, args)                                     \
	DEVMEM_DL_CALL(kmod_dl, ret, name, params, args)

struct kmod_ctx *kmod_new(const char *dirname, const char *const *config_paths)
{
	static struct kmod_ctx *(*fn)(const char *, const char *const *);

	if (!fn) {
		if (!kmod_dl)
			kmod_dl = dlopen(KMOD_SONAME, RTLD_NOW | RTLD_LOCAL);
		if (!kmod_dl)
			return NULL;
		fn = (struct kmod_ctx * (*)(const char *, const char *const *))
			devmem_dlsym(kmod_dl, "kmod_new");
	}
	return fn(dirname, config_paths);
}

/* clang-format off */
KMOD_CALL(struct kmod_ctx *, kmod_unref, (struct kmod_ctx *c), (c))
KMOD_CALL(struct kmod_list *, kmod_list_next,
	  (const struct kmod_list *list, const struct kmod_list *curr),
	  (list, curr))
KMOD_CALL(struct kmod_module *, kmod_module_get_module,
	  (const struct kmod_list *entry), (entry))
KMOD_CALL(const char *, kmod_module_get_name, (const struct kmod_module *m),
	  (m))
KMOD_CALL(int, kmod_module_insert_module,
	  (struct kmod_module *m, unsigned int flags, const char *options),
	  (m, flags, options))
KMOD_CALL(int, kmod_module_new_from_lookup,
	  (struct kmod_ctx *c, const char *alias, struct kmod_list **list),
	  (c, alias, list))
KMOD_CALL(int, kmod_module_new_from_path,
	  (struct kmod_ctx *c, const char *path, struct kmod_module **m),
	  (c, path, m))
KMOD_CALL(int, kmod_module_probe_insert_module,
	  (struct kmod_module *m, unsigned int flags, const char *extra_options,
	   int (*run_install)(struct kmod_module *m, const char *cmdline,
			      void *data),
	   const void *data,
	   void (*print_action)(struct kmod_module *m, bool install,
				const char *options)),
	  (m, flags, extra_options, run_install, data, print_action))
KMOD_CALL(struct kmod_module *, kmod_module_unref, (struct kmod_module *m),
	  (m))
KMOD_CALL(int, kmod_module_unref_list, (struct kmod_list *list), (list))
/* clang-format on */

/**
 * devmem_module_is_loaded - whether the devmem module's device is present
 * @ctx: context
 *
 * Returns 1 when DEVMEM_CTL_PATH exists, 0 when not.
 */
int devmem_module_is_loaded(struct devmem_ctx *ctx)
{
	struct stat st;

	(void)ctx;
	return stat(DEVMEM_CTL_PATH, &st) == 0;
}

/* Insert module @name and its dependencies; -ENOENT if it is unknown. */
static int insert_by_name(struct devmem_ctx *ctx, struct kmod_ctx *kctx,
			  const char *name)
{
	struct kmod_list *list = NULL, *l;
	int rc;

	rc = kmod_module_new_from_lookup(kctx, name, &list);
	if (rc < 0) {
		err(ctx, "%s: module lookup failed: %s\n", name, strerror(-rc));
		return rc;
	}
	if (!list)
		return -ENOENT;
	kmod_list_foreach(l, list)
	{
		struct kmod_module *mod = kmod_module_get_module(l);

		rc = kmod_module_probe_insert_module(mod, 0, NULL, NULL, NULL,
						     NULL);
		if (rc == -EEXIST)
			rc = 0;
		if (rc < 0)
			err(ctx, "%s: cannot load module %s: %s\n", name,
			    kmod_module_get_name(mod), strerror(-rc));
		else
			dbg(ctx, "%s: module %s loaded\n", name,
			    kmod_module_get_name(mod));
		kmod_module_unref(mod);
		if (rc < 0)
			break;
	}
	kmod_module_unref_list(list);
	return rc;
}

/* The result of inserting the module file @path: loaded already is fine. */
static int inserted(struct devmem_ctx *ctx, const char *path, int rc)
{
	if (rc == -EEXIST)
		rc = 0;
	if (rc < 0)
		err(ctx, "%s: cannot load the devmem module: %s\n", path,
		    strerror(-rc));
	else
		dbg(ctx, "%s: loaded\n", path);
	return rc;
}

/*
 * Insert the module file @path as libkmod's kmod_module_insert_module() does
 * with no options when the file is not compressed: finit_module(fd, "", 0).
 * Returns 1 when the file is not a plain ELF module (compressed: libkmod
 * decompresses it), else 0 or -errno (logged as insert_by_path() logs).
 */
static int insert_file_direct(struct devmem_ctx *ctx, const char *path)
{
	unsigned char magic[4];
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		err(ctx, "%s: cannot open the devmem module: %s\n", path,
		    strerror(-rc));
		return rc;
	}
	if (pread(fd, magic, sizeof(magic), 0) != (ssize_t)sizeof(magic) ||
	    memcmp(magic, "\177ELF", 4) != 0) {
		close(fd);
		return 1;
	}
	rc = syscall(SYS_finit_module, fd, "", 0) == 0 ? 0 : -errno;
	close(fd);
	return inserted(ctx, path, rc);
}

static int insert_by_path(struct devmem_ctx *ctx, struct kmod_ctx *kctx,
			  const char *path)
{
	struct kmod_module *mod;
	int rc;

	rc = insert_file_direct(ctx, path);
	if (rc <= 0)
		return rc;
	rc = kmod_module_new_from_path(kctx, path, &mod);
	if (rc < 0) {
		err(ctx, "%s: cannot open the devmem module: %s\n", path,
		    strerror(-rc));
		return rc;
	}
	rc = inserted(ctx, path, kmod_module_insert_module(mod, 0, NULL));
	kmod_module_unref(mod);
	return rc;
}

/* <dir of /proc/self/exe>/../kmod/devmem.ko */
static int build_tree_path(struct devmem_ctx *ctx, char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0) {
		int rc = -errno;

		err(ctx, "/proc/self/exe: cannot read: %s\n", strerror(-rc));
		return rc;
	}
	exe[n] = '\0';
	if ((size_t)snprintf(buf, len, "%s/../kmod/devmem.ko", dirname(exe)) >=
	    len)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * Whether module @name is loaded and initialised: /sys/module/NAME/initstate
 * reads "live". A built-in module has no initstate (false then: the lookup
 * finds it as built-in, as before).
 */
static bool module_is_live(const char *name)
{
	char path[PATH_MAX], state[16] = "";
	FILE *f;
	bool live;

	if ((size_t)snprintf(path, sizeof(path), "/sys/module/%s/initstate",
			     name) >= sizeof(path))
		return false;
	f = fopen(path, "re");
	if (!f)
		return false;
	live = fgets(state, sizeof(state), f) && strcmp(state, "live\n") == 0;
	fclose(f);
	return live;
}

/*
 * A libkmod context. Inserting a module file by path reads no modprobe
 * configuration (no options, no install commands: kmod_module_insert_module()
 * with no options), so that context gets no configuration directories:
 * parsing them would only cost time. (A plain .ko given by path does not
 * get here at all when device_dax is loaded: insert_file_direct().) A
 * lookup by name, which applies the configuration, gets the default
 * directories.
 */
static struct kmod_ctx *kmod_ctx_new(bool by_path)
{
	static const char *const no_config[] = {NULL};

	return kmod_new(NULL, by_path ? no_config : NULL);
}

static int insert_devmem(struct devmem_ctx *ctx, struct kmod_ctx *kctx)
{
	const char *env = getenv("DEVMEM_KMOD");
	char path[PATH_MAX];
	int rc;

	if (env && *env)
		return insert_by_path(ctx, kctx, env);
	rc = insert_by_name(ctx, kctx, "devmem");
	if (rc != -ENOENT)
		return rc;
	rc = build_tree_path(ctx, path, sizeof(path));
	if (rc < 0)
		return rc;
	if (access(path, R_OK) != 0) {
		err(ctx,
		    "devmem: the module is not installed and %s does "
		    "not exist; build it or set DEVMEM_KMOD to its path\n",
		    path);
		return -ENOENT;
	}
	return insert_by_path(ctx, kctx, path);
}

static int wait_for_ctl(struct devmem_ctx *ctx)
{
	const struct timespec tick = {0, CTL_POLL_MS * 1000000L};
	int waited;

	for (waited = 0; waited <= CTL_WAIT_MS; waited += CTL_POLL_MS) {
		if (devmem_module_is_loaded(ctx))
			return 0;
		nanosleep(&tick, NULL);
	}
	err(ctx,
	    "%s: did not appear within %d ms of loading devmem; is "
	    "devtmpfs mounted on /dev?\n",
	    DEVMEM_CTL_PATH, CTL_WAIT_MS);
	return -ETIMEDOUT;
}

/**
 * devmem_module_load - load the devmem module unless it is loaded
 * @ctx: context
 *
 * Does nothing when DEVMEM_CTL_PATH exists. Otherwise inserts device_dax
 * (by name, with its dependencies) unless it is loaded already, then
 * devmem: from the path in the environment variable DEVMEM_KMOD if set,
 * else the installed module "devmem", else
 * <directory of the running executable>/../kmod/devmem.ko.
 * Waits up to 2 s for DEVMEM_CTL_PATH to appear and checks the module's
 * ABI version.
 *
 * Returns 0, or a negative errno (the failing module is named in the log).
 */
int devmem_module_load(struct devmem_ctx *ctx)
{
	struct kmod_ctx *kctx;
	bool was_open, dax_live;
	const char *env;
	int rc;

	if (!ctx)
		return -EINVAL;
	/*
	 * /dev/devmem already open: the scan that opened it has joined the
	 * claims and read the layouts through it, so there is nothing to
	 * re-read (every operation re-reads its region under the update lock
	 * anyway). Saves a second pass over every region id and every claimed
	 * region's metadata area on each 'devmemctl assemble'.
	 */
	was_open = ctx->ctl_fd >= 0;
	if (devmem_module_is_loaded(ctx))
		goto check;
	/*
	 * device_dax loaded already (at boot the nvdimm stack usually is):
	 * no lookup. Then the only module left is devmem; by path it needs no
	 * modprobe configuration (see kmod_ctx_new()).
	 */
	dax_live = module_is_live("device_dax");
	env = getenv("DEVMEM_KMOD");
	if (dax_live && env && *env) {
		/* nothing to look up: no libkmod at all for a plain .ko */
		rc = insert_file_direct(ctx, env);
		if (rc <= 0) {
			dbg(ctx, "device_dax: loaded already\n");
			goto inserted;
		}
	}
	kctx = kmod_ctx_new(dax_live && env && *env);
	if (!kctx) {
		err(ctx, "libkmod: cannot initialise\n");
		return -ENOMEM;
	}
	rc = 0;
	if (dax_live)
		dbg(ctx, "device_dax: loaded already\n");
	else
		rc = insert_by_name(ctx, kctx, "device_dax");
	if (rc == -ENOENT)
		err(ctx, "device_dax: no such module for this kernel\n");
	if (rc == 0)
		rc = insert_devmem(ctx, kctx);
	kmod_unref(kctx);
inserted:
	if (rc < 0)
		return rc;
	rc = wait_for_ctl(ctx);
	if (rc < 0)
		return rc;
check:
	if (ctx->ctl_fd < 0)
		devmem_ctl_reset(ctx); /* forget "not loaded" */
	rc = devmem_ctl_fd(ctx);
	if (rc < 0) {
		if (rc == -ENODEV)
			err(ctx, "%s: vanished after loading devmem\n",
			    DEVMEM_CTL_PATH);
		return rc;
	}
	if (ctx->regions_init && !was_open)
		return devmem_regions_join_claims(ctx);
	return 0;
}
