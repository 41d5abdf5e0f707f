// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devmemctl list: always a JSON array.
 */
#include <stdio.h>

#include "devmemctl.h"

struct list_opts {
	bool regions, namespaces;
	const char *region;
};

static const struct cli_opt list_opts[] = {
	{"regions", 'R', no_argument, NULL,
	 "list regions (with -N too: their namespaces nested in "
	 "\"namespace_list\")"},
	{"namespaces", 'N', no_argument, NULL, "list namespaces (the default)"},
	OPT_REGION("only this region (region0 or 0)"),
	OPT_HUMAN,
	OPT_VERBOSE,
	OPT_HELP,
	OPT_END,
};

static const struct cli_cmd list_cmd = {
	.name = "list",
	.synopsis = "[-R] [-N] [-r REGION] [-u] [-v]",
	.summary = "Print devmem namespaces or nvdimm regions as a JSON array.",
	.opts = list_opts,
	.argname = "",
	.min_args = 0,
	.max_args = 0,
};

static int list_opt(void *priv, int key, const char *arg)
{
	struct list_opts *o = priv;

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
			json_object_array_add(list,
					      cli_region_to_json(r, flags));
			continue;
		}
		devmem_namespace_foreach (r, ns) {
			json_object_array_add(list,
					      cli_namespace_to_json(ns, flags));
		}
	}
	cli_print_json(list);
	json_object_put(list);
	return CLI_OK;
}
