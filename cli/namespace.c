// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devmemctl create-namespace, devmemctl destroy-namespace.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <uuid/uuid.h>

#include "devmemctl.h"
#include "format.h"

#define SZ_4K 0x1000ULL
#define SZ_2M 0x200000ULL

struct create_opts {
	const char *region, *size, *mode, *align, *map, *name, *uuid;
};

/* the validated values; 0 / false: the library's default */
struct create_vals {
	unsigned long long size;
	unsigned long align;
	enum devmem_ns_mode mode;
	enum devmem_ns_map map;
	uuid_t uuid;
	bool have_uuid;
};

static const struct cli_opt create_opts[] = {
	OPT_REGION("the claimed region to create it in (region0 or 0)"),
	{"size", 's', required_argument, "SIZE",
	 "bytes of data, with an optional K, M, G or T suffix (binary); "
	 "default: the largest that fits"},
	{"mode", 'm', required_argument, "MODE",
	 "devdax (a /dev/daxN.M character device, the default) or fsdax (a "
	 "/dev/devmemN.M block device for mount -o dax)"},
	{"align", 'a', required_argument, "ALIGN",
	 "4K or 2M; default: 2M if SIZE is a multiple of 2M, else 4K"},
	{"map", 'M', required_argument, "MAP",
	 "where struct pages live: dev (in the device, the default) or mem"},
	{"name", 'n', required_argument, "NAME",
	 "1-63 of A-Z a-z 0-9 . _ -, unique; default: ns<index>"},
	{"uuid", 'u', required_argument, "UUID", "default: a new random UUID"},
	OPT_VERBOSE,
	OPT_HELP,
	OPT_END,
};

static const struct cli_cmd create_cmd = {
	.name = "create-namespace",
	.synopsis = "-r REGION [-s SIZE] [-m devdax|fsdax] [-a 4K|2M] "
		    "[-M dev|mem] [-n NAME] [-u UUID] [-v]",
	.summary = "Create a devdax or fsdax namespace in a claimed region and "
		   "map it.",
	.opts = create_opts,
	.argname = "",
	.min_args = 0,
	.max_args = 0,
};

static int create_opt(void *priv, int key, const char *arg)
{
	struct create_opts *o = priv;

	switch (key) {
	case 'r':
		o->region = arg;
		break;
	case 's':
		o->size = arg;
		break;
	case 'm':
		o->mode = arg;
		break;
	case 'a':
		o->align = arg;
		break;
	case 'M':
		o->map = arg;
		break;
	case 'n':
		o->name = arg;
		break;
	case 'u':
		o->uuid = arg;
		break;
	default:
		return 1;
	}
	return 0;
}

static int check_size(const char *s, unsigned long long *v)
{
	int rc = cli_parse_size(s, v);

	if (rc == -ERANGE)
		cli_error("invalid size '%s': too large", s);
	else if (rc < 0)
		cli_error("invalid size '%s': not a number of bytes with an "
			  "optional K, M, G or T suffix",
			  s);
	else if (*v == 0)
		cli_error("invalid size '%s': must not be 0; leave out -s for "
			  "the largest free size",
			  s);
	else if (*v % SZ_4K)
		cli_error("invalid size '%s': not a multiple of 4096", s);
	else
		return 0;
	return 1;
}

static int check_name(const char *name)
{
	uuid_t uu;

	if (dm_name_valid(name) < 0) {
		cli_error("invalid name '%s': use 1 to %u characters of "
			  "A-Z a-z 0-9 . _ -",
			  name, DM_NAME_MAX - 1);
		return 1;
	}
	if (uuid_parse(name, uu) == 0) {
		cli_error("invalid name '%s': a name must not look like a UUID",
			  name);
		return 1;
	}
	return 0;
}

/* Every check that needs no kernel; each error is reported. */
static int create_validate(const struct create_opts *o, struct create_vals *v)
{
	unsigned long long a;
	int errors = 0, size_ok = 0;

	if (!o->region) {
		cli_error("missing option -r/--region");
		errors++;
	}
	if (o->size) {
		size_ok = !check_size(o->size, &v->size);
		errors += !size_ok;
	}
	if (o->align) {
		if (cli_parse_size(o->align, &a) < 0 ||
		    (a != SZ_4K && a != SZ_2M)) {
			cli_error("invalid align '%s': must be 4K or 2M",
				  o->align);
			errors++;
		} else {
			v->align = (unsigned long)a;
		}
	}
	if (size_ok && v->align == SZ_2M && v->size % SZ_2M) {
		cli_error(
			"invalid size '%s': not a multiple of 2M, which align "
			"2M needs; use -a 4K",
			o->size);
		errors++;
	}
	if (o->mode) {
		if (strcmp(o->mode, "devdax") == 0) {
			v->mode = DEVMEM_NS_MODE_DEVDAX;
		} else if (strcmp(o->mode, "fsdax") == 0) {
			v->mode = DEVMEM_NS_MODE_FSDAX;
		} else {
			cli_error("invalid mode '%s': must be devdax or fsdax",
				  o->mode);
			errors++;
		}
	}
	if (o->map) {
		if (strcmp(o->map, "dev") == 0) {
			v->map = DEVMEM_NS_MAP_DEV;
		} else if (strcmp(o->map, "mem") == 0) {
			v->map = DEVMEM_NS_MAP_MEM;
		} else {
			cli_error("invalid map '%s': must be dev or mem",
				  o->map);
			errors++;
		}
	}
	if (o->name)
		errors += check_name(o->name);
	if (o->uuid) {
		if (uuid_parse(o->uuid, v->uuid) < 0) {
			cli_error("invalid uuid '%s': not a UUID", o->uuid);
			errors++;
		} else if (uuid_is_null(v->uuid)) {
			cli_error("invalid uuid '%s': the nil UUID is not "
				  "allowed",
				  o->uuid);
			errors++;
		} else {
			v->have_uuid = true;
		}
	}
	return errors;
}

