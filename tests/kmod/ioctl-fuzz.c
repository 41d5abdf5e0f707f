// SPDX-License-Identifier: GPL-2.0
/*
 * Seeded random-argument fuzzer for the ioctls of /dev/devmem.
 *
 *   ioctl-fuzz root SEED CALLS SCRATCH_PHYS SCRATCH_SIZE
 *   ioctl-fuzz user SEED CALLS
 *
 * root: every region already claimed (by libdevmem, with namespaces
 * mapped) is "protected": its info, its 128 KiB metadata area and the
 * NS_INFO of all its namespace indices are recorded first and must be
 * identical at the end. Then CALLS ioctls with random and boundary values
 * (huge, overflowing, unaligned, zero, RAM addresses, other regions' ranges,
 * wrong abi, non-zero reserved, bad argument pointers, devmem's magic with
 * other numbers and sizes, other drivers' ioctl numbers) are thrown at it,
 * with SCRATCH_PHYS/SCRATCH_SIZE (a disabled nvdimm region) claimed first so
 * that claims, maps, unmaps, metadata writes and releases also succeed now
 * and then. A call that would change a protected region (unmapping one of
 * its namespaces, writing its metadata) is turned into a harmless one: the
 * metadata write writes back what a read just returned. Every result must
 * be one the ABI allows for that input (see expect()); a command whose
 * argument is read-only must fail and a claim or map must then leave
 * nothing behind (state_of()). At the end all that
 * the fuzzer claimed or mapped is unmapped and released.
 *
 * user: open /dev/devmem as root, then become nobody: opening the node
 * again must fail with EACCES, and every devmem ioctl on the inherited fd
 * must fail with EPERM (DEVMEM_IOC_VERSION, which only reads constants,
 * succeeds; other numbers give ENOTTY).
 *
 * Prints a summary (calls per command, results per errno) and exits 0, or
 * 1 naming each unexpected result.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <termios.h>
#include <unistd.h>

#include <linux/devmem.h>

#define PAGE	  4096ull
#define NWORDS	  (sizeof(struct devmem_ns_arg) / sizeof(uint64_t))
#define MAX_ERRNO 256

static const unsigned long cmds[] = {
	DEVMEM_IOC_VERSION,	   DEVMEM_IOC_REGION_CLAIM,
	DEVMEM_IOC_REGION_RELEASE, DEVMEM_IOC_REGION_INFO,
	DEVMEM_IOC_META_READ,	   DEVMEM_IOC_META_WRITE,
	DEVMEM_IOC_NS_MAP,	   DEVMEM_IOC_NS_UNMAP,
	DEVMEM_IOC_NS_INFO,
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))
static const char *const cmd_names[] = {
	"VERSION",     "REGION_CLAIM", "REGION_RELEASE",
	"REGION_INFO", "META_READ",    "META_WRITE",
	"NS_MAP",      "NS_UNMAP",     "NS_INFO",
};

static uint64_t rng_state;
static int fd;
static unsigned long calls_per_cmd[NCMDS + 1];
static unsigned long results[MAX_ERRNO];
static unsigned long successes[NCMDS];
static unsigned long guarded;	/* protected-region calls made harmless */
static unsigned long ro_efault; /* read-only argument: EFAULT, undone */
static int failures;

/* protected regions, as found before fuzzing */
static struct prot {
	uint64_t id;
	struct devmem_region_arg info;
	unsigned char meta[DEVMEM_META_IO_MAX];
	struct devmem_ns_arg ns[DEVMEM_MAX_NAMESPACES];
} * prot;
static unsigned int nprot;

static uint64_t scratch_phys, scratch_size, scratch_id;
static unsigned char *arena;   /* rw page, rw page, PROT_NONE page, ro page */
static unsigned char *metabuf; /* DEVMEM_META_IO_MAX + PAGE, rw */

