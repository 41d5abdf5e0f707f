// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devmemctl: manage devmem regions and namespaces. A thin command table
 * over libdevmem; see docs/man/devmemctl.md.
 *
 * Exit status: 0 success, 1 failure, 2 bad command line.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "devmemctl.h"

struct cmd_struct {
	const char *name;
	int (*fn)(int argc, char **argv, struct cli *cli);
	const char *summary;
};

static const struct cmd_struct commands[] = {
	{"assemble", cmd_assemble,
	 "bring up the devmem namespaces recorded on the nvdimm regions"},
	{"check", cmd_check,
	 "check the metadata of claimed regions; --repair what is safe"},
	{"claim", cmd_claim,
	 "make an nvdimm region devmem's, with an empty layout"},
	{"create-namespace", cmd_create_namespace,
	 "create a devdax or fsdax namespace in a claimed region"},
	{"destroy-namespace", cmd_destroy_namespace,
	 "remove namespaces; their data is lost"},
	{"list", cmd_list, "print namespaces or regions as JSON"},
	{"release", cmd_release,
	 "give a claimed region back to the stock nvdimm stack"},
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void main_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: devmemctl [--version] [--help] [--list-cmds] "
		   "COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "    %-20s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(f,
		"\nsee 'devmemctl help COMMAND' or 'man devmemctl-COMMAND'\n");
}

/* The command called @name, or NULL after telling the user there is none. */
static const struct cmd_struct *find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < NR_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	fprintf(stderr,
		"devmemctl: '%s' is not a devmemctl command; "
		"see 'devmemctl --help'\n",
		name);
	return NULL;
}

/* Report a failed write to stdout (a full disk, a closed pipe). */
static int finish(int status)
{
	int failed = ferror(stdout);

	if (fclose(stdout) != 0)
		failed = 1;
	if (failed) {
		fprintf(stderr,
			"devmemctl: write error on standard output: "
			"%s\n",
			strerror(errno));
		return CLI_FAIL;
	}
	return status;
}

static int run(const struct cmd_struct *cmd, int argc, char **argv)
{
	struct cli cli = {0};
	int status;

	status = cmd->fn(argc, argv, &cli);
	devmem_unref(cli.ctx);
	/* a command returns an exit status, never -errno */
	if (status < 0 || status > CLI_USAGE)
		status = CLI_FAIL;
	return status;
}

static int help(int argc, char **argv)
{
	const struct cmd_struct *cmd;
	char help_opt[] = "--help";
	char *args[3];

	if (argc < 2) {
		main_usage(stdout);
		return CLI_OK;
	}
	cmd = find_cmd(argv[1]);
	if (!cmd)
		return CLI_USAGE;
	args[0] = argv[1];
	args[1] = help_opt;
	args[2] = NULL;
	return run(cmd, 2, args);
}

int main(int argc, char **argv)
{
	const struct cmd_struct *cmd;

	if (argc < 2) {
		main_usage(stderr);
		return finish(CLI_USAGE);
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		main_usage(stdout);
		return finish(CLI_OK);
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("%s\n", DEVMEMCTL_VERSION);
		return finish(CLI_OK);
	}
	if (strcmp(argv[1], "--list-cmds") == 0) {
		for (size_t i = 0; i < NR_COMMANDS; i++)
			printf("%s\n", commands[i].name);
		return finish(CLI_OK);
	}
	if (strcmp(argv[1], "help") == 0)
		return finish(help(argc - 1, argv + 1));
	if (argv[1][0] == '-') {
		fprintf(stderr, "devmemctl: unknown option '%s'\n", argv[1]);
		main_usage(stderr);
		return finish(CLI_USAGE);
	}
	cmd = find_cmd(argv[1]);
	if (!cmd)
		return finish(CLI_USAGE);
	return finish(run(cmd, argc - 1, argv + 1));
}
