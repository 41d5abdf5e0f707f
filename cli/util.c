// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devmemctl helpers: option parsing from a command's table, messages, the
 * library context, region lookup, sizes.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "devmemctl.h"

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("devmemctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_usage(const struct cli_cmd *cmd)
{
	fprintf(stderr, "usage: devmemctl %s %s\n", cmd->name, cmd->synopsis);
	fprintf(stderr, "see 'devmemctl %s --help'\n", cmd->name);
}

/* "    LHS   help text" with the help wrapped at 80 columns */
static void print_wrapped(const char *lhs, const char *text)
{
	const int indent = 29, width = 80;
	const char *p = text;
	int col, first = 1;

	col = printf("    %-24s ", lhs);
	while (*p) {
		const char *sp = strchr(p, ' ');
		int len = sp ? (int)(sp - p) : (int)strlen(p);

		if (!first && col + 1 + len >= width) {
			printf("\n%*s", indent, "");
			col = indent;
		} else if (!first) {
			putchar(' ');
			col++;
		}
		col += printf("%.*s", len, p);
		first = 0;
		p += len;
		while (*p == ' ')
			p++;
	}
	putchar('\n');
}

static void cli_help(const struct cli_cmd *cmd)
{
	const struct cli_opt *o;
	char lhs[64];

	printf("usage: devmemctl %s %s\n\n%s\n\n", cmd->name, cmd->synopsis,
	       cmd->summary);
	for (o = cmd->opts; o->name; o++) {
		if (o->arg)
			snprintf(lhs, sizeof(lhs), "-%c, --%s=%s", o->key,
				 o->name, o->arg);
		else
			snprintf(lhs, sizeof(lhs), "-%c, --%s", o->key,
				 o->name);
		print_wrapped(lhs, o->help);
	}
	printf("\nsee 'man devmemctl-%s'\n", cmd->name);
}

static size_t nr_opts(const struct cli_opt *opts)
{
	size_t n = 0;

	while (opts[n].name)
		n++;
	return n;
}

static const struct cli_opt *find_opt(const struct cli_opt *opts, int key)
{
	for (; opts->name; opts++)
		if (opts->key == key)
			return opts;
	return NULL;
}

/* "-x/--xyz", for messages */
static const char *opt_text(const struct cli_opt *opts, int key, char *buf,
			    size_t len)
{
	const struct cli_opt *o = find_opt(opts, key);

	if (o)
		snprintf(buf, len, "-%c/--%s", key, o->name);
	else
		snprintf(buf, len, "-%c", key);
	return buf;
}

int cli_parse(struct cli *cli, const struct cli_cmd *cmd, int argc, char **argv,
	      int (*opt)(void *priv, int key, const char *arg), void *priv)
{
	size_t n = nr_opts(cmd->opts), i;
	struct option *longopts;
	char *shortopts, *p, what[64];
	int c, errors = 0, help = 0;

	longopts = calloc(n + 1, sizeof(*longopts));
	shortopts = calloc(2 * n + 2, 1);
	if (!longopts || !shortopts) {
		free(longopts);
		free(shortopts);
		cli_error("out of memory");
		return CLI_FAIL;
	}
	p = shortopts;
	*p++ = ':';
	for (i = 0; i < n; i++) {
		const struct cli_opt *o = &cmd->opts[i];

		longopts[i].name = o->name;
		longopts[i].has_arg = o->has_arg;
		longopts[i].val = o->key;
		*p++ = (char)o->key;
		if (o->has_arg == required_argument)
			*p++ = ':';
	}
	cli->cmd = cmd->name;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			help = 1;
			break;
		case 'v':
			cli->verbose = true;
			break;
		case 'u':
			/* -u is --human in every command that prints sizes */
			if (find_opt(cmd->opts, 'u') &&
			    strcmp(find_opt(cmd->opts, 'u')->name, "human") ==
				    0)
				cli->human = true;
			else
				errors += opt ? opt(priv, c, optarg) : 1;
			break;
		case ':':
			cli_error("option %s needs an argument",
				  opt_text(cmd->opts, optopt, what,
					   sizeof(what)));
			errors++;
			break;
		case '?':
			if (optopt && strncmp(argv[optind - 1], "--", 2) == 0)
				cli_error("option '%s' takes no argument",
					  argv[optind - 1]);
			else if (optopt)
				cli_error("unknown option '-%c'", optopt);
			else
				cli_error("unknown option '%s'",
					  argv[optind - 1]);
			errors++;
			break;
		default:
			errors += opt ? opt(priv, c, optarg) : 1;
			break;
		}
	}
	free(longopts);
	free(shortopts);
	if (help) {
		cli_help(cmd);
		return CLI_OK;
	}
	cli->args = argv + optind;
	cli->nargs = argc - optind;
	if (cli->nargs < cmd->min_args) {
		cli_error("missing %s", cmd->argname);
		errors++;
	} else if (cmd->max_args >= 0 && cli->nargs > cmd->max_args) {
		cli_error("unexpected argument '%s'", cli->args[cmd->max_args]);
		errors++;
	}
	if (errors) {
		cli_usage(cmd);
		return CLI_USAGE;
	}
	return CLI_GO;
}

