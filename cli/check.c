// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devmemctl check: consistency check of claimed regions, with --repair for
 * what is safe to repair.
 */
#include <stdio.h>
#include <string.h>

#include "devmemctl.h"

struct check_opts {
	bool repair, json;
};

static const struct cli_opt check_opts[] = {
	{"repair", 'R', no_argument, NULL,
	 "rewrite a stale, torn, blank or foreign metadata slot from the "
	 "newest valid copy; nothing else is changed"},
	{"json", 'j', no_argument, NULL,
	 "print the findings as a JSON array instead of lines"},
	{"verbose", 'v', no_argument, NULL,
	 "also print what is fine (valid slots), and debug messages on "
	 "stderr"},
	OPT_HELP,
	OPT_END,
};

static const struct cli_cmd check_cmd = {
	.name = "check",
	.synopsis = "[REGION...] [--repair] [-j] [-v]",
	.summary = "Check the metadata of claimed regions (all of them without "
		   "REGION) and the namespaces the kernel maps against it. "
		   "Read-only unless --repair. Exit 0: consistent; 1: "
		   "findings remain.",
	.opts = check_opts,
	.argname = "REGION",
	.min_args = 0,
	.max_args = -1,
};

static int check_opt(void *priv, int key, const char *arg)
{
	struct check_opts *o = priv;

	(void)arg;
	switch (key) {
	case 'R':
		o->repair = true;
		break;
	case 'j':
		o->json = true;
		break;
	default:
		return 1;
	}
	return 0;
}

struct check_out {
	bool verbose;
	struct json_object *list; /* --json */
	unsigned int errors, repaired;
};

static const char *severity_name(enum devmem_finding_severity s)
{
	switch (s) {
	case DEVMEM_FINDING_INFO:
		return "info";
	case DEVMEM_FINDING_REPAIRED:
		return "repaired";
	default:
		return "error";
	}
}

static void on_finding(struct devmem_region *r, const struct devmem_finding *f,
		       void *userdata)
{
	enum devmem_finding_severity sev = devmem_finding_get_severity(f);
	struct check_out *out = userdata;
	struct json_object *o;

	if (sev == DEVMEM_FINDING_ERROR)
		out->errors++;
	if (sev == DEVMEM_FINDING_REPAIRED)
		out->repaired++;
	if (!out->list) {
		if (sev == DEVMEM_FINDING_INFO && !out->verbose)
			return;
		printf("%s: %s%s\n", devmem_region_get_devname(r),
		       sev == DEVMEM_FINDING_REPAIRED ? "repaired: " : "",
		       devmem_finding_get_message(f));
		return;
	}
	o = json_object_new_object();
	if (!o)
		return;
	json_object_object_add(
		o, "region",
		json_object_new_string(devmem_region_get_devname(r)));
	json_object_object_add(o, "severity",
			       json_object_new_string(severity_name(sev)));
	json_object_object_add(
		o, "code", json_object_new_string(devmem_finding_get_code(f)));
	if (devmem_finding_get_slot(f) >= 0)
		json_object_object_add(
			o, "slot",
			json_object_new_int(devmem_finding_get_slot(f)));
	if (devmem_finding_get_index(f) >= 0)
		json_object_object_add(
			o, "index",
			json_object_new_int(devmem_finding_get_index(f)));
	json_object_object_add(
		o, "repairable",
		json_object_new_boolean(devmem_finding_is_repairable(f)));
	json_object_object_add(
		o, "message",
		json_object_new_string(devmem_finding_get_message(f)));
	json_object_array_add(out->list, o);
}

/* One region: its findings, then "region0: clean" (not with --json). */
static int check_one(struct devmem_region *r, const struct check_opts *o,
		     struct check_out *out)
{
	unsigned int before = out->errors, fixed = out->repaired;
	int rc;

	rc = devmem_region_check(r, o->repair ? DEVMEM_CHECK_REPAIR : 0,
				 on_finding, out);
	if (out->list)
		return rc == 0 ? CLI_OK : CLI_FAIL;
	if (rc == 0 && out->repaired > fixed)
		printf("%s: clean after repair\n",
		       devmem_region_get_devname(r));
	else if (rc == 0)
		printf("%s: clean\n", devmem_region_get_devname(r));
	else if (rc > 0)
		printf("%s: %u finding%s\n", devmem_region_get_devname(r),
		       out->errors - before,
		       out->errors - before == 1 ? "" : "s");
	return rc == 0 ? CLI_OK : CLI_FAIL;
}

int cmd_check(int argc, char **argv, struct cli *cli)
{
	struct check_opts o = {0};
	struct check_out out = {0};
	struct devmem_region *r;
	int rc, i, status = CLI_OK;

	rc = cli_parse(cli, &check_cmd, argc, argv, check_opt, &o);
	if (rc != CLI_GO)
		return rc;
	out.verbose = cli->verbose;
	if (cli_scan(cli) != CLI_OK)
		return CLI_FAIL;
	/* every name must exist before anything is checked */
	for (i = 0; i < cli->nargs; i++)
		if (!cli_find_region(cli, cli->args[i]))
			status = CLI_FAIL;
	if (status != CLI_OK)
		return status;
	if (o.json)
		out.list = json_object_new_array();
	if (cli->nargs > 0) {
		for (i = 0; i < cli->nargs; i++) {
			r = cli_find_region(cli, cli->args[i]);
			if (check_one(r, &o, &out) != CLI_OK)
				status = CLI_FAIL;
		}
	} else {
		int checked = 0;

		devmem_region_foreach (cli->ctx, r) {
			if (!devmem_region_is_claimed(r))
				continue;
			checked++;
			if (check_one(r, &o, &out) != CLI_OK)
				status = CLI_FAIL;
		}
		if (checked == 0)
			cli_error("no region is claimed by devmem; nothing to "
				  "check");
	}
	if (out.list) {
		cli_print_json(out.list);
		json_object_put(out.list);
	}
	return status;
}
