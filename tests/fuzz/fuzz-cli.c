// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: devmemctl's command-line parsing (cli/util.c), no
 * kernel. The first input byte picks what is fuzzed:
 *   even: the rest, up to the first NUL, is a size for cli_parse_size(),
 *         compared with a reference parser (128-bit arithmetic): the same
 *         verdict and the same value; a parsed size printed back as
 *         decimal, hex and with a unit parses to the same value;
 *   odd:  the rest is an argument vector (NUL-separated) for cli_parse()
 *         with an option table shaped like create-namespace's or claim's
 *         (bit 1 picks): it must
 *         return CLI_GO, CLI_OK or CLI_USAGE, hand the callback only keys
 *         of the table with an argument exactly when one is required, and
 *         leave the positional arguments inside argv.
 * Run with -close_fd_mask=3: cli_parse() prints usage and errors.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devmemctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 16
#define MAX_TEXT 256

/* Reference: [0-9]+ or 0x[0-9a-f]+ (any case), decimal may end in one of
 * KMGT (any case) optionally followed by "iB". -1 bad, -2 overflow. */
static int ref_parse_size(const char *s, unsigned long long *out)
{
	unsigned __int128 v = 0, max = ~0ULL;
	int base = 10, shift = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
		if (!isxdigit((unsigned char)*p))
			return -1;
	}
	/* strtoull also accepts what it can, and the whole value must fit */
	for (; base == 16 ? isxdigit((unsigned char)*p)
			  : isdigit((unsigned char)*p);
	     p++) {
		int d = isdigit((unsigned char)*p)
				? *p - '0'
				: tolower((unsigned char)*p) - 'a' + 10;

		v = v * (unsigned)base + (unsigned)d;
		if (v > max)
			return -2;
	}
	if (*p) {
		const char *u = strchr("KMGT", toupper((unsigned char)*p));

		if (!u || base == 16)
			return -1;
		shift = 10 * (int)(u - "KMGT" + 1);
		p++;
		if (strcmp(p, "iB") && strcmp(p, ""))
			return -1;
	}
	v <<= shift;
	if (v > max)
		return -2;
	*out = (unsigned long long)v;
	return 0;
}

static void fuzz_size(const char *s)
{
	unsigned long long got = 0, want = 0, again;
	int rc = cli_parse_size(s, &got), ref = ref_parse_size(s, &want);
	char buf[64];

	if ((rc == 0) != (ref == 0) || (rc == -ERANGE) != (ref == -2) ||
	    (rc == 0 && got != want))
		abort();
	if (rc)
		return;
	snprintf(buf, sizeof(buf), "%llu", got);
	if (cli_parse_size(buf, &again) || again != got)
		abort();
	snprintf(buf, sizeof(buf), "0x%llx", got);
	if (cli_parse_size(buf, &again) || again != got)
		abort();
	if (got >> 54 == 0) {
		snprintf(buf, sizeof(buf), "%lluKiB", got);
		if (cli_parse_size(buf, &again) || again != got << 10)
			abort();
	}
}

/* create-namespace's shape (-u is --uuid, no --human), and one with
 * --human and --force, so both ways cli_parse() treats -u are reached */
static const struct cli_opt create_opts[] = {
	OPT_REGION("region"),
	{"size", 's', required_argument, "SIZE", "size"},
	{"mode", 'm', required_argument, "MODE", "mode"},
	{"align", 'a', required_argument, "ALIGN", "align"},
	{"map", 'M', required_argument, "MAP", "map"},
	{"name", 'n', required_argument, "NAME", "name"},
	{"uuid", 'u', required_argument, "UUID", "uuid"},
	OPT_VERBOSE,
	OPT_HELP,
	OPT_END,
};

static const struct cli_opt list_opts[] = {
	OPT_REGION("region"), OPT_FORCE("force"), OPT_HUMAN,
	OPT_VERBOSE,	      OPT_HELP,		  OPT_END,
};

static const struct cli_cmd cmds[] = {
	{
		.name = "create-namespace",
		.synopsis = "-r REGION [-s SIZE]",
		.summary = "fuzzing cli_parse()",
		.opts = create_opts,
		.argname = "",
		.min_args = 0,
		.max_args = 0,
	},
	{
		.name = "claim",
		.synopsis = "[-f] REGION",
		.summary = "fuzzing cli_parse()",
		.opts = list_opts,
		.argname = "REGION",
		.min_args = 1,
		.max_args = 1,
	},
};

static int on_opt(void *priv, int key, const char *arg)
{
	const struct cli_cmd *c = priv;
	const struct cli_opt *o;

	for (o = c->opts; o->name; o++)
		if (o->key == key)
			break;
	if (!o->name || key == 'h' || key == 'v' ||
	    (key == 'u' && !strcmp(o->name, "human")))
		abort(); /* not ours, or one cli_parse() handles itself */
	if ((o->has_arg == required_argument) != (arg != NULL))
		abort();
	if (arg)
		(void)strlen(arg); /* ASan: the argument is a string */
	return key == 'f' ? 1 : 0; /* sometimes an option is refused */
}

static void fuzz_argv(const struct cli_cmd *c, const uint8_t *d, size_t n)
{
	static char text[MAX_TEXT + 1];
	char *argv[MAX_ARGS + 2];
	struct cli cli;
	int argc = 1, rc;
	size_t i, start = 0;

	if (n > MAX_TEXT)
		n = MAX_TEXT;
	memcpy(text, d, n);
	text[n] = '\0';
	argv[0] = "fuzz";
	for (i = 0; i <= n && argc <= MAX_ARGS; i++) {
		if (i < n && text[i])
			continue;
		argv[argc++] = text + start; /* NUL-separated, empty ones too */
		start = i + 1;
	}
	argv[argc] = NULL;
	memset(&cli, 0, sizeof(cli));
	rc = cli_parse(&cli, c, argc, argv, on_opt, (void *)c);
	if (rc != CLI_GO && rc != CLI_OK && rc != CLI_USAGE)
		abort();
	if (rc != CLI_GO)
		return;
	if (cli.nargs < c->min_args || cli.nargs > c->max_args ||
	    cli.args < argv + 1 || cli.args + cli.nargs > argv + argc)
		abort();
	for (i = 0; i < (size_t)cli.nargs; i++)
		(void)strlen(cli.args[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[MAX_TEXT + 1];
	size_t n;

	if (size == 0)
		return 0;
	if (data[0] & 1) {
		fuzz_argv(&cmds[data[0] >> 1 & 1], data + 1, size - 1);
		return 0;
	}
	n = size - 1 < MAX_TEXT ? size - 1 : MAX_TEXT;
	memcpy(s, data + 1, n);
	s[n] = '\0';
	fuzz_size(s);
	return 0;
}
