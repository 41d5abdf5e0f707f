// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devmemctl claim, devmemctl release, devmemctl assemble.
 */
#include <stdbool.h>
#include <stdio.h>

#include "devmemctl.h"

static const struct cli_opt claim_opts[] = {
	OPT_FORCE("destroy stock namespaces in the region, and replace any "
		  "layout or data in its metadata area"),
	OPT_VERBOSE,
	OPT_HELP,
	OPT_END,
};

static const struct cli_cmd claim_cmd = {
	.name = "claim",
	.synopsis = "REGION [-f] [-v]",
	.summary = "Take an nvdimm pmem region from the stock nvdimm stack and "
		   "write an empty devmem layout to it.",
	.opts = claim_opts,
	.argname = "REGION",
	.min_args = 1,
	.max_args = 1,
};

static const struct cli_opt release_opts[] = {
	OPT_FORCE("destroy the region's devmem namespaces first (live "
		  "mappings are revoked), and release a region whose "
		  "metadata is unreadable"),
	OPT_VERBOSE,
	OPT_HELP,
	OPT_END,
};

static const struct cli_cmd release_cmd = {
	.name = "release",
	.synopsis = "REGION [-f] [-v]",
	.summary = "Give a claimed region back to the stock nvdimm stack: "
		   "erase its devmem metadata, release it and enable the "
		   "nvdimm region again.",
	.opts = release_opts,
	.argname = "REGION",
	.min_args = 1,
	.max_args = 1,
};

static int force_opt(void *priv, int key, const char *arg)
{
	bool *force = priv;

	(void)arg;
	if (key != 'f')
		return 1;
	*force = true;
	return 0;
}

/* claim and release: one REGION and -f; print the region after @op. */
static int region_cmd(int argc, char **argv, struct cli *cli,
		      const struct cli_cmd *cmd, bool load_module,
		      int (*op)(struct devmem_region *, unsigned int))
{
	struct devmem_region *r;
	struct json_object *j;
	bool force = false;
	int rc;

	rc = cli_parse(cli, cmd, argc, argv, force_opt, &force);
	if (rc != CLI_GO)
		return rc;
	if (cli_scan(cli) != CLI_OK)
		return CLI_FAIL;
	r = cli_find_region(cli, cli->args[0]);
	if (!r)
		return CLI_FAIL;
	if (load_module && cli_load_module(cli) != CLI_OK)
		return CLI_FAIL;
	if (op(r, force ? DEVMEM_FORCE : 0) < 0)
		return CLI_FAIL;
	j = cli_region_to_json(r, 0);
	cli_print_json(j);
	json_object_put(j);
	return CLI_OK;
}

int cmd_claim(int argc, char **argv, struct cli *cli)
{
	return region_cmd(argc, argv, cli, &claim_cmd, true,
			  devmem_region_claim);
}

int cmd_release(int argc, char **argv, struct cli *cli)
{
	return region_cmd(argc, argv, cli, &release_cmd, false,
			  devmem_region_release);
}

static const struct cli_opt assemble_opts[] = {
	OPT_HUMAN,
	OPT_VERBOSE,
	OPT_HELP,
	OPT_END,
};

static const struct cli_cmd assemble_cmd = {
	.name = "assemble",
	.synopsis = "[REGION...] [-u] [-v]",
	.summary = "Load the devmem module if needed and bring up every devmem "
		   "namespace recorded on the nvdimm regions (only on REGION, "
		   "when given).",
	.opts = assemble_opts,
	.argname = "REGION",
	.min_args = 0,
	.max_args = -1,
};

/* assemble REGION...: is @r one of them (all when none is named)? */
static bool assemble_wanted(struct cli *cli, const struct devmem_region *r)
{
	int i;

	if (cli->nargs == 0)
		return true;
	for (i = 0; i < cli->nargs; i++)
		if (cli_find_region(cli, cli->args[i]) == r)
			return true;
	return false;
}

int cmd_assemble(int argc, char **argv, struct cli *cli)
{
	struct devmem_namespace *ns;
	struct devmem_region *r;
	struct json_object *list;
	int rc, status = CLI_OK;

	rc = cli_parse(cli, &assemble_cmd, argc, argv, NULL, NULL);
	if (rc != CLI_GO)
		return rc;
	if (cli_scan(cli) != CLI_OK)
		return CLI_FAIL;
	/* every name must exist before anything is touched */
	for (int i = 0; i < cli->nargs; i++)
		if (!cli_find_region(cli, cli->args[i]))
			status = CLI_FAIL;
	if (status != CLI_OK)
		return status;
	/* no nvdimm pmem region: nothing to assemble, no module to load */
	if (devmem_region_get_first(cli->ctx) && cli_load_module(cli) != CLI_OK)
		return CLI_FAIL;
	list = json_object_new_array();
	devmem_region_foreach (cli->ctx, r) {
		if (!assemble_wanted(cli, r))
			continue;
		if (devmem_region_assemble(r) < 0)
			status = CLI_FAIL;
		devmem_namespace_foreach (r, ns) {
			if (!devmem_namespace_is_active(ns)) {
				status = CLI_FAIL;
				continue;
			}
			json_object_array_add(
				list,
				cli_namespace_to_json(
					ns, cli->human ? CLI_JSON_HUMAN : 0));
		}
	}
	cli_print_json(list);
	json_object_put(list);
	return status;
}
