// SPDX-License-Identifier: GPL-2.0
/*
 * Drive /dev/devmem with raw ioctls, good and hostile, on one claimable
 * pmem range. Run as root in the VM with the region disabled in libnvdimm:
 *   ioctl-test PHYS SIZE
 * Two more modes check a single refusal each:
 *   ioctl-test --busy PHYS SIZE    the range is owned by another driver
 *   ioctl-test --no-cap PHYS SIZE  run without CAP_SYS_ADMIN
 * Prints one line per check and exits non-zero if any check failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/devmem.h>

#define SZ_2M	0x200000ull
#define SZ_128M 0x8000000ull

static int failures;

/* ioctl wrapper: 0 or -errno */
static int dm_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static void expect(const char *what, int got, int want)
{
	if (got == want) {
		printf("ok   %s (%d)\n", what, got);
		return;
	}
	printf("FAIL %s: got %d (%s), want %d (%s)\n", what, got,
	       strerror(-got), want, strerror(-want));
	failures++;
}

static int claim(int fd, uint64_t phys, uint64_t size, uint64_t *id)
{
	struct devmem_region_arg a = {
		.abi = DEVMEM_ABI_VERSION, .phys = phys, .size = size};
	int rc = dm_ioctl(fd, DEVMEM_IOC_REGION_CLAIM, &a);

	if (!rc && id)
		*id = a.id;
	return rc;
}

static int release(int fd, uint64_t id)
{
	struct devmem_region_arg a = {.abi = DEVMEM_ABI_VERSION, .id = id};

	return dm_ioctl(fd, DEVMEM_IOC_REGION_RELEASE, &a);
}

static int ns_map(int fd, struct devmem_ns_arg *a)
{
	a->abi = DEVMEM_ABI_VERSION;
	return dm_ioctl(fd, DEVMEM_IOC_NS_MAP, a);
}

static int ns_unmap(int fd, uint64_t id, uint64_t index)
{
	struct devmem_ns_arg a = {
		.abi = DEVMEM_ABI_VERSION, .id = id, .index = index};

	return dm_ioctl(fd, DEVMEM_IOC_NS_UNMAP, &a);
}

static struct devmem_ns_arg ns_info(int fd, uint64_t id, uint64_t index)
{
	struct devmem_ns_arg a = {
		.abi = DEVMEM_ABI_VERSION, .id = id, .index = index};

	if (dm_ioctl(fd, DEVMEM_IOC_NS_INFO, &a))
		a.mapped = 0;
	return a;
}

static int meta_io(int fd, uint64_t id, unsigned long cmd, uint64_t off,
		   uint64_t len, void *buf)
{
	struct devmem_meta_arg a = {.abi = DEVMEM_ABI_VERSION,
				    .id = id,
				    .offset = off,
				    .length = len,
				    .buf = (uintptr_t)buf};

	return dm_ioctl(fd, cmd, &a);
}

/* write a pattern through the dax node and read it back through a 2nd map */
static int dax_rw(const char *node, uint64_t size)
{
	size_t len = size < 8 * SZ_2M ? size : 8 * SZ_2M;
	unsigned char *p, *q;
	int fd, rc = -1;

	fd = open(node, O_RDWR);
	if (fd < 0)
		return -errno;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	q = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED && q != MAP_FAILED) {
		for (size_t i = 0; i < len; i += 4096)
			p[i] = (unsigned char)(i >> 12) ^ 0x5a;
		rc = 0;
		for (size_t i = 0; i < len; i += 4096)
			if (q[i] != (unsigned char)((i >> 12) ^ 0x5a))
				rc = -EIO;
	} else {
		rc = -errno;
	}
	if (p != MAP_FAILED)
		munmap(p, len);
	if (q != MAP_FAILED)
		munmap(q, len);
	close(fd);
	return rc;
}

/*
 * An fsdax block device: read at @off what META_WRITE put on media before
 * the map (@want), then write @pat at the start and the end of the device
 * and fsync (bios through submit_bio).
 */
static int blk_rw(const char *node, uint64_t size, uint64_t off,
		  const unsigned char *want, const unsigned char *pat)
{
	unsigned char got[4096];
	int fd, rc = 0;

	fd = open(node, O_RDWR);
	if (fd < 0)
		return -errno;
	if (pread(fd, got, sizeof(got), (off_t)off) != sizeof(got) ||
	    memcmp(got, want, sizeof(got)))
		rc = -EIO;
	if (!rc &&
	    (pwrite(fd, pat, 4096, 0) != 4096 ||
	     pwrite(fd, pat, 4096, (off_t)(size - 4096)) != 4096 || fsync(fd)))
		rc = -errno;
	close(fd);
	return rc;
}

