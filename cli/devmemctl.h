/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * devmemctl: commands, the option table shared by all of them, JSON.
 */
#ifndef DEVMEMCTL_H
#define DEVMEMCTL_H

#include <getopt.h>
#include <stdbool.h>

#include <json.h>

#include "libdevmem.h"

#define DEVMEMCTL_VERSION "0.1"

/* exit statuses */
enum {
	CLI_OK = 0,    /* success */
	CLI_FAIL = 1,  /* the command failed; messages say why */
	CLI_USAGE = 2, /* bad command line; nothing was done */
	CLI_GO = -1,   /* cli_parse(): options fine, go on */
};

struct cli {
	const char *cmd;	/* the command being run */
	struct devmem_ctx *ctx; /* made on first cli_ctx() */
	bool verbose;		/* -v */
	bool human;		/* -u, for commands that print sizes */
	char **args;		/* positional arguments after options */
	int nargs;
};

/*
 * One option of a command. The OPT_* macros make -r, -u, -v, -f and -h
 * mean the same in every command that takes them.
 */
struct cli_opt {
	const char *name; /* long name */
	int key;	  /* short letter */
	int has_arg;	  /* no_argument or required_argument */
	const char *arg;  /* what the argument is, for --help */
	const char *help;
};

#define OPT_REGION(h)                                                          \
	{                                                                      \
		"region", 'r', required_argument, "REGION", h                  \
	}
#define OPT_HUMAN                                                              \
	{                                                                      \
		"human", 'u', no_argument, NULL,                               \
			"sizes as ndctl -u prints them (\"512.00 MiB (536.87 " \
			"MB)\")"                                               \
	}
#define OPT_FORCE(h)                                                           \
	{                                                                      \
		"force", 'f', no_argument, NULL, h                             \
	}
#define OPT_VERBOSE                                                            \
	{                                                                      \
		"verbose", 'v', no_argument, NULL, "debug messages on stderr"  \
	}
#define OPT_HELP                                                               \
	{                                                                      \
		"help", 'h', no_argument, NULL, "show this help"               \
	}
#define OPT_END                                                                \
	{                                                                      \
		NULL, 0, 0, NULL, NULL                                         \
	}

struct cli_cmd {
	const char *name;
	const char *synopsis;	    /* after "devmemctl NAME" */
	const char *summary;	    /* one line */
	const struct cli_opt *opts; /* ends with OPT_END */
	const char *argname;	    /* the positional argument, for messages */
	int min_args, max_args;	    /* positional arguments; max -1: any */
};

/*
 * Parse @argv (argv[0] is the command) with @cmd's options. -h prints the
 * help; -v and -u are stored in @cli; every other option goes to @opt,
 * which returns 0 or, after printing why, 1. All errors are reported, then
 * the usage line. Returns CLI_GO, CLI_OK (help was printed) or CLI_USAGE.
 */
int cli_parse(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv,
	      int (*opt)(void *priv, int key, const char *arg), void *priv);
void cli_usage(const struct cli_cmd *cmd);
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* the library context, made once; NULL after printing why */
struct devmem_ctx *cli_ctx(struct cli *cli);
/* discover regions; CLI_OK or CLI_FAIL */
int cli_scan(struct cli *cli);
/* load the module if /dev/devmem is missing; CLI_OK or CLI_FAIL */
int cli_load_module(struct cli *cli);
/* "region0" or "0"; NULL after "region7: no such nvdimm region" */
struct devmem_region *cli_find_region(struct cli *cli, const char *name);

/* "12345", "0x3000", "512M", "1G", "2MiB": bytes; 0 or -EINVAL/-ERANGE */
int cli_parse_size(const char *s, unsigned long long *bytes);
/* ndctl -u: "512.00 MiB (536.87 MB)"; NULL under 5000 KiB (a number then) */
const char *cli_size_str(unsigned long long bytes, char *buf, size_t len);

/* JSON: flags for the *_to_json() functions */
#define CLI_JSON_HUMAN	    0x1u /* sizes as strings */
#define CLI_JSON_NAMESPACES 0x2u /* regions: nest "namespace_list" */
struct json_object *cli_namespace_to_json(struct devmem_namespace *ns,
					  unsigned int flags);
struct json_object *cli_region_to_json(struct devmem_region *r,
				       unsigned int flags);
void cli_print_json(struct json_object *obj);

/* commands */
int cmd_claim(int argc, char **argv, struct cli *cli);
int cmd_assemble(int argc, char **argv, struct cli *cli);
int cmd_create_namespace(int argc, char **argv, struct cli *cli);
int cmd_destroy_namespace(int argc, char **argv, struct cli *cli);
int cmd_list(int argc, char **argv, struct cli *cli);
int cmd_check(int argc, char **argv, struct cli *cli);
int cmd_release(int argc, char **argv, struct cli *cli);

#endif /* DEVMEMCTL_H */