static uint64_t rnd(void)
{
	uint64_t x = (rng_state += 0x9e3779b97f4a7c15ull);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t pick(const uint64_t *v, size_t n)
{
	return v[rnd() % n];
}

#define PICK(a) pick(a, sizeof(a) / sizeof(a[0]))

static int xioctl(unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static int cmd_slot(unsigned long cmd)
{
	for (unsigned int i = 0; i < NCMDS; i++)
		if (cmds[i] == cmd)
			return (int)i;
	return -1;
}

static struct prot *prot_find(uint64_t id)
{
	for (unsigned int i = 0; i < nprot; i++)
		if (prot[i].id == id)
			return &prot[i];
	return NULL;
}

/* A guard read refused because the range holds a mapped namespace's data
 * or memmap is no failure: the write it guards is refused the same way. */
static int prot_busy(int rc)
{
	return rc == -EBUSY ? 0 : rc;
}

static void bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void bad(const char *fmt, ...)
{
	if (failures++ < 20) {
		va_list ap;

		printf("FAIL ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		putchar('\n');
	}
}

/* a value for a physical address or a size */
static uint64_t phys_value(void)
{
	const uint64_t ram[] = {0, 0x1000, 0x100000, 0x1000000, 0x40000000};
	uint64_t base = scratch_phys;

	if (nprot && rnd() % 3 == 0)
		base = prot[rnd() % nprot].info.phys;
	switch (rnd() % 10) {
	case 0:
		return PICK(ram);
	case 1:
		return rnd();
	case 2:
		return ~0ull - (rnd() % 3) * PAGE;
	case 3:
		return base + (rnd() % 64) * PAGE;
	case 4:
		return base + rnd() % (1 << 20); /* often unaligned */
	case 5:
		return base - PAGE;
	default:
		return base;
	}
}

static uint64_t size_value(void)
{
	const uint64_t v[] = {
		0,
		1,
		PAGE - 1,
		PAGE,
		DEVMEM_SUBSECTION_SIZE,
		2 * DEVMEM_SUBSECTION_SIZE,
		2 * DEVMEM_SUBSECTION_SIZE + PAGE,
		DEVMEM_META_IO_MAX,
		DEVMEM_SECTION_SIZE,
		~0ull,
		~0ull - PAGE + 1,
		1ull << 63,
		1ull << 52,
	};

	switch (rnd() % 6) {
	case 0:
		return PICK(v);
	case 1:
		return rnd();
	case 2:
		return scratch_size - (rnd() % 4) * PAGE;
	case 3:
		return (rnd() % 64) * DEVMEM_SUBSECTION_SIZE;
	default:
		return (1 + rnd() % 8192) * PAGE;
	}
}

static uint64_t offset_value(void)
{
	const uint64_t v[] = {0,
			      PAGE,
			      DEVMEM_META_IO_MAX - PAGE,
			      DEVMEM_META_IO_MAX,
			      DEVMEM_META_IO_MAX + 1,
			      DEVMEM_SUBSECTION_SIZE,
			      DEVMEM_SUBSECTION_SIZE - PAGE,
			      ~0ull,
			      ~0ull - PAGE + 1,
			      1ull << 63};

	switch (rnd() % 4) {
	case 0:
		return PICK(v);
	case 1:
		return rnd();
	default:
		return (rnd() % 16384) * PAGE;
	}
}

static uint64_t id_value(void)
{
	const uint64_t v[] = {0, 1, 2, 3, 63, 64, 65, 1ull << 32, ~0ull};

	switch (rnd() % 4) {
	case 0:
		return nprot ? prot[rnd() % nprot].id : 0;
	case 1:
		return scratch_id;
	case 2:
		return PICK(v);
	default:
		return rnd() % 8;
	}
}

static uint64_t index_value(void)
{
	const uint64_t v[] = {0, 1, 2, 3, 4, 1023, 1024, 1ull << 32, ~0ull};

	return rnd() % 2 ? PICK(v) : rnd() % 16;
}

static uint64_t buf_value(void)
{
	switch (rnd() % 10) {
	case 0:
		return 0;
	case 1:
		return 0xffffffff81000000ull; /* kernel text */
	case 2:
		return (uintptr_t)(arena + 2 * PAGE); /* PROT_NONE */
	case 3:
		return (uintptr_t)(arena + 3 * PAGE); /* read-only */
	case 4:
		return (uintptr_t)(arena + 2 * PAGE - 64); /* runs into none */
	case 5:
		return rnd();
	default:
		return (uintptr_t)metabuf + (rnd() % 2 ? 0 : rnd() % PAGE);
	}
}

/* Fill @w (NWORDS words) with random fields for @cmd. */
static void fill(unsigned long cmd, uint64_t *w)
{
	struct devmem_region_arg *ra = (void *)w;
	struct devmem_meta_arg *ma = (void *)w;
	struct devmem_ns_arg *na = (void *)w;
	const uint64_t maps[] = {0, DEVMEM_MAP_DEV, DEVMEM_MAP_MEM, 3, ~0ull};
	const uint64_t modes[] = {0, DEVMEM_MODE_DEVDAX, DEVMEM_MODE_FSDAX, 3,
				  ~0ull};
	const uint64_t aligns[] = {DEVMEM_PAGE_SIZE,
				   DEVMEM_SUBSECTION_SIZE,
				   0,
				   1,
				   1ull << 30,
				   ~0ull};

	for (unsigned int i = 0; i < NWORDS; i++)
		w[i] = rnd() % 4 ? 0 : rnd();
	switch (cmd) {
	case DEVMEM_IOC_REGION_CLAIM:
	case DEVMEM_IOC_REGION_RELEASE:
	case DEVMEM_IOC_REGION_INFO:
		memset(ra, 0, sizeof(*ra));
		ra->id = id_value();
		ra->phys = phys_value();
		ra->size = size_value();
		ra->flags = rnd() % 8 ? 0 : rnd() % 2 ? 1 : rnd();
		break;
	case DEVMEM_IOC_META_READ:
	case DEVMEM_IOC_META_WRITE:
		memset(ma, 0, sizeof(*ma));
		ma->id = id_value();
		ma->offset =
			rnd() % 3 ? rnd() % DEVMEM_META_IO_MAX : offset_value();
		ma->length = rnd() % 3 ? 1 + rnd() % DEVMEM_META_IO_MAX
				       : size_value();
		ma->buf = buf_value();
		break;
	case DEVMEM_IOC_NS_MAP:
	case DEVMEM_IOC_NS_UNMAP:
	case DEVMEM_IOC_NS_INFO:
		memset(na, 0, sizeof(*na));
		na->id = id_value();
		na->index = index_value();
		na->resv_offset = offset_value();
		na->offset = rnd() % 2 ? na->resv_offset + (rnd() % 1024) * PAGE
				       : offset_value();
		na->size = size_value();
		na->align = PICK(aligns);
		na->map = PICK(maps);
		na->mode = PICK(modes);
		if (rnd() % 2) { /* plausible: whole sub-sections, in range */
			na->resv_offset = (rnd() % 24) * DEVMEM_SUBSECTION_SIZE;
			na->offset = na->resv_offset + DEVMEM_SUBSECTION_SIZE;
			na->size = (1 + rnd() % 4) * DEVMEM_SUBSECTION_SIZE -
				   (rnd() % 2) * PAGE;
			na->index = rnd() % 8;
			na->align = aligns[rnd() % 2];
			na->map = maps[1 + rnd() % 2];
			na->mode = modes[1 + rnd() % 2];
		}
		if (rnd() % 4 == 0) /* garbage in the (out) fields */
			na->align_effective = rnd(), na->pgmap_start = rnd();
		break;
	}
	w[0] = rnd() % 10
		       ? DEVMEM_ABI_VERSION
		       : (const uint64_t[]){0, 1, 3, ~0ull, rnd()}[rnd() % 5];
	if (cmd_slot(cmd) > 0 && rnd() % 10 == 0) /* reserved */
		w[_IOC_SIZE(cmd) / 8 - 1] = 1 + rnd() % 0xffff;
}

/* Where the argument goes: mostly a good spot, sometimes a hostile one. */
static void *arg_place(size_t size, bool *faults, bool *ro)
{
	*faults = false;
	*ro = false;
	switch (rnd() % 16) {
	case 0:
		*faults = true;
		return NULL;
	case 1:
		*faults = true;
		return (void *)0xffff888000000000ull; /* the direct map */
	case 2:
		*faults = true;
		return arena + 2 * PAGE; /* PROT_NONE */
	case 3:
		*faults = true;
		return arena + 2 * PAGE - size / 2; /* runs into PROT_NONE */
	case 4:
		*ro = true;
		return arena + 3 * PAGE; /* in readable, out faults */
	default:
		return arena + PAGE - (rnd() % 2 ? size : 0);
	}
}

/* the namespace index @a names is mapped in a protected region */
static bool prot_ns_mapped(const struct devmem_ns_arg *a)
{
	struct devmem_ns_arg q = {
		.abi = DEVMEM_ABI_VERSION, .id = a->id, .index = a->index};

	return !xioctl(DEVMEM_IOC_NS_INFO, &q) && q.mapped;
}

/*
 * Turn a call that would change protected region state into a harmless
 * one. Returns true when the call was changed.
 */
static bool guard(unsigned long cmd, uint64_t *w)
{
	struct devmem_meta_arg *ma = (void *)w;
	struct devmem_ns_arg *na = (void *)w;

	if (cmd == DEVMEM_IOC_NS_UNMAP && prot_find(na->id) &&
	    prot_ns_mapped(na)) {
		na->index |= DEVMEM_MAX_NAMESPACES; /* out of range */
		return true;
	}
	if (cmd == DEVMEM_IOC_META_WRITE && prot_find(ma->id)) {
		struct devmem_meta_arg rd = *ma;

		/* write back exactly what is there */
		rd.buf = ma->buf = (uintptr_t)metabuf;
		if (w[0] == DEVMEM_ABI_VERSION && !rd.reserved &&
		    prot_busy(xioctl(DEVMEM_IOC_META_READ, &rd)) && rd.length &&
		    rd.offset < DEVMEM_META_IO_MAX &&
		    rd.length <= DEVMEM_META_IO_MAX - rd.offset) {
			/* the read failed although the range is valid */
			bad("guard read of region %llu failed", rd.id);
		}
		return true;
	}
	return false;
}

static bool errno_allowed(int e)
{
	switch (e) {
	case EINVAL:
	case ERANGE:
	case ENOENT:
	case EBUSY:
	case EEXIST:
	case ENXIO:
	case ENOSPC:
	case EFAULT:
	case EPERM:
	case EPROTONOSUPPORT:
	case ENOTTY:
		return true;
	default:
		return false;
	}
}

/*
 * The result @rc of @cmd (slot @s, -1 for a number devmem does not
 * have) must be one the ABI allows. The dispatcher checks in this order:
 * the number, the capability, the copy in, abi, reserved.
 */
static void expect(unsigned long cmd, int s, const uint64_t *w, bool faults,
		   int rc, unsigned long n)
{
	const char *name = s < 0 ? "other" : cmd_names[s];
	int want = 1; /* 1: any allowed result */

	if (s < 0)
		want = -ENOTTY;
	else if (faults)
		want = -EFAULT;
	else if (s == 0)
		want = 0;
	else if (w[0] != DEVMEM_ABI_VERSION)
		want = -EPROTONOSUPPORT;
	else if (w[_IOC_SIZE(cmd) / 8 - 1])
		want = -EINVAL;
	if (want != 1 && rc != want)
		bad("call %lu: %s (0x%lx): got %d (%s), want %d (%s)", n, name,
		    cmd, rc, strerror(-rc), want, strerror(-want));
	else if (rc && !errno_allowed(-rc))
		bad("call %lu: %s: unexpected error %d (%s)", n, name, rc,
		    strerror(-rc));
	results[-rc < MAX_ERRNO ? -rc : 0]++;
}

/* A number that is not one of devmem's. */
static unsigned long other_cmd(void)
{
	const unsigned long v[] = {TCGETS,
				   FIONREAD,
				   TIOCGWINSZ,
				   0,
				   ~0ul,
				   _IO(DEVMEM_IOC_MAGIC, 0x09),
				   _IOWR(DEVMEM_IOC_MAGIC, 0xff, uint64_t)};
	unsigned long c;

	if (rnd() % 3 == 0)
		return v[rnd() % (sizeof(v) / sizeof(v[0]))];
	for (;;) {
		if (rnd() % 2) /* devmem's magic, any number, size, direction */
			c = _IOC(rnd() % 4, DEVMEM_IOC_MAGIC, rnd() % 16,
				 rnd() % 2 ? rnd() % 256 : rnd() % 0x4000);
		else
			c = (uint32_t)rnd();
		/* numbers the VFS itself serves (FIOCLEX, FIFREEZE, ...) */
		switch (_IOC_TYPE(c)) {
		case 0x00:
		case 'T':
		case 'X':
		case 'f':
		case 0x94:
			continue;
		}
		if (cmd_slot(c) < 0)
			return c;
	}
}

/* After a successful call, keep the protected regions as they were. */
static void after(unsigned long cmd, const uint64_t *w)
{
	const struct devmem_ns_arg *na = (const void *)w;

	if (cmd == DEVMEM_IOC_NS_MAP && prot_find(na->id)) {
		struct devmem_ns_arg u = {.abi = DEVMEM_ABI_VERSION,
					  .id = na->id,
					  .index = na->index};

		/* a namespace of ours in a protected region: take it away */
		if (xioctl(DEVMEM_IOC_NS_UNMAP, &u))
			bad("unmapping fuzz namespace %llu.%llu failed", na->id,
			    na->index);
		guarded++;
	}
}

static void snapshot_ns(uint64_t id, struct devmem_ns_arg *ns)
{
	for (uint64_t i = 0; i < DEVMEM_MAX_NAMESPACES; i++) {
		memset(&ns[i], 0, sizeof(ns[i]));
		ns[i].abi = DEVMEM_ABI_VERSION;
		ns[i].id = id;
		ns[i].index = i;
		if (xioctl(DEVMEM_IOC_NS_INFO, &ns[i]))
			bad("NS_INFO %" PRIu64 ".%" PRIu64 " failed", id, i);
	}
}

static int snapshot(struct prot *p, uint64_t id)
{
	struct devmem_meta_arg m = {.abi = DEVMEM_ABI_VERSION,
				    .id = id,
				    .length = DEVMEM_META_IO_MAX,
				    .buf = (uintptr_t)p->meta};

	p->id = id;
	memset(&p->info, 0, sizeof(p->info));
	p->info.abi = DEVMEM_ABI_VERSION;
	p->info.id = id;
	if (xioctl(DEVMEM_IOC_REGION_INFO, &p->info))
		return -1;
	if (xioctl(DEVMEM_IOC_META_READ, &m))
		bad("META_READ of region %" PRIu64 " failed", id);
	snapshot_ns(id, p->ns);
	return 0;
}

static void compare(const struct prot *p)
{
	static struct prot now;
	unsigned int mapped = 0;
	int before = failures;

	if (snapshot(&now, p->id)) {
		bad("region %" PRIu64 " is gone", p->id);
		return;
	}
	if (memcmp(&now.info, &p->info, sizeof(now.info)))
		bad("region %" PRIu64 ": REGION_INFO changed", p->id);
	if (memcmp(now.meta, p->meta, sizeof(now.meta)))
		bad("region %" PRIu64 ": metadata area changed", p->id);
	for (unsigned int i = 0; i < DEVMEM_MAX_NAMESPACES; i++) {
		if (memcmp(&now.ns[i], &p->ns[i], sizeof(now.ns[i])))
			bad("region %" PRIu64 " ns %u: NS_INFO changed", p->id,
			    i);
		mapped += !!p->ns[i].mapped;
	}
	if (failures != before)
		return;
	printf("region %" PRIu64 ": info, 128 KiB metadata, %u mapped "
	       "namespaces: unchanged\n",
	       p->id, mapped);
}

/* Unmap and release every region the fuzzer claimed. */
static unsigned int cleanup(void)
{
	unsigned int n = 0;

	for (uint64_t id = 0; id < DEVMEM_MAX_REGIONS; id++) {
		struct devmem_region_arg r = {.abi = DEVMEM_ABI_VERSION,
					      .id = id};

		if (prot_find(id) || xioctl(DEVMEM_IOC_REGION_INFO, &r))
			continue;
		for (uint64_t i = 0; r.nr_mapped && i < DEVMEM_MAX_NAMESPACES;
		     i++) {
			struct devmem_ns_arg u = {.abi = DEVMEM_ABI_VERSION,
						  .id = id,
						  .index = i};

			xioctl(DEVMEM_IOC_NS_UNMAP, &u);
		}
		r.nr_mapped = 0;
		if (xioctl(DEVMEM_IOC_REGION_RELEASE, &r))
			bad("releasing fuzz region %" PRIu64 " failed", id);
		n++;
	}
	return n;
}

/*
 * What a claim or a map with argument @w could change: the number of
 * claimed regions, or whether namespace (id, index) is mapped.
 */
static uint64_t state_of(unsigned long cmd, const uint64_t *w)
{
	const struct devmem_ns_arg *na = (const void *)w;
	uint64_t n = 0;

	if (cmd == DEVMEM_IOC_REGION_CLAIM) {
		for (uint64_t id = 0; id < DEVMEM_MAX_REGIONS; id++) {
			struct devmem_region_arg r = {.abi = DEVMEM_ABI_VERSION,
						      .id = id};

			n += !xioctl(DEVMEM_IOC_REGION_INFO, &r);
		}
	} else if (cmd == DEVMEM_IOC_NS_MAP) {
		struct devmem_ns_arg q = {.abi = DEVMEM_ABI_VERSION,
					  .id = na->id,
					  .index = na->index};

		n = !xioctl(DEVMEM_IOC_NS_INFO, &q) && q.mapped;
	}
	return n;
}

static void summary(unsigned long calls)
{
	printf("%lu calls:", calls);
	for (unsigned int i = 0; i < NCMDS; i++)
		printf(" %s %lu (ok %lu),", cmd_names[i], calls_per_cmd[i],
		       successes[i]);
	printf(" other numbers %lu\nresults:", calls_per_cmd[NCMDS]);
	for (int e = 0; e < MAX_ERRNO; e++)
		if (results[e])
			printf(" %s %lu,", e ? strerror(e) : "success",
			       results[e]);
	printf(" guarded %lu, EFAULT on the way out (read-only argument) %lu\n",
	       guarded, ro_efault);
}

static int fuzz_root(unsigned long calls)
{
	struct devmem_region_arg c = {.abi = DEVMEM_ABI_VERSION,
				      .phys = scratch_phys,
				      .size = scratch_size};
	uint64_t w[NWORDS];
	unsigned long n;

	prot = calloc(DEVMEM_MAX_REGIONS, sizeof(*prot));
	if (!prot)
		return 2;
	for (uint64_t id = 0; id < DEVMEM_MAX_REGIONS; id++)
		if (!snapshot(&prot[nprot], id))
			nprot++;
	printf("%u protected regions\n", nprot);
	if (xioctl(DEVMEM_IOC_REGION_CLAIM, &c)) {
		printf("FAIL cannot claim the scratch range %#" PRIx64
		       "+%#" PRIx64 ": %s\n",
		       scratch_phys, scratch_size, strerror(errno));
		return 1;
	}
	scratch_id = c.id;
	for (n = 0; n < calls; n++) {
		unsigned long cmd;
		bool faults, ro;
		int s, rc;
		void *arg;

		if (rnd() % 10 == 0) {
			cmd = other_cmd();
			s = -1;
		} else {
			s = (int)(rnd() % NCMDS);
			cmd = cmds[s];
		}
		fill(cmd, w);
		if (s > 0 && guard(cmd, w))
			guarded++;
		arg = arg_place(_IOC_SIZE(cmd), &faults, &ro);
		if (ro) {
			/* the read-only page: fill it while it is writable */
			mprotect(arg, PAGE, PROT_READ | PROT_WRITE);
			memcpy(arg, w, sizeof(w));
			mprotect(arg, PAGE, PROT_READ);
		} else if (!faults && s >= 0) {
			memcpy(arg, w, _IOC_SIZE(cmd));
		}
		uint64_t state_before = ro ? state_of(cmd, w) : 0;

		rc = xioctl(cmd, s < 0 ? (void *)(uintptr_t)rnd() : arg);
		calls_per_cmd[s < 0 ? NCMDS : (unsigned int)s]++;
		if (s < 0) {
			expect(cmd, s, w, false, rc, n);
			continue;
		}
		if (ro && (_IOC_DIR(cmd) & _IOC_READ)) {
			/*
			 * The result cannot reach us: the call must fail, and
			 * a claim or a map must leave nothing behind.
			 */
			if (!rc)
				bad("call %lu: %s succeeded with a read-only "
				    "argument",
				    n, cmd_names[s]);
			if (rc == -EFAULT)
				ro_efault++;
			if (state_before != state_of(cmd, w))
				bad("call %lu: %s failed (%d) but changed "
				    "state",
				    n, cmd_names[s], rc);
			results[-rc < MAX_ERRNO ? -rc : 0]++;
			continue;
		}
		expect(cmd, s, w, faults, rc, n);
		if (!rc) {
			successes[s]++;
			after(cmd, w);
			/* the scratch range claimed again: its id */
			if (cmd == DEVMEM_IOC_REGION_CLAIM && !ro)
				scratch_id =
					((struct devmem_region_arg *)arg)->id;
		}
	}
	summary(calls);
	printf("fuzz regions released at the end: %u\n", cleanup());
	for (unsigned int i = 0; i < nprot; i++)
		compare(&prot[i]);
	return failures ? 1 : 0;
}

static int fuzz_user(unsigned long calls)
{
	struct passwd *pw = getpwnam("nobody");
	uint64_t w[NWORDS];
	int fd2;

	if (!pw || setgid(pw->pw_gid) || setuid(pw->pw_uid)) {
		printf("FAIL cannot become nobody\n");
		return 1;
	}
	fd2 = open("/dev/" DEVMEM_CTL_NAME, O_RDWR);
	if (fd2 >= 0 || errno != EACCES)
		bad("open /dev/devmem as nobody: got %d (%s), want EACCES", fd2,
		    fd2 < 0 ? strerror(errno) : "opened");
	else
		printf("open /dev/devmem as nobody: EACCES\n");
	for (unsigned long n = 0; n < calls; n++) {
		int s = rnd() % 10 ? (int)(rnd() % NCMDS) : -1;
		unsigned long cmd = s < 0 ? other_cmd() : cmds[s];
		bool faults, ro;
		void *arg;
		int rc, want;

		fill(cmd, w);
		arg = arg_place(_IOC_SIZE(cmd), &faults, &ro);
		if (!faults && !ro && s >= 0)
			memcpy(arg, w, _IOC_SIZE(cmd));
		rc = xioctl(cmd, arg);
		calls_per_cmd[s < 0 ? NCMDS : (unsigned int)s]++;
		want = s < 0	? -ENOTTY
		       : s == 0 ? (faults || ro ? -EFAULT : 0)
				: -EPERM;
		if (rc != want)
			bad("call %lu as nobody: %s: got %d (%s), want %d", n,
			    s < 0 ? "other" : cmd_names[s], rc, strerror(-rc),
			    want);
		results[-rc < MAX_ERRNO ? -rc : 0]++;
		if (!rc && s >= 0)
			successes[s]++;
	}
	summary(calls);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	unsigned long calls;
	int rc;

	if (argc < 4 || (strcmp(argv[1], "root") && strcmp(argv[1], "user")) ||
	    (!strcmp(argv[1], "root") && argc != 6)) {
		fprintf(stderr, "usage: ioctl-fuzz root SEED CALLS PHYS SIZE\n"
				"       ioctl-fuzz user SEED CALLS\n");
		return 2;
	}
	rng_state = strtoull(argv[2], NULL, 0);
	calls = strtoul(argv[3], NULL, 0);
	printf("ioctl-fuzz %s: seed %s, %lu calls\n", argv[1], argv[2], calls);
	arena = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	metabuf = mmap(NULL, DEVMEM_META_IO_MAX + PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arena == MAP_FAILED || metabuf == MAP_FAILED ||
	    mprotect(arena + 2 * PAGE, PAGE, PROT_NONE) ||
	    mprotect(arena + 3 * PAGE, PAGE, PROT_READ)) {
		perror("mmap");
		return 2;
	}
	fd = open("/dev/" DEVMEM_CTL_NAME, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("/dev/" DEVMEM_CTL_NAME);
		return 2;
	}
	if (!strcmp(argv[1], "root")) {
		scratch_phys = strtoull(argv[4], NULL, 0);
		scratch_size = strtoull(argv[5], NULL, 0);
		rc = fuzz_root(calls);
	} else {
		rc = fuzz_user(calls);
	}
	if (failures)
		printf("%d unexpected results\n", failures);
	return rc;
}