/* the --busy and --no-cap modes */
static int refusal(int fd, const char *mode, uint64_t phys, uint64_t size)
{
	struct devmem_version v = {0};
	unsigned char buf[64];

	if (!strcmp(mode, "--busy")) {
		expect("claim a range another driver owns",
		       claim(fd, phys, size, NULL), -EBUSY);
	} else if (!strcmp(mode, "--no-cap")) {
		expect("version without CAP_SYS_ADMIN",
		       dm_ioctl(fd, DEVMEM_IOC_VERSION, &v), 0);
		expect("claim without CAP_SYS_ADMIN",
		       claim(fd, phys, size, NULL), -EPERM);
		expect("meta read without CAP_SYS_ADMIN",
		       meta_io(fd, 0, DEVMEM_IOC_META_READ, 0, sizeof(buf),
			       buf),
		       -EPERM);
	} else {
		fprintf(stderr, "unknown mode %s\n", mode);
		return 2;
	}
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct devmem_version v = {0};
	struct devmem_region_arg ra;
	struct devmem_ns_arg na, head_arg;
	uint64_t phys, size, id = 0, id2;
	static unsigned char buf[DEVMEM_META_IO_MAX], back[DEVMEM_META_IO_MAX];
	char node[64];
	const char *mode = NULL;
	struct stat st;
	int fd;

	if (argc == 4 && argv[1][0] == '-') {
		mode = argv[1];
		argv++; /* PHYS SIZE follow the mode */
	} else if (argc != 3) {
		fprintf(stderr, "usage: %s [--busy|--no-cap] PHYS SIZE\n",
			argv[0]);
		return 2;
	}
	phys = strtoull(argv[1], NULL, 0);
	size = strtoull(argv[2], NULL, 0);
	fd = open("/dev/devmem", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("/dev/devmem");
		return 1;
	}
	if (mode)
		return refusal(fd, mode, phys, size);

	/* 1. version handshake */
	expect("version", dm_ioctl(fd, DEVMEM_IOC_VERSION, &v), 0);
	expect("version abi is 4", (int)v.abi, 4);
	expect("unknown ioctl is ENOTTY", dm_ioctl(fd, _IO(0xDE, 0x7f), &v),
	       -ENOTTY);

	/* 2. shared field checks */
	ra = (struct devmem_region_arg){
		.abi = DEVMEM_ABI_VERSION + 1, .phys = phys, .size = size};
	expect("wrong abi", dm_ioctl(fd, DEVMEM_IOC_REGION_CLAIM, &ra),
	       -EPROTONOSUPPORT);
	ra = (struct devmem_region_arg){.abi = DEVMEM_ABI_VERSION,
					.phys = phys,
					.size = size,
					.reserved = 1};
	expect("reserved set", dm_ioctl(fd, DEVMEM_IOC_REGION_CLAIM, &ra),
	       -EINVAL);
	ra.reserved = 0;
	ra.flags = 1ull << 7;
	expect("unknown claim flag", dm_ioctl(fd, DEVMEM_IOC_REGION_CLAIM, &ra),
	       -EINVAL);
	/* firmware describes this range: "undescribed" finds its resource */
	ra.flags = DEVMEM_CLAIM_UNDESCRIBED;
	expect("undescribed claim of NFIT pmem",
	       dm_ioctl(fd, DEVMEM_IOC_REGION_CLAIM, &ra), -EBUSY);
	expect("bad pointer", dm_ioctl(fd, DEVMEM_IOC_REGION_CLAIM, (void *)8),
	       -EFAULT);

	/* 3. hostile claims */
	expect("claim unaligned start", claim(fd, phys + 1, size - 4096, NULL),
	       -EINVAL);
	expect("claim unaligned size", claim(fd, phys, size - 1, NULL),
	       -EINVAL);
	expect("claim zero size", claim(fd, phys, 0, NULL), -EINVAL);
	expect("claim overflowing", claim(fd, ~0ull - 4095, 8192, NULL),
	       -EINVAL);
	expect("claim beyond physical address bits",
	       claim(fd, 1ull << 60, 64 * SZ_2M, NULL), -ERANGE);
	expect("claim System RAM", claim(fd, 0x1000000, 64 * SZ_2M, NULL),
	       -EPERM);
	expect("claim past the pmem end", claim(fd, phys, size + SZ_2M, NULL),
	       -EINVAL);

	/* 4. the real claim, then overlaps */
	expect("claim region", claim(fd, phys, size, &id), 0);
	expect("claim same range again", claim(fd, phys, size, NULL), -EBUSY);
	expect("claim overlapping tail",
	       claim(fd, phys + size / 2, size / 2, NULL), -EBUSY);
	ra = (struct devmem_region_arg){.abi = DEVMEM_ABI_VERSION, .id = id};
	expect("region info", dm_ioctl(fd, DEVMEM_IOC_REGION_INFO, &ra), 0);
	expect("region info phys matches", ra.phys == phys, 1);
	ra.id = 63;
	expect("info of unclaimed id",
	       dm_ioctl(fd, DEVMEM_IOC_REGION_INFO, &ra), -ENOENT);

	/* 5. metadata I/O, anywhere in the region */
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 7);
	expect("meta write",
	       meta_io(fd, id, DEVMEM_IOC_META_WRITE, 0, sizeof(buf), buf), 0);
	expect("meta read",
	       meta_io(fd, id, DEVMEM_IOC_META_READ, 0, sizeof(back), back), 0);
	expect("meta bytes read back equal",
	       memcmp(buf, back, sizeof(buf)) == 0, 1);
	expect("meta write past the region end",
	       meta_io(fd, id, DEVMEM_IOC_META_WRITE, size - 8, 16, buf),
	       -EINVAL);
	expect("meta write at the region's tail",
	       meta_io(fd, id, DEVMEM_IOC_META_WRITE, size - sizeof(buf),
		       sizeof(buf), buf),
	       0);
	expect("meta read at the region's tail",
	       meta_io(fd, id, DEVMEM_IOC_META_READ, size - sizeof(back),
		       sizeof(back), back),
	       0);
	expect("tail bytes read back equal",
	       memcmp(buf, back, sizeof(buf)) == 0, 1);
	expect("meta read longer than DEVMEM_META_IO_MAX",
	       meta_io(fd, id, DEVMEM_IOC_META_READ, 0, DEVMEM_META_IO_MAX + 1,
		       buf),
	       -EINVAL);
	expect("meta read huge length",
	       meta_io(fd, id, DEVMEM_IOC_META_READ, 8, ~0ull, buf), -EINVAL);
	expect("meta bad buffer",
	       meta_io(fd, id, DEVMEM_IOC_META_READ, 0, 64, (void *)8),
	       -EFAULT);
	memset(buf, 0, sizeof(buf));
	expect("meta zeroed",
	       meta_io(fd, id, DEVMEM_IOC_META_WRITE, 0, sizeof(buf), buf), 0);
	expect("tail zeroed",
	       meta_io(fd, id, DEVMEM_IOC_META_WRITE, size - sizeof(buf),
		       sizeof(buf), buf),
	       0);

	/* 6. hostile namespace maps */
	na = (struct devmem_ns_arg){.id = id,
				    .index = 0,
				    .resv_offset = DEVMEM_META_IO_MAX,
				    .offset = DEVMEM_META_IO_MAX + 3 * SZ_2M,
				    .size = 64 * SZ_2M,
				    .align = 4096,
				    .map = DEVMEM_MAP_MEM,
				    .mode = DEVMEM_MODE_DEVDAX};
	{
		struct devmem_ns_arg bad = na;

		bad.map = 0;
		expect("map=0", ns_map(fd, &bad), -EINVAL);
		bad = na;
		bad.mode = 0;
		expect("mode=0", ns_map(fd, &bad), -EINVAL);
		bad = na;
		bad.mode = DEVMEM_MODE_FSDAX + 1;
		expect("mode=3", ns_map(fd, &bad), -EINVAL);
		bad = na;
		bad.align = 8192;
		expect("align 8K", ns_map(fd, &bad), -EINVAL);
		bad = na;
		bad.offset += 1;
		expect("unaligned offset", ns_map(fd, &bad), -EINVAL);
		bad = na;
		bad.resv_offset = 0;
		bad.offset = 0;
		expect("data over the anchor page", ns_map(fd, &bad), -ERANGE);
		bad = na;
		bad.size = size;
		expect("data past region end", ns_map(fd, &bad), -ERANGE);
		bad = na;
		bad.size = ~0ull - 4095;
		expect("size overflow", ns_map(fd, &bad), -EINVAL);
		bad = na;
		bad.resv_offset = bad.offset - 4096;
		expect("front pad too small", ns_map(fd, &bad), -ERANGE);
		bad = na;
		bad.index = DEVMEM_MAX_NAMESPACES;
		expect("index too large", ns_map(fd, &bad), -EINVAL);
		bad = na;
		bad.id = 63;
		expect("unclaimed region", ns_map(fd, &bad), -ENOENT);
		bad = na;
		bad.map = DEVMEM_MAP_DEV;
		/* spans whole sections, no memmap room */
		bad.size = (size - bad.offset - 2 * SZ_2M) & ~(SZ_2M - 1);
		bad.resv_offset = bad.offset - SZ_2M;
		expect("dev map without memmap room", ns_map(fd, &bad),
		       -ENOSPC);
	}

	/* 7. a good map, data through the dax node */
	expect("map ns0 (mem, 4K)", ns_map(fd, &na), 0);
	snprintf(node, sizeof(node), "/dev/dax%llu.%llu",
		 (unsigned long long)na.dax_region,
		 (unsigned long long)na.dax_id);
	expect("dax node exists", stat(node, &st) == 0 && S_ISCHR(st.st_mode),
	       1);
	printf("     %s pgmap [%#llx-%#llx) data [%#llx+%#llx)\n", node,
	       (unsigned long long)na.pgmap_start,
	       (unsigned long long)na.pgmap_end,
	       (unsigned long long)(phys + na.offset),
	       (unsigned long long)na.size);
	expect("dax read back", dax_rw(node, na.size), 0);
	expect("map ns0 again", ns_map(fd, &na), -EEXIST);
	expect("meta write into mapped data",
	       meta_io(fd, id, DEVMEM_IOC_META_WRITE,
		       na.offset + na.size - 4096, 4096, buf),
	       -EBUSY);
	expect("meta read of mapped data",
	       meta_io(fd, id, DEVMEM_IOC_META_READ, na.offset, 64, back),
	       -EBUSY);
	expect("meta write in the front pad of a map=mem namespace",
	       meta_io(fd, id, DEVMEM_IOC_META_WRITE, na.resv_offset, 4096,
		       buf),
	       0);
	{
		struct devmem_ns_arg clash = na;

		clash.index = 1;
		expect("overlapping pgmap", ns_map(fd, &clash), -EBUSY);
	}

	/* 8. a map=dev namespace with its memmap in the region */
	{
		struct devmem_ns_arg dev = na;
		uint64_t start = na.offset + na.size;
		uint64_t dsize = size - start - 16 * SZ_2M;

		dsize &= ~(SZ_2M - 1);
		dev.index = 1;
		dev.map = DEVMEM_MAP_DEV;
		dev.align = SZ_2M;
		dev.resv_offset = start;
		/* guard + 2M per possible whole section, then data */
		dev.offset = start + SZ_2M + 2 * SZ_2M * (dsize / SZ_128M + 2);
		dev.size = size - dev.offset - SZ_2M;
		dev.size &= ~(SZ_2M - 1);
		expect("map ns1 (dev, 2M)", ns_map(fd, &dev), 0);
		expect("meta write into the memmap of a map=dev namespace",
		       meta_io(fd, id, DEVMEM_IOC_META_WRITE,
			       dev.pgmap_start - phys, 4096, buf),
		       -EBUSY);
		printf("     align_effective %#llx\n",
		       (unsigned long long)dev.align_effective);
		snprintf(node, sizeof(node), "/dev/dax%llu.%llu",
			 (unsigned long long)dev.dax_region,
			 (unsigned long long)dev.dax_id);
		expect("dev dax read back", dax_rw(node, dev.size), 0);
		{
			struct devmem_ns_arg info = {
				.abi = DEVMEM_ABI_VERSION,
				.id = id,
				.index = 1,
			};

			expect("ns info ns1",
			       dm_ioctl(fd, DEVMEM_IOC_NS_INFO, &info), 0);
			expect("info reports the reservation",
			       info.mapped && info.resv_offset == start &&
				       info.offset == dev.offset &&
				       info.size == dev.size,
			       1);
		}
		expect("unmap ns1", ns_unmap(fd, id, 1), 0);
	}

	/* 9. teardown rules */
	expect("release while mapped", release(fd, id), -EBUSY);
	expect("unmap ns0", ns_unmap(fd, id, 0), 0);
	expect("unmap ns0 again", ns_unmap(fd, id, 0), -ENXIO);
	snprintf(node, sizeof(node), "/dev/dax%llu.%llu",
		 (unsigned long long)na.dax_region,
		 (unsigned long long)na.dax_id);
	expect("dax node gone", stat(node, &st), -1);

	/*
	 * 10. the first reservation may start at 0, over the anchor page: a
	 * map=dev namespace's altmap must then skip that page (altmap
	 * reserve) when the pgmap covers it (a 2 MiB-aligned base), and the
	 * anchor stays writable while the namespace is mapped.
	 */
	{
		struct devmem_ns_arg head = na;
		uint64_t n = size / SZ_128M + 1; /* memmap blocks: ample */

		head.index = 2;
		head.map = DEVMEM_MAP_DEV;
		head.resv_offset = 0;
		head.offset = SZ_2M - 4096 + 2 * SZ_2M * n;
		head.size = (size - head.offset - SZ_2M) & ~(uint64_t)4095;
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = (unsigned char)(i * 13 + 1);
		expect("meta pattern",
		       meta_io(fd, id, DEVMEM_IOC_META_WRITE, 0, sizeof(buf),
			       buf),
		       0);
		expect("map dev ns over the anchor", ns_map(fd, &head), 0);
		expect("anchor write while mapped",
		       meta_io(fd, id, DEVMEM_IOC_META_WRITE, 0,
			       DEVMEM_ANCHOR_SIZE, buf),
		       0);
		printf("     pgmap [%#llx-%#llx) region at %#llx\n",
		       (unsigned long long)head.pgmap_start,
		       (unsigned long long)head.pgmap_end,
		       (unsigned long long)phys);
		snprintf(node, sizeof(node), "/dev/dax%llu.%llu",
			 (unsigned long long)head.dax_region,
			 (unsigned long long)head.dax_id);
		expect("head dax read back", dax_rw(node, head.size), 0);
		expect("unmap head ns", ns_unmap(fd, id, 2), 0);
		expect("meta read",
		       meta_io(fd, id, DEVMEM_IOC_META_READ, 0, sizeof(back),
			       back),
		       0);
		expect("anchor untouched by memmap and data",
		       memcmp(buf, back, DEVMEM_ANCHOR_SIZE) == 0, 1);
		head_arg = head;
	}

	/*
	 * 11. fsdax, map=mem (ns0's place) and map=dev (the head namespace's
	 * place, memmap before the data): a block device whose sector 0 is
	 * the data start, refused to unmap while an exclusive opener holds
	 * it, and whose writes are on media at the namespace's offset.
	 */
	for (int k = 0; k < 2; k++) {
		struct devmem_ns_arg f = k ? head_arg : na;
		unsigned char pat[4096], want[4096];
		int bfd;

		f.index = 3;
		f.mode = DEVMEM_MODE_FSDAX;
		for (size_t i = 0; i < sizeof(pat); i++) {
			pat[i] = (unsigned char)(i * 7 + k + 3);
			want[i] = (unsigned char)(i * 11 + k + 5);
		}
		expect("meta write: a block to read through the disk",
		       meta_io(fd, id, DEVMEM_IOC_META_WRITE, f.offset + 8192,
			       sizeof(want), want),
		       0);
		expect(k ? "map fsdax (dev)" : "map fsdax (mem)",
		       ns_map(fd, &f), 0);
		expect("info says fsdax",
		       ns_info(fd, id, 3).mode == DEVMEM_MODE_FSDAX, 1);
		snprintf(node, sizeof(node), "/dev/devmem%llu.%llu",
			 (unsigned long long)f.dax_region,
			 (unsigned long long)f.dax_id);
		expect("block node exists",
		       stat(node, &st) == 0 && S_ISBLK(st.st_mode), 1);
		printf("     %s data [%#llx+%#llx) pgmap [%#llx-%#llx)\n", node,
		       (unsigned long long)(phys + f.offset),
		       (unsigned long long)f.size,
		       (unsigned long long)f.pgmap_start,
		       (unsigned long long)f.pgmap_end);
		expect("block read, write, fsync",
		       blk_rw(node, f.size, 8192, want, pat), 0);
		bfd = open(node, O_RDONLY | O_EXCL);
		expect("exclusive open", bfd >= 0, 1);
		expect("unmap while held", ns_unmap(fd, id, 3), -EBUSY);
		if (bfd >= 0)
			close(bfd);
		expect("unmap fsdax", ns_unmap(fd, id, 3), 0);
		expect("block node gone", stat(node, &st), -1);
		expect("meta read of the first block",
		       meta_io(fd, id, DEVMEM_IOC_META_READ, f.offset,
			       sizeof(back), back),
		       0);
		expect("first block on media", memcmp(back, pat, 4096) == 0, 1);
		expect("meta read of the last block",
		       meta_io(fd, id, DEVMEM_IOC_META_READ,
			       f.offset + f.size - 4096, 4096, back),
		       0);
		expect("last block on media", memcmp(back, pat, 4096) == 0, 1);
	}
	expect("release", release(fd, id), 0);
	expect("release again", release(fd, id), -ENOENT);
	expect("claim again after release", claim(fd, phys, size, &id2), 0);
	expect("release", release(fd, id2), 0);

	close(fd);
	printf("%s: %d failure(s)\n", argv[0], failures);
	return failures ? 1 : 0;
}