static int create_spec(struct cli *cli, const struct create_opts *o,
		       const struct create_vals *v,
		       struct devmem_ns_spec **spec)
{
	struct devmem_ns_spec *s;

	if (devmem_ns_spec_new(cli->ctx, &s) < 0)
		return -ENOMEM;
	if ((o->size && devmem_ns_spec_set_size(s, v->size) < 0) ||
	    (v->align && devmem_ns_spec_set_align(s, v->align) < 0) ||
	    (v->mode && devmem_ns_spec_set_mode(s, v->mode) < 0) ||
	    (v->map && devmem_ns_spec_set_map(s, v->map) < 0) ||
	    (o->name && devmem_ns_spec_set_name(s, o->name) < 0) ||
	    (v->have_uuid && devmem_ns_spec_set_uuid(s, v->uuid) < 0)) {
		devmem_ns_spec_free(s);
		return -EINVAL;
	}
	*spec = s;
	return 0;
}

int cmd_create_namespace(int argc, char **argv, struct cli *cli)
{
	struct create_opts o = {0};
	struct create_vals v = {0};
	struct devmem_namespace *ns;
	struct devmem_ns_spec *spec;
	struct devmem_region *r;
	struct json_object *j;
	int rc;

	rc = cli_parse(cli, &create_cmd, argc, argv, create_opt, &o);
	if (rc != CLI_GO)
		return rc;
	if (create_validate(&o, &v)) {
		cli_usage(&create_cmd);
		return CLI_USAGE;
	}
	if (cli_scan(cli) != CLI_OK)
		return CLI_FAIL;
	r = cli_find_region(cli, o.region);
	if (!r)
		return CLI_FAIL;
	if (!devmem_region_is_claimed(r)) {
		cli_error("%s: not claimed by devmem; run 'devmemctl claim %s' "
			  "(new, empty layout) or 'devmemctl assemble' "
			  "(layout already on media)",
			  devmem_region_get_devname(r),
			  devmem_region_get_devname(r));
		return CLI_FAIL;
	}
	if (create_spec(cli, &o, &v, &spec) < 0)
		return CLI_FAIL;
	rc = devmem_namespace_create(r, spec, &ns);
	devmem_ns_spec_free(spec);
	if (rc < 0)
		return CLI_FAIL;
	j = cli_namespace_to_json(ns, 0);
	cli_print_json(j);
	json_object_put(j);
	return CLI_OK;
}

struct destroy_opts {
	bool force;
};

static const struct cli_opt destroy_opts[] = {
	OPT_FORCE("destroy an active namespace too: its mappings are revoked "
		  "(processes still using it get SIGBUS)"),
	OPT_VERBOSE,
	OPT_HELP,
	OPT_END,
};

static const struct cli_cmd destroy_cmd = {
	.name = "destroy-namespace",
	.synopsis = "NAME|UUID... [-f] [-v]",
	.summary = "Remove namespaces from their regions' layouts; the data in "
		   "them is lost.",
	.opts = destroy_opts,
	.argname = "NAME|UUID",
	.min_args = 1,
	.max_args = -1,
};

static int destroy_opt(void *priv, int key, const char *arg)
{
	struct destroy_opts *o = priv;

	(void)arg;
	if (key == 'f')
		o->force = true;
	return 0;
}

/* By name first, then by UUID, in every claimed region. */
static struct devmem_namespace *find_namespace(struct cli *cli, const char *id)
{
	struct devmem_namespace *ns;
	struct devmem_region *r;
	unsigned char uu[16];
	uuid_t want;

	devmem_region_foreach (cli->ctx, r) {
		devmem_namespace_foreach (r, ns) {
			if (strcmp(devmem_namespace_get_name(ns), id) == 0)
				return ns;
		}
	}
	if (uuid_parse(id, want) < 0)
		return NULL;
	devmem_region_foreach (cli->ctx, r) {
		devmem_namespace_foreach (r, ns) {
			devmem_namespace_get_uuid(ns, uu);
			if (uuid_compare(uu, want) == 0)
				return ns;
		}
	}
	return NULL;
}

int cmd_destroy_namespace(int argc, char **argv, struct cli *cli)
{
	struct destroy_opts o = {0};
	int rc, i, done = 0, failed = 0;

	rc = cli_parse(cli, &destroy_cmd, argc, argv, destroy_opt, &o);
	if (rc != CLI_GO)
		return rc;
	if (cli_scan(cli) != CLI_OK)
		return CLI_FAIL;
	for (i = 0; i < cli->nargs; i++) {
		struct devmem_namespace *ns = find_namespace(cli, cli->args[i]);

		if (!ns) {
			cli_error("%s: no such devmem namespace in a claimed "
				  "region",
				  cli->args[i]);
			failed++;
			continue;
		}
		if (devmem_namespace_destroy(ns, o.force ? DEVMEM_FORCE : 0) <
		    0) {
			failed++;
			continue;
		}
		done++;
	}
	fprintf(stderr, "destroyed %d namespace%s\n", done,
		done == 1 ? "" : "s");
	return failed ? CLI_FAIL : CLI_OK;
}
