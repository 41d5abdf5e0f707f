// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devmemctl list: always a JSON array.
 */
#include <stdio.h>
#include <string.h>

#include <uuid/uuid.h>

#include "devmemctl.h"
#include "format.h"

/* -n NAME: the namespace's name, or its UUID in any case */
static bool ns_match(struct devmem_namespace *ns, const char *want)
{
	unsigned char uu[16];
	uuid_t w;

	if (!want)
		return true;
	if (strcmp(devmem_namespace_get_name(ns), want) == 0)
		return true;
	devmem_namespace_get_uuid(ns, uu);
	return uuid_parse(want, w) == 0 && memcmp(uu, w, 16) == 0;
}

/* A region object, with -n only if it holds a match, and then nesting
 * (with -N) only the matching namespaces. */
static struct json_object *region_json(struct devmem_region *r,
				       const char *want, unsigned int flags)
{
	struct json_object *o, *list;
	struct devmem_namespace *ns;
	bool found = false;

	if (!want)
		return cli_region_to_json(r, flags);
	list = json_object_new_array();
	devmem_namespace_foreach (r, ns) {
		if (!ns_match(ns, want))
			continue;
		found = true;
		json_object_array_add(list, cli_namespace_to_json(ns, flags));
	}
	if (!found) {
		json_object_put(list);
		return NULL;
	}
	o = cli_region_to_json(r, flags);
	if (o && (flags & CLI_JSON_NAMESPACES))
		json_object_object_add(o, "namespace_list", list);
	else
		json_object_put(list);
	return o;
}

struct list_opts {
	bool regions, namespaces;
	const char *region;
	const char *name; /* -n: a namespace name or UUID */
};

static const struct cli_opt list_opts[] = {
	{"regions", 'R', no_argument, NULL,
	 "list regions (with -N too: their namespaces nested in "
	 "\"namespace_list\")"},
	{"namespaces", 'N', no_argument, NULL, "list namespaces (the default)"},
	OPT_REGION("only this region (region0 or 0)"),
	{"namespace", 'n', required_argument, "NAME",
	 "only the namespace with this name or UUID (with -R: the regions "
	 "that hold it)"},
	OPT_HUMAN,
	OPT_VERBOSE,
	OPT_HELP,
	OPT_END,
};

static const struct cli_cmd list_cmd = {
	.name = "list",
	.synopsis = "[-R] [-N] [-r REGION] [-n NAME] [-u] [-v]",
	.summary = "Print devmem namespaces or nvdimm regions as a JSON array.",
	.opts = list_opts,
	.argname = "",
	.min_args = 0,
	.max_args = 0,
};

static int list_opt(void *priv, int key, const char *arg)
{
	struct list_opts *o = priv;
	uuid_t uu;

	switch (key) {
	case 'R':
		o->regions = true;
		break;
	case 'N':
		o->namespaces = true;
		break;
	case 'r':
		o->region = arg;
		break;
	case 'n':
		if (dm_name_valid(arg) < 0 && uuid_parse(arg, uu) < 0) {
			cli_error("invalid namespace '%s': not a name (1-63 of "
				  "A-Z a-z 0-9 . _ -) nor a UUID",
				  arg);
			return 1;
		}
		o->name = arg;
		break;
	default:
		return 1;
	}
	return 0;
}

int cmd_list(int argc, char **argv, struct cli *cli)
{
	struct devmem_region *r, *only = NULL;
	struct devmem_namespace *ns;
	struct json_object *list;
	unsigned int flags;
	int rc;

	struct list_opts o = {0};

	rc = cli_parse(cli, &list_cmd, argc, argv, list_opt, &o);
	if (rc != CLI_GO)
		return rc;
	if (!o.regions)
		o.namespaces = true;
	flags = cli->human ? CLI_JSON_HUMAN : 0;
	if (o.regions && o.namespaces)
		flags |= CLI_JSON_NAMESPACES;
	if (cli_scan(cli) != CLI_OK)
		return CLI_FAIL;
	if (o.region) {
		only = cli_find_region(cli, o.region);
		if (!only)
			return CLI_FAIL;
	}
	list = json_object_new_array();
	devmem_region_foreach (cli->ctx, r) {
		if (only && r != only)
			continue;
		if (o.regions) {
			struct json_object *j = region_json(r, o.name, flags);

			if (j)
				json_object_array_add(list, j);
			continue;
		}
		devmem_namespace_foreach (r, ns) {
			if (!ns_match(ns, o.name))
				continue;
			json_object_array_add(list,
					      cli_namespace_to_json(ns, flags));
		}
	}
	cli_print_json(list);
	json_object_put(list);
	return CLI_OK;
}