static void cli_log(struct devmem_ctx *ctx, int priority, const char *file,
		    int line, const char *fn, const char *format, va_list args)
{
	(void)ctx;
	(void)file;
	(void)line;
	fputs("devmemctl: ", stderr);
	if (priority == LOG_WARNING)
		fputs("warning: ", stderr);
	else if (priority >= LOG_DEBUG)
		fprintf(stderr, "debug: %s: ", fn);
	vfprintf(stderr, format, args);
}

struct devmem_ctx *cli_ctx(struct cli *cli)
{
	int rc;

	if (cli->ctx)
		return cli->ctx;
	rc = devmem_new(&cli->ctx);
	if (rc < 0) {
		cli_error("cannot initialise libdevmem: %s", strerror(-rc));
		cli->ctx = NULL;
		return NULL;
	}
	devmem_set_log_fn(cli->ctx, cli_log);
	if (cli->verbose)
		devmem_set_log_priority(cli->ctx, LOG_DEBUG);
	return cli->ctx;
}

int cli_scan(struct cli *cli)
{
	struct devmem_ctx *ctx = cli_ctx(cli);

	if (!ctx || devmem_scan(ctx) < 0)
		return CLI_FAIL;
	return CLI_OK;
}

int cli_load_module(struct cli *cli)
{
	struct devmem_ctx *ctx = cli_ctx(cli);

	if (!ctx || devmem_module_load(ctx) < 0)
		return CLI_FAIL;
	return CLI_OK;
}

struct devmem_region *cli_find_region(struct cli *cli, const char *name)
{
	struct devmem_region *r;
	char full[32];
	const char *want = name;
	size_t i;

	for (i = 0; name[i] && isdigit((unsigned char)name[i]); i++)
		;
	if (i > 0 && name[i] == '\0' && i < 10) {
		snprintf(full, sizeof(full), "region%s", name);
		want = full;
	}
	devmem_region_foreach (cli->ctx, r) {
		if (strcmp(devmem_region_get_devname(r), want) == 0)
			return r;
	}
	cli_error("%s: no such nvdimm region", want);
	return NULL;
}

int cli_parse_size(const char *s, unsigned long long *bytes)
{
	static const char units[] = "KMGT";
	unsigned long long v, mult = 1;
	char *end;
	int base = 10;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno == ERANGE)
		return -ERANGE;
	if (end == s || (base == 16 && end == s + 2))
		return -EINVAL;
	if (*end) {
		const char *u = strchr(units, toupper((unsigned char)*end));

		if (!u || base == 16)
			return -EINVAL;
		mult = 1ULL << (10 * (u - units + 1));
		end++;
		if (strcmp(end, "iB") != 0 && strcmp(end, "") != 0)
			return -EINVAL;
	}
	if (v > ULLONG_MAX / mult)
		return -ERANGE;
	*bytes = v * mult;
	return 0;
}

/*
 * As ndctl list -u prints sizes (its display_size(), from mdadm):
 * "512.00 MiB (536.87 MB)" below 2 GiB, "1.50 GiB (1.61 GB)" below 2 TiB,
 * then TiB (TB); each rounded to the nearest hundredth. Under 5000 KiB
 * ndctl prints the plain number: NULL is returned then.
 */
const char *cli_size_str(unsigned long long bytes, char *buf, size_t len)
{
	static const struct {
		unsigned long long bin, dec;
		const char *ib, *b;
	} u[] = {
		{1ULL << 20, 1000000ULL, "MiB", "MB"},
		{1ULL << 30, 1000000000ULL, "GiB", "GB"},
		{1ULL << 40, 1000000000000ULL, "TiB", "TB"},
	};
	unsigned long long q, r, cbin, cdec;
	unsigned int i = 0;

	if (bytes < 5000ULL * 1024)
		return NULL;
	if (bytes >= 2ULL << 30)
		i = bytes < 2ULL << 40 ? 1 : 2;
	/* hundredths, rounded half up as ndctl does, without overflow */
	q = bytes / u[i].bin;
	r = bytes % u[i].bin;
	cbin = q * 100 + (r * 200 / u[i].bin + 1) / 2;
	cdec = (bytes / (u[i].dec / 200) + 1) / 2;
	snprintf(buf, len, "%llu.%02llu %s (%llu.%02llu %s)", cbin / 100,
		 cbin % 100, u[i].ib, cdec / 100, cdec % 100, u[i].b);
	return buf;
}
